// The read plan is pure: which slots a pass reads, and why.
import { describe, expect, it } from 'vitest'
import type { DesiredCode } from '../../../src/reconcile/plan.js'
import { emptyStillTrusted, freeCandidates, planReads } from '../../../src/reconcile/read-plan.js'

const code = (id: string, pin: string, slot: number | null, extra: Partial<DesiredCode> = {}): DesiredCode => ({
  accessCodeId: id, code: pin, name: id, startsAt: null, endsAt: null, allowExternalModification: false, slot, removing: false, confirmedCode: null, ...extra,
})
const layout = { firstSlot: 1, slotCount: 10 }

describe('read plan', () => {
  it('reads owned slots, slots events named (in range), and unmanaged slots holding a wanted PIN', () => {
    const p = planReads({
      codes: [code('a', '1111', 2), code('b', '2222', null), code('c', '3333', null, { startsAt: 5_000 })],
      now: 1_000,
      layout,
      eventSlots: [7, 2, 42],
      lastOccupied: [[9, { slot: 9, state: 'occupied', code: '2222', name: 'owner' }], [4, { slot: 4, state: 'occupied', code: '9999', name: 'owner' }]],
    })
    expect([...p.mustRead]).toEqual([[2, 'owned'], [7, 'event'], [9, 'possible_duplicate']])
    expect(p.needing).toBe(1) // c has not started: it needs no slot yet
    expect([...p.owned]).toEqual([2])
  })

  it('a second code on an owned slot needs a slot of its own', () => {
    expect(planReads({ codes: [code('a', '1111', 3), code('b', '2222', 3)], now: 0, layout, eventSlots: [], lastOccupied: [] }).needing).toBe(1)
  })

  it('free candidates skip what the caller rules out, lowest first', () => {
    expect(freeCandidates(layout, 3, (s) => s === 1 || s === 3)).toEqual([2, 4, 5])
    expect(freeCandidates({ firstSlot: 0, slotCount: 2 }, 5, () => false)).toEqual([0, 1])
  })

  it('an empty reading is trusted only within its window (when a full read is due: drift-check.test.ts)', () => {
    expect(emptyStillTrusted(undefined, 10, 100)).toBe(false)
    expect(emptyStillTrusted(5, 10, 0)).toBe(false)
    expect(emptyStillTrusted(5, 105, 100)).toBe(true)
    expect(emptyStillTrusted(5, 106, 100)).toBe(false)
  })

  it('between drift checks an owned slot is read only when its last reading is not known', () => {
    const codes = [
      { accessCodeId: 'a', code: '1111', name: 'A', slot: 1, startsAt: null, endsAt: null, allowExternalModification: false, removing: false },
      { accessCodeId: 'b', code: '2222', name: 'B', slot: 2, startsAt: null, endsAt: null, allowExternalModification: false, removing: false },
    ] as DesiredCode[]
    const base = { codes, now: 0, layout: { firstSlot: 1, slotCount: 4 }, eventSlots: [3], lastOccupied: [] }
    expect([...planReads({ ...base, checkOwned: true }).mustRead]).toEqual([[1, 'owned'], [2, 'owned'], [3, 'event']])
    expect([...planReads({ ...base, checkOwned: false, remembered: (s) => s === 1 }).mustRead]).toEqual([[2, 'owned'], [3, 'event']])
  })
})
