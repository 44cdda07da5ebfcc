// The whole loop against the fake lock: from any starting lock contents and any desired codes, one pass
// leaves the device such that the next pass writes and clears nothing, unmanaged slots are untouched,
// and the store's `set` codes are exactly what the lock holds.
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { ManualClock } from '../../../src/kernel/clock.js'
import { seededRandom } from '../../../src/kernel/ids.js'
import { MemoryRepo } from '../../helpers/memory-repo.js'
import { Reconciler } from '../../../src/reconcile/reconciler.js'
import { FakeLockDriver } from '../../helpers/fake-lock-driver.js'
import { FakeTimers } from '../../helpers/fake-timers.js'

const T0 = 1_000_000
const PINS = ['1111', '2222', '3333', '4444', '5555', '6666']

const scenario = fc.record({
  slotCount: fc.integer({ min: 1, max: 5 }),
  lock: fc.array(fc.option(fc.constantFrom(...PINS), { nil: null }), { minLength: 5, maxLength: 5 }),
  codes: fc.uniqueArray(
    fc.record({
      accessCodeId: fc.constantFrom('a', 'b', 'c', 'd', 'e'),
      code: fc.constantFrom(...PINS),
      startsAt: fc.option(fc.integer({ min: T0 - 10, max: T0 + 10 }), { nil: null }),
      endsAt: fc.option(fc.integer({ min: T0 - 10, max: T0 + 10 }), { nil: null }),
      allowExternalModification: fc.boolean(),
      deleted: fc.boolean(),
    }),
    { selector: (c) => c.accessCodeId, maxLength: 5 },
  ),
})

describe('Reconciler (property)', () => {
  it('one pass converges; unmanaged slots are never touched; set means on the lock', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (s) => {
        const clock = new ManualClock(T0)
        const repo = new MemoryRepo()
        const driver = new FakeLockDriver()
        const lock = driver.add('n', s.slotCount)
        s.lock.slice(0, s.slotCount).forEach((pin, i) => lock.set(i + 1, pin))
        const initial = new Map(lock.slots)
        for (const c of s.codes) {
          repo.putCode('d', { accessCodeId: c.accessCodeId, code: c.code, startsAt: c.startsAt, endsAt: c.endsAt, allowExternalModification: c.allowExternalModification }, T0)
          if (c.deleted) repo.deleteCode(c.accessCodeId, T0)
        }
        const r = new Reconciler({ repo, route: () => ({ driver, nativeId: 'n' }), clock, random: seededRandom('p'), timers: new FakeTimers(clock) })
        r.poke('d')
        await r.idle()
        const owned = new Set([...repo.codes.values()].flatMap((c) => (c.slot === null ? [] : [c.slot])))
        // Unmanaged slots: occupied at the start and never assigned to a managed code.
        for (const [slot, v] of initial) if (v && !owned.has(slot)) expect(lock.slots.get(slot)).toEqual(v)
        for (const c of repo.codes.values()) if (c.status === 'set') expect(lock.code(c.slot!)).toBe(c.code)
        const mark = lock.calls.length
        r.poke('d')
        await r.idle()
        expect(lock.calls.slice(mark).filter((x) => x !== 'read')).toEqual([])
        await r.stop()
      }),
      { numRuns: 300 },
    )
  })
})
