import { describe, expect, it } from 'vitest'
import { ManualClock } from '../../../src/kernel/clock.js'
import { seededRandom } from '../../../src/kernel/ids.js'
import { backoffDelay } from '../../../src/reconcile/backoff.js'
import { Breaker } from '../../../src/reconcile/breaker.js'

describe('Breaker', () => {
  it('opens after N consecutive failures, half-opens after the cool-down, closes on success', () => {
    const clock = new ManualClock(0)
    const b = new Breaker(clock, { failureThreshold: 3, coolDownMs: 1000 })
    expect(b.failure()).toBe(false)
    expect(b.failure()).toBe(false)
    expect(b.state).toBe('closed')
    expect(b.failure()).toBe(true)
    expect(b.state).toBe('open')
    expect(b.tryAcquire()).toBe(false)
    expect(b.retryAt).toBe(1000)
    clock.advance(999)
    expect(b.tryAcquire()).toBe(false)
    clock.advance(1)
    expect(b.state).toBe('half_open')
    expect(b.tryAcquire()).toBe(true)
    expect(b.tryAcquire()).toBe(false) // one trial at a time
    b.success()
    expect(b.state).toBe('closed')
    expect(b.consecutiveFailures).toBe(0)
  })

  it('a failed trial re-opens for a fresh cool-down', () => {
    const clock = new ManualClock(0)
    const b = new Breaker(clock, { failureThreshold: 1, coolDownMs: 100 })
    b.failure()
    clock.advance(100)
    expect(b.tryAcquire()).toBe(true)
    expect(b.failure()).toBe(true)
    expect(b.state).toBe('open')
    expect(b.retryAt).toBe(200)
  })

  it('a success between failures resets the count', () => {
    const b = new Breaker(new ManualClock(0), { failureThreshold: 2, coolDownMs: 100 })
    b.failure()
    b.success()
    expect(b.failure()).toBe(false)
    expect(b.state).toBe('closed')
  })
})

describe('backoffDelay', () => {
  it('grows exponentially within [ceiling/2, ceiling] and respects the cap', () => {
    const r = seededRandom('backoff')
    const opts = { baseMs: 100, maxMs: 5000 }
    for (let attempt = 1; attempt <= 12; attempt++) {
      const ceiling = Math.min(5000, 100 * 2 ** (attempt - 1))
      for (let i = 0; i < 50; i++) {
        const d = backoffDelay(attempt, r, opts)
        expect(d).toBeGreaterThanOrEqual(Math.floor(ceiling / 2))
        expect(d).toBeLessThanOrEqual(ceiling)
      }
    }
    expect(backoffDelay(10_000, r, opts)).toBeLessThanOrEqual(5000)
  })

  it('jitters: delays for the same attempt differ across draws', () => {
    const r = seededRandom('jitter')
    const seen = new Set(Array.from({ length: 20 }, () => backoffDelay(5, r, { baseMs: 1000, maxMs: 60_000 })))
    expect(seen.size).toBeGreaterThan(5)
  })

  it('is deterministic under a seeded random', () => {
    const a = Array.from({ length: 5 }, (_, i) => backoffDelay(i + 1, seededRandom('s')))
    const b = Array.from({ length: 5 }, (_, i) => backoffDelay(i + 1, seededRandom('s')))
    expect(a).toEqual(b)
  })
})
