// The reconciler's behaviour against both repositories: the in-memory reference and the SQLite store
// (':memory:'). The same passes over the same fake lock must leave the same statuses, errors and
// events in either (issue 13 §6). Finer points of the planner and the read plan are in the other files.
import { describe, expect, it } from 'vitest'
import { ManualClock } from '../../../src/kernel/clock.js'
import { seededRandom } from '../../../src/kernel/ids.js'
import { Reconciler, type DeviceRoute } from '../../../src/reconcile/reconciler.js'
import { FakeLockDriver } from '../../helpers/fake-lock-driver.js'
import { FakeTimers } from '../../helpers/fake-timers.js'
import { memoryHarness, sqliteHarness, type HarnessFactory } from './repo-harness.js'

const T0 = Date.parse('2026-03-01T12:00:00Z')
const HOUR = 3_600_000

describe.each([
  ['MemoryRepo', memoryHarness],
  ['SqliteReconcileRepo', sqliteHarness],
] as [string, HarnessFactory][])('reconciler over %s', (_name, harness) => {
  function setup(slots = 4) {
    const clock = new ManualClock(T0)
    const timers = new FakeTimers(clock)
    const h = harness(clock)
    const driver = new FakeLockDriver()
    const lock = driver.add('lock-1', slots)
    const dev = h.addDevice(slots)
    const routes = new Map<string, DeviceRoute>([[dev, { driver, nativeId: 'lock-1' }]])
    const r = new Reconciler({
      repo: h.repo, route: (id) => routes.get(id), clock, random: seededRandom('contract'), timers,
      breaker: { failureThreshold: 3, coolDownMs: 60_000 }, backoff: { baseMs: 1_000, maxMs: 8_000 }, rejectionRetryMs: 10 * 60_000,
    })
    const converge = async () => {
      r.poke(dev)
      await r.idle()
    }
    const tick = async (ms: number) => {
      timers.advance(ms)
      await r.idle()
    }
    return { clock, timers, h, driver, lock, dev, r, converge, tick }
  }

  it('a new code becomes set only after it is read back, and the device is clean', async () => {
    const t = setup()
    const id = t.h.putCode(t.dev, { code: '1357', name: 'Anna' })
    expect(t.h.isDirty(t.dev)).toBe(true)
    await t.converge()
    expect(t.lock.calls).toEqual(['read', 'write 1 1357', 'read'])
    expect(t.h.code(id)).toMatchObject({ status: 'set', slot: 1, errors: [] })
    expect(t.h.eventTypes(id)).toEqual(['access_code.set_on_device'])
    expect(t.h.isDirty(t.dev)).toBe(false)
    await t.converge() // level-triggered: nothing new, nothing emitted
    expect(t.h.eventTypes(id)).toEqual(['access_code.set_on_device'])
    await t.r.stop()
  })

  it('a delete clears the slot, then the code is forgotten', async () => {
    const t = setup()
    const id = t.h.putCode(t.dev, { code: '1357' })
    await t.converge()
    t.h.deleteCode(id)
    expect(t.h.code(id)?.status).toBe('removing')
    await t.converge()
    expect(t.lock.code(1)).toBeNull()
    expect(t.h.code(id)).toBeUndefined()
    expect(t.h.eventTypes(id)).toEqual(['access_code.set_on_device', 'access_code.removed_from_device'])
    await t.r.stop()
  })

  it('a time-bound code is set at starts_at and cleared at ends_at by wake-ups alone', async () => {
    const t = setup()
    const id = t.h.putCode(t.dev, { code: '1357', startsAt: T0 + HOUR, endsAt: T0 + 2 * HOUR })
    await t.converge()
    expect(t.h.code(id)?.status).toBe('unset')
    await t.tick(HOUR - 1)
    expect(t.lock.code(1)).toBeNull()
    await t.tick(1)
    expect(t.lock.code(1)).toBe('1357')
    expect(t.h.code(id)?.status).toBe('set')
    await t.tick(HOUR)
    expect(t.lock.code(1)).toBeNull()
    expect(t.h.code(id)).toMatchObject({ status: 'unset', slot: null })
    expect(t.h.eventTypes(id)).toEqual(['access_code.set_on_device', 'access_code.removed_from_device'])
    await t.r.stop()
  })

  it('an external change is restored, with the conflict error and event', async () => {
    const t = setup()
    const id = t.h.putCode(t.dev, { code: '1357' })
    await t.converge()
    t.lock.set(1, '9999')
    t.r.onDeviceEvent(t.dev, { type: 'slotChanged', nativeId: 'lock-1', slot: 1, code: '9999', source: 'keypad' })
    await t.r.idle()
    expect(t.lock.code(1)).toBe('1357')
    expect(t.h.code(id)).toMatchObject({ status: 'set', errors: ['conflicting_external_modification'] })
    expect(t.h.eventTypes(id)).toEqual(['access_code.set_on_device', 'access_code.modified_external_to_seam'])
    await t.r.stop()
  })

  it('an external change is adopted when allowed: no write, a warning, the PIN follows the lock', async () => {
    const t = setup()
    const id = t.h.putCode(t.dev, { code: '1357', allowExternalModification: true })
    await t.converge()
    const before = t.lock.calls.length
    t.lock.set(1, '2468')
    t.r.onDeviceEvent(t.dev, { type: 'slotChanged', nativeId: 'lock-1', slot: 1, code: '2468', source: 'keypad' })
    await t.r.idle()
    expect(t.lock.calls.slice(before)).toEqual(['read'])
    expect(t.h.code(id)).toMatchObject({ status: 'set', code: '2468', warnings: ['external_modification_in_effect'] })
    await t.converge()
    expect(t.h.eventTypes(id).filter((e) => e.includes('external'))).toHaveLength(1)
    await t.r.stop()
  })

  it('one rejected code gets its own error; the others are set', async () => {
    const t = setup()
    t.lock.rejectPins.set('1111', 'bad_format')
    const bad = t.h.putCode(t.dev, { code: '1111' })
    const good = t.h.putCode(t.dev, { code: '2222' })
    await t.converge()
    expect(t.h.code(good)?.status).toBe('set')
    expect(t.h.code(bad)).toMatchObject({ status: 'setting', errors: ['failed_to_set_on_device'] })
    expect(t.h.eventTypes(bad)).toEqual(['access_code.failed_to_set_on_device'])
    await t.r.stop()
  })

  it('unmanaged codes found on the lock are recorded, and their removal too', async () => {
    const t = setup()
    t.lock.set(3, '4444')
    t.h.putCode(t.dev, { code: '1357' })
    await t.converge()
    expect(t.h.unmanaged(t.dev)).toEqual([{ slot: 3, code: '4444' }])
    t.lock.set(3, null)
    t.r.onDeviceEvent(t.dev, { type: 'slotChanged', nativeId: 'lock-1', slot: 3, code: null, source: 'keypad' })
    await t.r.idle()
    expect(t.h.unmanaged(t.dev)).toEqual([])
    await t.r.stop()
  })

  it('a device that keeps failing trips its breaker (device_disconnected), then recovers; transient failures never read as external', async () => {
    const t = setup()
    t.lock.down = true
    const id = t.h.putCode(t.dev, { code: '1357' })
    await t.converge()
    await t.tick(8_000)
    await t.tick(8_000)
    expect(t.h.deviceErrors(t.dev)).toEqual(['device_disconnected'])
    const calls = t.lock.calls.length
    t.r.poke(t.dev)
    await t.r.idle()
    expect(t.lock.calls).toHaveLength(calls) // open: no hammering
    t.lock.down = false
    await t.tick(60_000)
    expect(t.h.deviceErrors(t.dev)).toEqual([])
    expect(t.h.code(id)?.status).toBe('set')
    t.lock.transientFailures = 1
    await t.converge()
    await t.tick(8_000)
    expect(t.h.code(id)?.status).toBe('set')
    expect(t.h.eventTypes().filter((e) => e.includes('external'))).toEqual([])
    await t.r.stop()
  })

  it('offline: device_offline, no passes until it is back', async () => {
    const t = setup()
    t.r.onDeviceEvent(t.dev, { type: 'offline', nativeId: 'lock-1' })
    await t.r.idle()
    expect(t.h.deviceErrors(t.dev)).toEqual(['device_offline'])
    const id = t.h.putCode(t.dev, { code: '1357' })
    await t.converge()
    expect(t.lock.calls).toEqual([])
    t.r.onDeviceEvent(t.dev, { type: 'online', nativeId: 'lock-1' })
    await t.r.idle()
    expect(t.h.deviceErrors(t.dev)).toEqual([])
    expect(t.h.code(id)?.status).toBe('set')
    await t.r.stop()
  })
})
