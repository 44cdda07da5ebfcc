// Issue 12, defect 1: schedules further ahead than setTimeout can count (2^31 − 1 ms ≈ 24.8 days).
// The fake timers here behave as Node's do on overflow: a TimeoutOverflowWarning and a 1 ms delay, so
// an uncapped wake-up turns into the busy loop a real daemon showed.
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ManualClock } from '../../../src/kernel/clock.js'
import { seededRandom } from '../../../src/kernel/ids.js'
import { MAX_TIMEOUT_MS, realTimers, wakeAt } from '../../../src/kernel/timers.js'
import { Reconciler, type DeviceRoute } from '../../../src/reconcile/reconciler.js'
import { FakeLockDriver } from '../../helpers/fake-lock-driver.js'
import { FakeTimers } from '../../helpers/fake-timers.js'
import { MemoryRepo } from '../../helpers/memory-repo.js'

const T0 = Date.parse('2026-03-01T12:00:00Z')
const DAY = 24 * 3_600_000

/** FakeTimers with Node's overflow rule, counting how often a timer fired. */
class NodeLikeFakeTimers extends FakeTimers {
  fired = 0
  override setTimeout(fn: () => void, ms: number): unknown {
    let delay = ms
    if (!(delay >= 1 && delay <= MAX_TIMEOUT_MS)) {
      if (delay > MAX_TIMEOUT_MS) process.emitWarning(`${delay} does not fit into a 32-bit signed integer.`, 'TimeoutOverflowWarning')
      delay = 1
    }
    return super.setTimeout(() => {
      this.fired++
      fn()
    }, delay)
  }
}

let warnings: Error[] = []
const onWarning = (w: Error) => warnings.push(w)
beforeEach(() => {
  warnings = []
  process.on('warning', onWarning)
})
afterEach(() => {
  process.off('warning', onWarning)
})
/** process.emitWarning delivers on the next tick. */
const flushWarnings = () => new Promise<void>((r) => setImmediate(r))

describe('wakeAt (kernel timer)', () => {
  it('waits years on real timers without an overflow warning', async () => {
    const w = wakeAt({ now: () => Date.now() }, realTimers, Date.now() + 5 * 365 * DAY, () => {
      throw new Error('must not fire')
    })
    await flushWarnings()
    w.cancel()
    expect(warnings.filter((x) => x.name === 'TimeoutOverflowWarning')).toEqual([])
  })

  it('fires at the instant, after re-arming once per step, and not after cancel', () => {
    const clock = new ManualClock(T0)
    const timers = new NodeLikeFakeTimers(clock)
    let firedAt: number | null = null
    wakeAt(clock, timers, T0 + 365 * DAY + 5, () => (firedAt = clock.now()))
    timers.advance(365 * DAY + 4)
    expect(firedAt).toBeNull()
    expect(timers.fired).toBe(365)
    timers.advance(1)
    expect(firedAt).toBe(T0 + 365 * DAY + 5)
    const w = wakeAt(clock, timers, clock.now() + 10 * DAY, () => (firedAt = -1))
    timers.advance(DAY + 1)
    w.cancel()
    timers.advance(20 * DAY)
    expect(firedAt).not.toBe(-1)
    expect(timers.size).toBe(0)
  })

  it('honours a clock moved forward at the next step', () => {
    const clock = new ManualClock(T0)
    const timers = new FakeTimers(clock)
    let fired = false
    wakeAt(clock, timers, T0 + 30 * DAY, () => (fired = true))
    clock.advance(30 * DAY) // the lab's clock/advance moves time without firing timers
    timers.advance(DAY)
    expect(fired).toBe(true)
  })
})

describe('reconciler with codes far ahead', () => {
  const aheads = [
    ['25 days', 25 * DAY],
    ['1 year', 365 * DAY],
    ['5 years', 5 * 365 * DAY + DAY],
  ] as const

  it.each(aheads)('a code %s ahead: no overflow, few wake-ups while idle, set when it starts', async (_label, ahead) => {
    const clock = new ManualClock(T0)
    const timers = new NodeLikeFakeTimers(clock)
    const repo = new MemoryRepo()
    const driver = new FakeLockDriver()
    const lock = driver.add('lock-1', 4)
    const routes = new Map<string, DeviceRoute>([['dev1', { driver, nativeId: 'lock-1' }]])
    const r = new Reconciler({ repo, route: (id) => routes.get(id), clock, random: seededRandom('far'), timers })
    const startsAt = T0 + ahead
    // A plain code, and the code a code-mode access grant with the same window creates for its device.
    repo.putCode('dev1', { accessCodeId: 'ac-far', code: '4826', startsAt, endsAt: startsAt + 3 * DAY }, T0)
    repo.putCode('dev1', { accessCodeId: 'ac-grant', code: '5937', name: 'grant', startsAt: startsAt + 1000, endsAt: startsAt + 2 * DAY }, T0)
    r.poke('dev1')
    await r.idle()
    expect(repo.codes.get('ac-far')!.status).toBe('unset')

    // One simulated idle day, in hourly steps so passes (if any) run in between.
    const callsBefore = lock.calls.length
    timers.fired = 0
    for (let h = 0; h < 24; h++) {
      timers.advance(3_600_000)
      await r.idle()
    }
    await flushWarnings()
    expect(warnings.filter((x) => x.name === 'TimeoutOverflowWarning')).toEqual([])
    expect(timers.fired).toBeLessThanOrEqual(2)
    expect(lock.calls.length - callsBefore).toBeLessThanOrEqual(2)
    expect(lock.pins()).toEqual([])

    // Jump to just before starts_at (a day at a time, as the capped timer wakes), then cross it.
    while (clock.now() < startsAt - DAY) {
      timers.advance(Math.min(DAY, startsAt - DAY - clock.now()))
      await r.idle()
    }
    timers.advance(startsAt - 1 - clock.now())
    await r.idle()
    expect(lock.pins()).toEqual([])
    timers.advance(1)
    await r.idle()
    expect(lock.pins()).toEqual(['4826'])
    expect(repo.codes.get('ac-far')!.status).toBe('set')
    timers.advance(1000)
    await r.idle()
    expect(lock.pins().sort()).toEqual(['4826', '5937'])
    expect(repo.codes.get('ac-grant')!.status).toBe('set')
    await flushWarnings()
    expect(warnings.filter((x) => x.name === 'TimeoutOverflowWarning')).toEqual([])
    await r.stop()
  })
})
