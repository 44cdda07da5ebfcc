// Faults on the radio and in the lock: the driver throws a TransientDeviceError or returns correct data,
// and never reports a wrong value.
import fc from 'fast-check'
import { afterEach, describe, expect, it } from 'vitest'
import { TransientDeviceError } from '../../src/ports/errors.js'
import type { SlotReading } from '../../src/ports/lock-driver.js'
import type { NukiFault } from '../../simulators/nuki-lock/faults.js'
import { eventually } from '../helpers/eventually.js'
import { NATIVE_ID, startPaired, type Harness } from './nuki-harness.js'

let h: Harness | undefined
afterEach(async () => {
  await h?.close()
  h = undefined
})

const codesOn = (h: Harness) => h.lock.slots().filter((s) => s.code).map((s) => s.code!).sort()
const codesRead = (r: SlotReading[]) => r.flatMap((s) => (s.state === 'occupied' && s.code ? [s.code] : [])).sort()
const transient = { name: 'TransientDeviceError' }

describe('Nuki driver under faults', () => {
  it('link dropped before the lock acted: transient, nothing changed, retry succeeds', async () => {
    h = await startPaired()
    h.lock.injectFault({ kind: 'dropLink', afterApply: false })
    await expect(h.driver.writeSlot(NATIVE_ID, 7, '654321', 'Guest')).rejects.toMatchObject(transient)
    expect(codesOn(h)).toEqual([])
    await h.driver.writeSlot(NATIVE_ID, 7, '654321', 'Guest')
    expect((await h.driver.readSlots(NATIVE_ID)).find((s) => s.slot === 7)).toMatchObject({ code: '654321' })
  })

  it('link dropped after the lock added the code: the next read finds it in the slot asked for, without an external-change event', async () => {
    h = await startPaired()
    h.lock.injectFault({ kind: 'dropLink', afterApply: true })
    await expect(h.driver.writeSlot(NATIVE_ID, 7, '654321', 'Guest')).rejects.toMatchObject(transient)
    expect(codesOn(h)).toEqual(['654321'])
    const slots = await h.driver.readSlots(NATIVE_ID)
    expect(slots.find((s) => s.slot === 7)).toMatchObject({ state: 'occupied', code: '654321' })
    expect(h.events.filter((e) => e.type === 'slotChanged')).toEqual([])
  })

  it('link dropped after the lock removed the code: the next read shows the slot empty', async () => {
    h = await startPaired()
    await h.driver.writeSlot(NATIVE_ID, 2, '654321', 'Guest')
    await h.driver.readSlots(NATIVE_ID)
    h.lock.injectFault({ kind: 'dropLink', afterApply: true })
    await expect(h.driver.clearSlot(NATIVE_ID, 2)).rejects.toMatchObject(transient)
    expect((await h.driver.readSlots(NATIVE_ID)).find((s) => s.slot === 2)).toEqual({ slot: 2, state: 'empty' })
    expect(h.events.filter((e) => e.type === 'slotChanged')).toEqual([])
  })

  it('duplicated reply frames are recognised by their nonce and ignored', async () => {
    h = await startPaired()
    await h.driver.writeSlot(NATIVE_ID, 1, '111111', 'a')
    await h.driver.writeSlot(NATIVE_ID, 2, '222222', 'b')
    h.lock.injectFault({ kind: 'duplicateReply' })
    expect(codesRead(await h.driver.readSlots(NATIVE_ID))).toEqual(['111111', '222222'])
    // The duplicates must not be taken as answers to the next command either.
    h.lock.injectFault({ kind: 'duplicateReply' })
    await h.driver.writeSlot(NATIVE_ID, 3, '333333', 'c')
    await h.driver.clearSlot(NATIVE_ID, 1)
    expect(codesRead(await h.driver.readSlots(NATIVE_ID))).toEqual(['222222', '333333'])
    expect(codesOn(h)).toEqual(['222222', '333333'])
  })

  it('duplicated indication pieces corrupt the stream: transient, then a clean retry', async () => {
    h = await startPaired()
    await h.driver.writeSlot(NATIVE_ID, 1, '111111', 'a')
    h.lock.injectFault({ kind: 'duplicatePieces' })
    await expect(h.driver.readSlots(NATIVE_ID)).rejects.toBeInstanceOf(TransientDeviceError)
    expect(codesRead(await h.driver.readSlots(NATIVE_ID))).toEqual(['111111'])
  })

  it('a reply later than the timeout is transient; the next command on a new link gets its own answer', async () => {
    h = await startPaired()
    await h.driver.writeSlot(NATIVE_ID, 1, '111111', 'a')
    h.lock.injectFault({ kind: 'lateReply', delayMs: 1400 })
    await expect(h.driver.readSlots(NATIVE_ID)).rejects.toMatchObject(transient)
    await h.driver.writeSlot(NATIVE_ID, 2, '222222', 'b')
    // The late frames come due on the link the driver gave up on, not on the new one.
    await eventually(() => expect(h!.lock.journal).toContain('late reply dropped: its link is gone'), 5000)
    expect(codesRead(await h.driver.readSlots(NATIVE_ID))).toEqual(['111111', '222222'])
  })

  it('a reply late but within the timeout is simply used', async () => {
    h = await startPaired()
    await h.driver.writeSlot(NATIVE_ID, 1, '111111', 'a')
    h.lock.injectFault({ kind: 'lateReply', delayMs: 100 })
    expect(codesRead(await h.driver.readSlots(NATIVE_ID))).toEqual(['111111'])
  })

  it('a refused challenge (bad nonce) is transient and changes nothing', async () => {
    h = await startPaired()
    h.lock.injectFault({ kind: 'wrongNonce' })
    const e = await h.driver.writeSlot(NATIVE_ID, 1, '654321', 'x').catch((x: unknown) => x)
    expect(e).toBeInstanceOf(TransientDeviceError)
    expect(String((e as Error).message)).toMatch(/0x22/)
    expect(codesOn(h)).toEqual([])
  })

  it.each<NukiFault['kind']>(['corruptCrc', 'corruptCiphertext'])('a damaged reply (%s) is transient, never data', async (kind) => {
    h = await startPaired()
    await h.driver.writeSlot(NATIVE_ID, 1, '111111', 'a')
    h.lock.injectFault({ kind } as NukiFault)
    await expect(h.driver.readSlots(NATIVE_ID)).rejects.toBeInstanceOf(TransientDeviceError)
    expect(codesRead(await h.driver.readSlots(NATIVE_ID))).toEqual(['111111'])
  })

  it('a lock action whose link drops is transient', async () => {
    h = await startPaired()
    h.lock.injectFault({ kind: 'dropLink', afterApply: false })
    await expect(h.driver.lockAction(NATIVE_ID, 'unlock')).rejects.toMatchObject(transient)
    expect(h.lock.isLocked()).toBe(true)
    await h.driver.lockAction(NATIVE_ID, 'unlock')
    expect(h.lock.isLocked()).toBe(false)
  })

  it('random faults during random operations: every successful read equals the lock', async () => {
    const fault = fc.constantFrom<NukiFault | null>(
      null,
      null,
      { kind: 'dropLink', afterApply: false },
      { kind: 'dropLink', afterApply: true },
      { kind: 'duplicateReply' },
      { kind: 'duplicatePieces' },
      { kind: 'wrongNonce' },
      { kind: 'corruptCrc' },
      { kind: 'corruptCiphertext' },
    )
    const op = fc.oneof(
      fc.record({ op: fc.constant('write' as const), slot: fc.integer({ min: 1, max: 6 }), code: fc.constantFrom('111111', '222222', '333333', '444444') }),
      fc.record({ op: fc.constant('clear' as const), slot: fc.integer({ min: 1, max: 6 }) }),
      fc.record({ op: fc.constant('read' as const) }),
    )
    h = await startPaired()
    const harness = h
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(op, fault), { minLength: 1, maxLength: 8 }), async (steps) => {
        for (const [o, f] of steps) {
          if (f) harness.lock.injectFault(f)
          try {
            if (o.op === 'write') {
              await harness.driver.writeSlot(NATIVE_ID, o.slot, o.code, 'x')
              expect(codesOn(harness)).toContain(o.code)
            } else if (o.op === 'clear') {
              await harness.driver.clearSlot(NATIVE_ID, o.slot)
            } else {
              const read = await harness.driver.readSlots(NATIVE_ID)
              expect(codesRead(read)).toEqual(codesOn(harness))
            }
          } catch (e) {
            if (!(e instanceof TransientDeviceError) && (e as { reason?: string }).reason !== 'duplicate_code') throw e
          }
          // Faults that did not fire (e.g. armed before a failed read) are cleared between steps.
          while (harness.lock.pendingFaults() > 0) await harness.driver.readSlots(NATIVE_ID).catch(() => undefined)
        }
        // After the storm, a clean read must agree with the lock.
        const finalRead = await harness.driver.readSlots(NATIVE_ID)
        expect(codesRead(finalRead)).toEqual(codesOn(harness))
      }),
      { numRuns: 60, seed: 42 },
    )
  }, 30_000)
})
