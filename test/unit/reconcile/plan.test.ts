import { describe, expect, it } from 'vitest'
import type { SlotReading } from '../../../src/ports/lock-driver.js'
import { plan, type DesiredCode } from '../../../src/reconcile/plan.js'

const NOW = 10_000
const range = { firstSlot: 1, slotCount: 3 }
const code = (over: Partial<DesiredCode> = {}): DesiredCode => ({
  accessCodeId: 'ac1',
  code: '1357',
  name: 'Anna',
  startsAt: null,
  endsAt: null,
  allowExternalModification: false,
  slot: null,
  removing: false,
  confirmedCode: null,
  ...over,
})
const empty = (slot: number): SlotReading => ({ slot, state: 'empty' })
const occ = (slot: number, c: string | null): SlotReading => ({ slot, state: 'occupied', code: c })

describe('plan', () => {
  it('allocates the lowest free readable slot and writes the code', () => {
    const p = plan({ codes: [code()], observed: [occ(1, '9999'), { slot: 2, state: 'unreadable', reason: 't' }, empty(3)], constraints: range, now: NOW })
    expect(p.assignments).toEqual([{ accessCodeId: 'ac1', slot: 3 }])
    expect(p.ops).toEqual([{ kind: 'write', slot: 3, code: '1357', name: 'Anna', accessCodeId: 'ac1' }])
    expect(p.verdicts[0]).toMatchObject({ kind: 'setting', slot: 3 })
    expect(p.unmanaged).toEqual([{ slot: 1, code: '9999', name: null }])
  })

  it('reports set only when the device shows the code', () => {
    const p = plan({ codes: [code({ slot: 2 })], observed: [empty(1), occ(2, '1357'), empty(3)], constraints: range, now: NOW })
    expect(p.ops).toEqual([])
    expect(p.verdicts[0]).toMatchObject({ kind: 'set', slot: 2, confirmedCode: '1357' })
  })

  it('no free slot: no_space on that code alone, others proceed', () => {
    const p = plan({
      codes: [code({ accessCodeId: 'a', slot: 1 }), code({ accessCodeId: 'b', code: '2468' })],
      observed: [empty(1), occ(2, '1111'), occ(3, '2222')],
      constraints: range,
      now: NOW,
    })
    expect(p.ops).toEqual([{ kind: 'write', slot: 1, code: '1357', name: 'Anna', accessCodeId: 'a' }])
    expect(p.verdicts.find((v) => v.accessCodeId === 'b')).toMatchObject({ kind: 'failed', errors: [{ code: 'no_space_for_access_code_on_device' }] })
  })

  it('only unreadable slots left: unknown, not no_space', () => {
    const p = plan({ codes: [code()], observed: [occ(1, '1'), occ(2, '2')], constraints: range, now: NOW })
    expect(p.ops).toEqual([])
    expect(p.verdicts[0]!.kind).toBe('unknown')
  })

  it('duplicate of an unmanaged PIN: error naming the slot, no write', () => {
    const p = plan({ codes: [code()], observed: [occ(1, '1357'), empty(2), empty(3)], constraints: range, now: NOW })
    expect(p.ops).toEqual([])
    expect(p.assignments).toEqual([])
    expect(p.verdicts[0]).toMatchObject({ kind: 'failed', errors: [{ code: 'duplicate_code_on_device', unmanaged_slot: 1 }] })
  })

  it('time-bound: unset before start, written in the window, cleared and released at the end', () => {
    const c = code({ startsAt: NOW + 100, endsAt: NOW + 200 })
    const before = plan({ codes: [c], observed: [empty(1), empty(2), empty(3)], constraints: range, now: NOW })
    expect(before.ops).toEqual([])
    expect(before.verdicts[0]!.kind).toBe('unset')
    expect(before.nextWakeAt).toBe(NOW + 100)
    const during = plan({ codes: [c], observed: [empty(1), empty(2), empty(3)], constraints: range, now: NOW + 100 })
    expect(during.ops).toHaveLength(1)
    expect(during.nextWakeAt).toBe(NOW + 200)
    const after = plan({ codes: [{ ...c, slot: 1, confirmedCode: '1357' }], observed: [occ(1, '1357')], constraints: range, now: NOW + 200 })
    expect(after.ops).toEqual([{ kind: 'clear', slot: 1, accessCodeId: 'ac1' }])
    const cleared = plan({ codes: [{ ...c, slot: 1 }], observed: [empty(1)], constraints: range, now: NOW + 200 })
    expect(cleared.verdicts[0]).toMatchObject({ kind: 'unset', slot: null })
  })

  it('deleted code: cleared, then gone', () => {
    const c = code({ slot: 1, removing: true, confirmedCode: '1357' })
    expect(plan({ codes: [c], observed: [occ(1, '1357')], constraints: range, now: NOW }).ops).toEqual([{ kind: 'clear', slot: 1, accessCodeId: 'ac1' }])
    expect(plan({ codes: [c], observed: [empty(1)], constraints: range, now: NOW }).verdicts[0]).toMatchObject({ kind: 'gone', slot: null })
  })

  it('an API change of the PIN is a write, not an external modification', () => {
    const p = plan({ codes: [code({ slot: 1, confirmedCode: '1111' })], observed: [occ(1, '1111')], constraints: range, now: NOW })
    expect(p.verdicts[0]).toMatchObject({ kind: 'setting', errors: [] })
    expect(p.ops).toHaveLength(1)
  })

  it('external change, default policy: restore with conflicting_external_modification', () => {
    const p = plan({ codes: [code({ slot: 1, confirmedCode: '1357' })], observed: [occ(1, '8642')], constraints: range, now: NOW })
    expect(p.ops).toEqual([{ kind: 'write', slot: 1, code: '1357', name: 'Anna', accessCodeId: 'ac1' }])
    expect(p.verdicts[0]).toMatchObject({
      kind: 'externally_modified',
      external: { changeType: 'modified', resolution: 'restore', modifiedFields: [{ field: 'code', from: '1357', to: '8642' }] },
      errors: [{ code: 'conflicting_external_modification', change_type: 'modified' }],
    })
    const removed = plan({ codes: [code({ slot: 1, confirmedCode: '1357' })], observed: [empty(1)], constraints: range, now: NOW })
    expect(removed.verdicts[0]!.external).toMatchObject({ changeType: 'removed', resolution: 'restore' })
    expect(removed.ops).toHaveLength(1)
  })

  it('external change with allowExternalModification: adopt, no op', () => {
    const c = code({ slot: 1, confirmedCode: '1357', allowExternalModification: true })
    const p = plan({ codes: [c], observed: [occ(1, '8642')], constraints: range, now: NOW })
    expect(p.ops).toEqual([])
    expect(p.verdicts[0]).toMatchObject({ kind: 'adopted', adoptedCode: '8642', confirmedCode: '8642', warnings: [{ code: 'external_modification_in_effect' }] })
    const removed = plan({ codes: [c], observed: [empty(1)], constraints: range, now: NOW })
    expect(removed.ops).toEqual([])
    expect(removed.verdicts[0]).toMatchObject({ kind: 'gone', adoptedCode: null, external: { changeType: 'removed', resolution: 'adopt' } })
  })

  it('an unreadable owned slot is left alone', () => {
    const p = plan({ codes: [code({ slot: 1, confirmedCode: '1357' })], observed: [{ slot: 1, state: 'unreadable', reason: 'x' }], constraints: range, now: NOW })
    expect(p.ops).toEqual([])
    expect(p.verdicts[0]!.kind).toBe('unknown')
  })

  it('a held rejection is reported on that code and not retried', () => {
    const p = plan({
      codes: [code({ slot: 1 })],
      observed: [empty(1)],
      constraints: range,
      now: NOW,
      holds: new Map([['ac1', { op: 'write' as const, code: '1357', reason: 'bad_format' as const }]]),
    })
    expect(p.ops).toEqual([])
    expect(p.verdicts[0]).toMatchObject({ kind: 'failed', errors: [{ code: 'failed_to_set_on_device' }] })
  })
})
