import { describe, expect, it } from 'vitest'
import { ManualClock } from '../../../src/kernel/clock.js'
import { seededRandom } from '../../../src/kernel/ids.js'
import { TransientDeviceError } from '../../../src/ports/errors.js'
import { MemoryRepo } from '../../helpers/memory-repo.js'
import { Reconciler, type DeviceRoute } from '../../../src/reconcile/reconciler.js'
import { FakeLockDriver } from '../../helpers/fake-lock-driver.js'
import { FakeTimers } from '../../helpers/fake-timers.js'

const T0 = Date.parse('2026-03-01T12:00:00Z')
const HOUR = 3_600_000

function setup(opts: { slots?: number; concurrency?: number } = {}) {
  const clock = new ManualClock(T0)
  const timers = new FakeTimers(clock)
  const repo = new MemoryRepo()
  const driver = new FakeLockDriver()
  const lock = driver.add('lock-1', opts.slots ?? 4)
  const routes = new Map<string, DeviceRoute>([['dev1', { driver, nativeId: 'lock-1' }]])
  const r = new Reconciler({
    repo,
    route: (id) => routes.get(id),
    clock,
    random: seededRandom('reconciler-test'),
    timers,
    concurrency: opts.concurrency ?? 2,
    breaker: { failureThreshold: 3, coolDownMs: 60_000 },
    backoff: { baseMs: 1_000, maxMs: 8_000 },
    rejectionRetryMs: 10 * 60_000,
  })
  const tick = async (ms: number) => {
    timers.advance(ms)
    await r.idle()
  }
  const converge = async (id = 'dev1') => {
    r.poke(id)
    await r.idle()
  }
  return { clock, timers, repo, driver, lock, routes, r, tick, converge }
}

