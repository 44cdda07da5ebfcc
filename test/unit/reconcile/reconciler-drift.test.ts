// The reconciler with drift checks (issue 19): between checks a pass reads nothing it does not need; a
// lock's events ask for targeted reads; checks fall on the device's phase; a gap in events asks for one.
import { describe, expect, it } from 'vitest'
import { ManualClock } from '../../../src/kernel/clock.js'
import { seededRandom } from '../../../src/kernel/ids.js'
import type { DriftCapability } from '../../../src/ports/lock-driver.js'
import { driftSchedule, nextCheckAt } from '../../../src/reconcile/drift-check.js'
import { Reconciler, type DeviceRoute } from '../../../src/reconcile/reconciler.js'
import { FakeLockDriver } from '../../helpers/fake-lock-driver.js'
import { FakeTimers } from '../../helpers/fake-timers.js'
import { MemoryRepo } from '../../helpers/memory-repo.js'

const T0 = Date.parse('2026-03-01T12:00:00Z')
const HOUR = 3_600_000
const drift = { reportedCheckMs: 24 * HOUR, unreportedCheckMs: () => HOUR }

function setup(capability: DriftCapability) {
  const clock = new ManualClock(T0)
  const timers = new FakeTimers(clock)
  const repo = new MemoryRepo()
  const driver = new FakeLockDriver()
  driver.capability = capability
  const lock = driver.add('lock-1', 4)
  const routes = new Map<string, DeviceRoute>([['dev1', { driver, nativeId: 'lock-1' }]])
  const r = new Reconciler({ repo, route: (id) => routes.get(id), clock, random: seededRandom('drift'), timers, drift, fullScanMs: 24 * HOUR })
  const reads = () => lock.calls.filter((c) => c === 'read').length
  const converge = async () => {
    r.poke('dev1')
    await r.idle()
  }
  const tick = async (ms: number) => {
    timers.advance(ms)
    await r.idle()
  }
  return { clock, timers, repo, lock, r, reads, converge, tick, schedule: driftSchedule('dev1', driver.kind, capability, drift)! }
}

describe('reconciler drift checks', () => {
  it('a lock that reports its changes: pokes read nothing, its event restores the slot, the daily check falls on its phase', async () => {
    const t = setup({ reportsCodeChanges: true, readsAllAtOnce: false })
    t.repo.putCode('dev1', { accessCodeId: 'ac1', code: '1357' })
    await t.converge()
    expect(t.lock.calls).toEqual(['read', 'write 1 1357', 'read'])
    await t.converge()
    await t.converge()
    expect(t.lock.calls).toHaveLength(3)

    t.lock.set(1, '9999')
    t.r.onDeviceEvent('dev1', { type: 'slotChanged', nativeId: 'lock-1', slot: 1, code: undefined, source: 'keypad' })
    await t.r.idle()
    expect(t.lock.calls.slice(3)).toEqual(['read', 'write 1 1357', 'read'])
    expect(t.lock.code(1)).toBe('1357')

    const due = nextCheckAt(T0, t.schedule)!
    const readsBefore = t.reads()
    await t.tick(due - 1 - t.clock.now())
    expect(t.reads()).toBe(readsBefore)
    await t.tick(1)
    expect(t.reads()).toBe(readsBefore + 1)
    // A day later, one more; never two in a row.
    await t.tick(24 * HOUR)
    expect(t.reads()).toBe(readsBefore + 2)
  })

  it('a lock that reports nothing is checked every interval, and a drift is found by the check', async () => {
    const t = setup({ reportsCodeChanges: false, readsAllAtOnce: true })
    t.repo.putCode('dev1', { accessCodeId: 'ac1', code: '1357' })
    await t.converge()
    const readsBefore = t.reads()
    t.lock.set(1, '2468') // the owner's app: no event
    await t.converge()
    expect(t.lock.code(1)).toBe('2468')
    await t.tick(nextCheckAt(T0, t.schedule)! - t.clock.now())
    expect(t.lock.code(1)).toBe('1357')
    expect(t.repo.eventTypes({ accessCodeId: 'ac1' })).toContain('access_code.modified_external_to_seam')
    const afterRestore = t.reads()
    expect(afterRestore - readsBefore).toBe(2) // the check, and the restore's read-back
    // Ten hours on (a pass runs after each step's wake-up): one check per hour.
    for (let h = 0; h < 10; h++) await t.tick(HOUR)
    expect(t.reads() - afterRestore).toBe(10)
  })

  it('a gap in the lock\'s events (link lost, back online) asks for one check at the next pass', async () => {
    const t = setup({ reportsCodeChanges: true, readsAllAtOnce: false })
    t.repo.putCode('dev1', { accessCodeId: 'ac1', code: '1357' })
    await t.converge()
    const readsBefore = t.reads()
    t.r.onDeviceEvent('dev1', { type: 'eventsMissed', nativeId: 'lock-1' })
    await t.converge()
    await t.converge()
    expect(t.reads()).toBe(readsBefore + 1)
    t.r.onDeviceEvent('dev1', { type: 'offline', nativeId: 'lock-1' })
    t.r.onDeviceEvent('dev1', { type: 'online', nativeId: 'lock-1' })
    await t.r.idle()
    await t.converge()
    expect(t.reads()).toBe(readsBefore + 2)
  })
})
