// The reconciler feeds the metrics the daemon exports: reconcile lag per device and the breaker state.
import { describe, expect, it } from 'vitest'
import { ManualClock } from '../../../src/kernel/clock.js'
import { seededRandom } from '../../../src/kernel/ids.js'
import { MemoryRepo } from '../../helpers/memory-repo.js'
import { Reconciler, type ReconcilerObserver } from '../../../src/reconcile/reconciler.js'
import type { BreakerState } from '../../../src/reconcile/breaker.js'
import { Metrics } from '../../../src/metrics.js'
import { Store } from '../../../src/store/store.js'
import { FakeLockDriver } from '../../helpers/fake-lock-driver.js'
import { FakeTimers } from '../../helpers/fake-timers.js'

const T0 = Date.parse('2026-03-01T12:00:00Z')

function setup(observer: ReconcilerObserver) {
  const clock = new ManualClock(T0)
  const timers = new FakeTimers(clock)
  const repo = new MemoryRepo()
  const driver = new FakeLockDriver()
  const lock = driver.add('lock-1', 4)
  const r = new Reconciler({
    repo,
    route: (id) => (id === 'dev1' ? { driver, nativeId: 'lock-1' } : undefined),
    clock,
    random: seededRandom('metrics-test'),
    timers,
    concurrency: 2,
    breaker: { failureThreshold: 2, coolDownMs: 60_000 },
    backoff: { baseMs: 1_000, maxMs: 4_000 },
    observer,
  })
  const tick = async (ms: number) => {
    timers.advance(ms)
    await r.idle()
  }
  return { clock, repo, lock, r, tick }
}

describe('reconciler metrics', () => {
  it('reports the lag from dirty to converged, and every breaker transition', async () => {
    const lags: [string, number][] = []
    const breaker: [string, BreakerState][] = []
    const t = setup({ reconcileLag: (d, s) => lags.push([d, s]), breakerState: (d, s) => breaker.push([d, s]) })

    // Converges in its first pass: lag 0 on a clock that did not move.
    t.repo.putCode('dev1', { accessCodeId: 'ac1', code: '1357' })
    t.r.poke('dev1')
    await t.r.idle()
    expect(lags).toEqual([['dev1', 0]])

    // A device that keeps failing: the breaker opens, half-opens after the cool-down, closes on success,
    // and the lag covers the whole outage.
    t.lock.down = true
    t.repo.putCode('dev1', { accessCodeId: 'ac2', code: '2468' })
    t.r.poke('dev1')
    await t.r.idle()
    expect(t.r.trippedBreakers()).toEqual([])
    await t.tick(4_000)
    expect(breaker).toEqual([['dev1', 'open']])
    expect(t.r.trippedBreakers()).toEqual(['dev1']) // what /health counts
    t.lock.down = false
    await t.tick(60_000)
    expect(breaker).toEqual([['dev1', 'open'], ['dev1', 'half_open'], ['dev1', 'closed']])
    expect(t.r.trippedBreakers()).toEqual([])
    expect(t.repo.codes.get('ac2')!.status).toBe('set')
    expect(lags).toHaveLength(2)
    expect(lags[1]![1]).toBeGreaterThanOrEqual(60)
  })

  it('the daemon metrics expose them as gauges', async () => {
    const store = Store.open(':memory:', new ManualClock(T0), seededRandom('m'))
    const metrics = new Metrics(store, { defaultMetrics: false })
    const t = setup(metrics)
    t.repo.putCode('dev1', { accessCodeId: 'ac1', code: '1357' })
    t.clock.advance(0)
    t.r.poke('dev1')
    await t.r.idle()
    t.lock.down = true
    t.repo.putCode('dev1', { accessCodeId: 'ac2', code: '2468' })
    t.r.poke('dev1')
    await t.r.idle()
    await t.tick(4_000)
    const text = await metrics.text()
    expect(text).toMatch(/lockstep_reconcile_lag_seconds\{device_id="dev1"\} 0/)
    expect(text).toMatch(/lockstep_breaker_state\{device_id="dev1"\} 2/)
    store.close()
  })
})