describe('Reconciler', () => {
  it('brings a new code to set only after reading it back', async () => {
    const t = setup()
    t.repo.putCode('dev1', { accessCodeId: 'ac1', code: '1357', name: 'Anna' })
    await t.converge()
    expect(t.lock.code(1)).toBe('1357')
    expect(t.lock.calls).toEqual(['read', 'write 1 1357', 'read'])
    const c = t.repo.codes.get('ac1')!
    expect(c).toMatchObject({ status: 'set', slot: 1, confirmedCode: '1357', errors: [] })
    expect(t.repo.eventTypes({ accessCodeId: 'ac1' })).toEqual(['access_code.set_on_device'])
    expect(t.repo.isDirty('dev1')).toBe(false)
    // Level-triggered: another pass changes nothing and emits nothing.
    await t.converge()
    expect(t.lock.calls.slice(3)).toEqual(['read'])
    expect(t.repo.eventTypes({ accessCodeId: 'ac1' })).toEqual(['access_code.set_on_device'])
  })

  it('a lock that drops writes never reads as set, and is retried with backoff', async () => {
    const t = setup()
    t.lock.ignoreWrites = true
    t.repo.putCode('dev1', { accessCodeId: 'ac1', code: '1357' })
    await t.converge()
    expect(t.repo.codes.get('ac1')!.status).toBe('setting')
    expect(t.timers.nextAt()).not.toBeNull()
    t.lock.ignoreWrites = false
    await t.tick(8_000)
    expect(t.repo.codes.get('ac1')!.status).toBe('set')
  })

  it('delete clears the slot, then the code is forgotten', async () => {
    const t = setup()
    t.repo.putCode('dev1', { accessCodeId: 'ac1', code: '1357' })
    await t.converge()
    t.repo.deleteCode('ac1')
    await t.converge()
    expect(t.lock.code(1)).toBeNull()
    expect(t.repo.codes.has('ac1')).toBe(false)
    expect(t.repo.eventTypes({ accessCodeId: 'ac1' })).toEqual([
      'access_code.set_on_device',
      'access_code.deleted',
      'access_code.removed_from_device',
    ])
  })

  it('time-bound: set at starts_at, cleared at ends_at, driven by timers alone', async () => {
    const t = setup()
    t.repo.putCode('dev1', { accessCodeId: 'ac1', code: '1357', startsAt: T0 + HOUR, endsAt: T0 + 2 * HOUR }, T0)
    await t.converge()
    expect(t.lock.code(1)).toBeNull()
    expect(t.repo.codes.get('ac1')!.status).toBe('unset')
    expect(t.timers.nextAt()).toBe(T0 + HOUR)
    await t.tick(HOUR - 1)
    expect(t.lock.code(1)).toBeNull()
    await t.tick(1)
    expect(t.lock.code(1)).toBe('1357')
    expect(t.repo.codes.get('ac1')!.status).toBe('set')
    expect(t.timers.nextAt()).toBe(T0 + 2 * HOUR)
    await t.tick(HOUR)
    expect(t.lock.code(1)).toBeNull()
    expect(t.repo.codes.get('ac1')).toMatchObject({ status: 'unset', slot: null })
    expect(t.repo.eventTypes({ accessCodeId: 'ac1' })).toEqual(['access_code.set_on_device', 'access_code.removed_from_device'])
  })

  it('external change is restored by default and reported', async () => {
    const t = setup()
    t.repo.putCode('dev1', { accessCodeId: 'ac1', code: '1357' })
    await t.converge()
    t.lock.set(1, '9999')
    t.r.onDeviceEvent('dev1', { type: 'slotChanged', nativeId: 'lock-1', slot: 1, code: '9999', source: 'keypad' })
    await t.r.idle()
    expect(t.lock.code(1)).toBe('1357')
    const c = t.repo.codes.get('ac1')!
    expect(c.status).toBe('set')
    expect(c.errors).toMatchObject([{ code: 'conflicting_external_modification', change_type: 'modified', modified_fields: [{ field: 'code', from: '1357', to: '9999' }] }])
    const ev = t.repo.events.find((e) => e.event_type === 'access_code.modified_external_to_seam')
    expect(ev).toMatchObject({ access_code_id: 'ac1', change_type: 'modified', resolution: 'restore' })

    t.lock.set(1, null)
    t.r.onDeviceEvent('dev1', { type: 'slotChanged', nativeId: 'lock-1', slot: 1, code: null, source: 'app' })
    await t.r.idle()
    expect(t.lock.code(1)).toBe('1357')
    expect(t.repo.events.filter((e) => e.event_type === 'access_code.modified_external_to_seam').map((e) => e.change_type)).toEqual(['modified', 'removed'])
  })

  it('external change is adopted when allowed: no write, warning, desired follows the device', async () => {
    const t = setup()
    t.repo.putCode('dev1', { accessCodeId: 'ac1', code: '1357', allowExternalModification: true })
    await t.converge()
    const callsBefore = t.lock.calls.length
    t.lock.set(1, '2468')
    t.r.onDeviceEvent('dev1', { type: 'slotChanged', nativeId: 'lock-1', slot: 1, code: '2468', source: 'keypad' })
    await t.r.idle()
    expect(t.lock.code(1)).toBe('2468')
    expect(t.lock.calls.slice(callsBefore)).toEqual(['read'])
    expect(t.repo.codes.get('ac1')).toMatchObject({ code: '2468', status: 'set', warnings: [{ code: 'external_modification_in_effect' }] })
    // The next pass sees nothing new.
    await t.converge()
    expect(t.repo.events.filter((e) => e.event_type === 'access_code.modified_external_to_seam')).toHaveLength(1)
  })

  it('transient failures are retried and never read as external modification', async () => {
    const t = setup()
    t.repo.putCode('dev1', { accessCodeId: 'ac1', code: '1357' })
    await t.converge()
    // API changes the PIN; the write times out, then the read-back after the next write times out.
    t.repo.putCode('dev1', { accessCodeId: 'ac1', code: '2468' })
    let failWrite = true
    let failReadBack = true
    let wrote = false
    t.lock.failCall = (call) => {
      if (call === 'write 1 2468') {
        if (failWrite) {
          failWrite = false
          return new TransientDeviceError('timeout')
        }
        wrote = true
      }
      if (call === 'read' && wrote && failReadBack) {
        failReadBack = false
        return new TransientDeviceError('timeout')
      }
      return undefined
    }
    await t.converge()
    expect(t.lock.code(1)).toBe('1357')
    expect(t.repo.codes.get('ac1')!.status).toBe('setting')
    await t.tick(8_000)
    // Written, but the read-back timed out: nothing is claimed either way.
    expect(t.lock.code(1)).toBe('2468')
    expect(t.repo.codes.get('ac1')!.status).toBe('setting')
    await t.tick(8_000)
    expect(t.lock.code(1)).toBe('2468')
    expect(t.repo.codes.get('ac1')).toMatchObject({ status: 'set', errors: [] })
    expect(t.repo.eventTypes().filter((e) => e.includes('external'))).toEqual([])
    // An unreadable slot is not an empty one either.
    t.lock.unreadable.add(1)
    await t.converge()
    expect(t.repo.codes.get('ac1')!.status).toBe('unknown')
    expect(t.lock.calls.at(-1)).toBe('read')
    t.lock.unreadable.clear()
    await t.tick(8_000)
    expect(t.repo.codes.get('ac1')!.status).toBe('set')
    expect(t.repo.eventTypes({ accessCodeId: 'ac1' })).toEqual(['access_code.set_on_device', 'access_code.set_on_device'])
    expect(t.repo.eventTypes().filter((e) => e.includes('external'))).toEqual([])
  })

  it('breaker opens after repeated failures, stops hammering, half-opens after the cool-down, closes on success', async () => {
    const t = setup()
    t.lock.down = true
    t.repo.putCode('dev1', { accessCodeId: 'ac1', code: '1357' })
    await t.converge()
    await t.tick(8_000)
    expect(t.repo.deviceErrors('dev1')).toEqual([])
    await t.tick(8_000)
    expect(t.lock.calls).toHaveLength(3)
    expect(t.repo.deviceErrors('dev1')).toEqual(['device_disconnected'])
    // Open: neither time nor pokes cause calls.
    t.r.poke('dev1')
    await t.r.idle()
    await t.tick(50_000)
    expect(t.lock.calls).toHaveLength(3)
    // Half-open: exactly one trial, which fails and re-opens.
    await t.tick(10_000)
    expect(t.lock.calls).toHaveLength(4)
    await t.tick(30_000)
    expect(t.lock.calls).toHaveLength(4)
    t.lock.down = false
    await t.tick(30_000)
    expect(t.lock.code(1)).toBe('1357')
    expect(t.repo.deviceErrors('dev1')).toEqual([])
    expect(t.repo.codes.get('ac1')!.status).toBe('set')
  })

  it('a failing store is retried but does not open the device breaker', async () => {
    const t = setup()
    t.repo.putCode('dev1', { accessCodeId: 'ac1', code: '1357' })
    const real = t.repo.desiredFor.bind(t.repo)
    let broken = true
    t.repo.desiredFor = async (id) => {
      if (broken) throw new Error('SQLITE_BUSY')
      return real(id)
    }
    await t.converge()
    for (let i = 0; i < 5; i++) await t.tick(8_000)
    expect(t.repo.deviceErrors('dev1')).toEqual([])
    broken = false
    await t.converge()
    expect(t.lock.code(1)).toBe('1357')
  })

  it('one rejected code gets its own error and does not block the others; it is not hammered', async () => {
    const t = setup()
    t.lock.rejectPins.set('1357', 'bad_format')
    t.repo.putCode('dev1', { accessCodeId: 'ac1', code: '1357' })
    t.repo.putCode('dev1', { accessCodeId: 'ac2', code: '2468' })
    await t.converge()
    expect(t.repo.codes.get('ac2')!.status).toBe('set')
    expect(t.repo.codes.get('ac1')).toMatchObject({ status: 'setting', errors: [{ code: 'failed_to_set_on_device' }] })
    expect(t.repo.eventTypes({ accessCodeId: 'ac1' })).toEqual(['access_code.failed_to_set_on_device'])
    const writes = () => t.lock.calls.filter((c) => c === 'write 1 1357' || c.endsWith(' 1357')).length
    expect(writes()).toBe(1)
    await t.converge()
    await t.tick(60_000)
    expect(writes()).toBe(1)
    expect(t.repo.eventTypes({ accessCodeId: 'ac1' })).toEqual(['access_code.failed_to_set_on_device'])
    // After the hold, one more try; a new PIN from the API is tried at once.
    await t.tick(10 * 60_000)
    expect(writes()).toBe(2)
    t.repo.putCode('dev1', { accessCodeId: 'ac1', code: '1122' })
    await t.converge()
    expect(t.repo.codes.get('ac1')).toMatchObject({ status: 'set', errors: [] })
  })

  it('no free slot: no_space on that code alone', async () => {
    const t = setup({ slots: 1 })
    t.repo.putCode('dev1', { accessCodeId: 'ac1', code: '1357' })
    t.repo.putCode('dev1', { accessCodeId: 'ac2', code: '2468' })
    await t.converge()
    expect(t.repo.codes.get('ac1')!.status).toBe('set')
    expect(t.repo.codes.get('ac2')!.errors).toMatchObject([{ code: 'no_space_for_access_code_on_device' }])
    expect(t.lock.calls.filter((c) => c.includes('2468'))).toEqual([])
  })

  it('an unmanaged code in a free slot is reported and never touched; its PIN is a duplicate', async () => {
    const t = setup()
    t.lock.set(1, '5555', 'Cleaner')
    t.repo.putCode('dev1', { accessCodeId: 'ac1', code: '1357' })
    t.repo.putCode('dev1', { accessCodeId: 'ac2', code: '5555' })
    await t.converge()
    expect(t.lock.code(1)).toBe('5555')
    expect(t.lock.code(2)).toBe('1357')
    expect(t.repo.unmanaged('dev1')).toEqual([{ slot: 1, code: '5555', name: 'Cleaner' }])
    expect(t.repo.eventTypes()).toContain('access_code.unmanaged.created')
    expect(t.repo.codes.get('ac2')!.errors).toMatchObject([{ code: 'duplicate_code_on_device', unmanaged_slot: 1 }])
    expect(t.lock.calls.filter((c) => c.startsWith('write') || c.startsWith('clear'))).toEqual(['write 2 1357'])
    await t.converge()
    await t.converge()
    expect(t.lock.calls.filter((c) => c.startsWith('write') || c.startsWith('clear'))).toEqual(['write 2 1357'])
    expect(t.repo.eventTypes().filter((e) => e === 'access_code.unmanaged.created')).toHaveLength(1)
  })

  it('offline device: device_offline, no attempts until online', async () => {
    const t = setup()
    t.r.onDeviceEvent('dev1', { type: 'offline', nativeId: 'lock-1' })
    await t.r.idle()
    expect(t.repo.deviceErrors('dev1')).toEqual(['device_offline'])
    t.repo.putCode('dev1', { accessCodeId: 'ac1', code: '1357' })
    await t.converge()
    await t.tick(HOUR)
    expect(t.lock.calls).toEqual([])
    t.r.onDeviceEvent('dev1', { type: 'online', nativeId: 'lock-1' })
    await t.r.idle()
    expect(t.repo.deviceErrors('dev1')).toEqual([])
    expect(t.lock.code(1)).toBe('1357')
    expect(t.repo.eventTypes()).toEqual(expect.arrayContaining(['device.disconnected', 'device.connected']))
  })

  it('lock and keypad events become Seam events naming the managed code', async () => {
    const t = setup()
    t.repo.putCode('dev1', { accessCodeId: 'ac1', code: '1357' })
    await t.converge()
    t.r.onDeviceEvent('dev1', { type: 'lockStateChanged', nativeId: 'lock-1', locked: false, method: 'keycode', slot: 1 })
    t.r.onDeviceEvent('dev1', { type: 'keypadUsed', nativeId: 'lock-1', granted: false, code: '0000' })
    t.r.onDeviceEvent('dev1', { type: 'keypadUsed', nativeId: 'lock-1', granted: true, slot: 1 })
    await t.r.idle()
    expect(t.repo.events.filter((e) => e.event_type.startsWith('lock.'))).toMatchObject([
      { event_type: 'lock.unlocked', method: 'keycode', access_code_id: 'ac1', slot: 1 },
      { event_type: 'lock.access_denied', code: '0000' },
    ])
  })

  it('one failing device does not hold up another; concurrency is bounded', async () => {
    const t = setup({ concurrency: 2 })
    const bad = t.driver.add('lock-bad')
    bad.down = true
    t.routes.set('bad', { driver: t.driver, nativeId: 'lock-bad' })
    let inFlight = 0
    let maxInFlight = 0
    const real = t.driver.readSlots.bind(t.driver)
    t.driver.readSlots = async (id) => {
      inFlight++
      maxInFlight = Math.max(maxInFlight, inFlight)
      await new Promise((r) => setImmediate(r))
      try {
        return await real(id)
      } finally {
        inFlight--
      }
    }
    for (let i = 0; i < 4; i++) {
      t.driver.add(`lock-${i + 10}`)
      t.routes.set(`d${i}`, { driver: t.driver, nativeId: `lock-${i + 10}` })
      t.repo.putCode(`d${i}`, { accessCodeId: `c${i}`, code: `${4000 + i}` })
    }
    t.repo.putCode('bad', { accessCodeId: 'cb', code: '9999' })
    t.r.poke('bad')
    for (let i = 0; i < 4; i++) t.r.poke(`d${i}`)
    await t.r.idle()
    for (let i = 0; i < 4; i++) expect(t.repo.codes.get(`c${i}`)!.status).toBe('set')
    expect(maxInFlight).toBe(2)
    expect(t.repo.codes.get('cb')!.status).toBe('setting')
  })

  it('a poke during a pass runs one more pass; stop() waits for the pass in flight', async () => {
    const t = setup()
    let release!: () => void
    t.lock.gateBefore = new Promise<void>((r) => (release = r))
    t.repo.putCode('dev1', { accessCodeId: 'ac1', code: '1357' })
    t.r.poke('dev1')
    await new Promise((r) => setImmediate(r))
    t.repo.putCode('dev1', { accessCodeId: 'ac2', code: '2468' })
    t.r.poke('dev1')
    t.r.poke('dev1')
    let stopped = false
    const first = t.r.idle().then(() => (stopped = true))
    await new Promise((r) => setImmediate(r))
    expect(stopped).toBe(false)
    t.lock.gateBefore = null
    release()
    await first
    expect(t.repo.codes.get('ac2')!.status).toBe('set')
    expect(t.lock.calls.filter((c) => c === 'read').length).toBe(4) // two passes, each read + read-back

    t.lock.gateBefore = new Promise<void>((r) => (release = r))
    t.r.poke('dev1')
    await new Promise((r) => setImmediate(r))
    let done = false
    const stopping = t.r.stop().then(() => (done = true))
    await new Promise((r) => setImmediate(r))
    expect(done).toBe(false)
    release()
    await stopping
    expect(done).toBe(true)
    t.r.poke('dev1')
    await t.r.idle()
    expect(t.timers.size).toBe(0)
  })

  it('start() looks at devices left dirty before a restart', async () => {
    const t = setup()
    t.repo.putCode('dev1', { accessCodeId: 'ac1', code: '1357' })
    await t.r.start()
    await t.r.idle()
    expect(t.lock.code(1)).toBe('1357')
    expect(t.repo.isDirty('dev1')).toBe(false)
  })
})
