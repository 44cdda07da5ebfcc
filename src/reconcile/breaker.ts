// A per-device circuit breaker (design rule 4). After `failureThreshold` consecutive failed passes the
// device is left alone for `coolDownMs` (open); then one trial pass is allowed (half-open). A success
// closes it; a failed trial re-opens it for another cool-down. Time comes from the injected Clock.
import type { Clock } from '../kernel/clock.js'

export interface BreakerOptions {
  failureThreshold: number
  coolDownMs: number
}

export const defaultBreaker: BreakerOptions = { failureThreshold: 5, coolDownMs: 60_000 }

export type BreakerState = 'closed' | 'open' | 'half_open'

export class Breaker {
  private failures = 0
  private openedAt: number | null = null
  private trialInFlight = false

  constructor(
    private readonly clock: Clock,
    private readonly opts: BreakerOptions = defaultBreaker,
  ) {}

  get state(): BreakerState {
    if (this.openedAt === null) return 'closed'
    return this.clock.now() - this.openedAt >= this.opts.coolDownMs ? 'half_open' : 'open'
  }

  get consecutiveFailures(): number {
    return this.failures
  }

  /** When an open breaker will allow a trial; null when closed. */
  get retryAt(): number | null {
    return this.openedAt === null ? null : this.openedAt + this.opts.coolDownMs
  }

  /** May a pass start now? In half-open, only one trial at a time. */
  tryAcquire(): boolean {
    const s = this.state
    if (s === 'closed') return true
    if (s === 'open' || this.trialInFlight) return false
    this.trialInFlight = true
    return true
  }

  success(): void {
    this.failures = 0
    this.openedAt = null
    this.trialInFlight = false
  }

  /** The pass ended without a verdict on the device (e.g. the store failed): free a half-open trial. */
  release(): void {
    this.trialInFlight = false
  }

  /** Returns true when this failure opened (or re-opened) the breaker. */
  failure(): boolean {
    this.failures++
    const wasTrial = this.trialInFlight
    this.trialInFlight = false
    if (wasTrial || (this.openedAt === null && this.failures >= this.opts.failureThreshold)) {
      this.openedAt = this.clock.now()
      return true
    }
    return false
  }
}
