// The per-device work queue (controller-runtime style). A poke says "look at this device again"; pokes
// for a device already queued are one (dedupe), a poke while its pass runs runs it once more afterwards,
// and at most `concurrency` passes run at once across devices. After each pass the queue decides when
// to look again: at the time the pass asked for, or — when the pass failed or did not converge — after
// a jittered backoff; a device that keeps failing trips its circuit breaker and is left alone for the
// cool-down (rule 4). Wake-ups may be years away (kernel/timers.ts caps each wait).
import type { Clock } from '../kernel/clock.js'
import type { Random } from '../kernel/ids.js'
import { wakeAt, type Timers, type WakeUp } from '../kernel/timers.js'
import { backoffDelay, type BackoffOptions } from './backoff.js'
import { Breaker, type BreakerOptions, type BreakerState } from './breaker.js'
import { DeviceCallFailed } from './device-call.js'
import { minOf, type PassResult } from './pass.js'

export interface WorkQueueOptions {
  clock: Clock
  timers: Timers
  random: Pick<Random, 'int'>
  concurrency: number
  breaker: BreakerOptions
  backoff: BackoffOptions
  /** Is the device one to reconcile now (a driver speaks to it)? If not, a poke does nothing. */
  canRun: (deviceId: string) => boolean
  /** One pass over the device; throws when it could not finish (nothing of it is recorded as verdicts). */
  work: (deviceId: string) => Promise<PassResult>
  /** After every pass, failed or not (the device errors follow the breaker). Failures are logged. */
  afterPass: (deviceId: string) => Promise<void>
  breakerChanged: (deviceId: string, state: BreakerState) => void
  /** A converged pass ended a dirty spell that began at `dirtySince` (clock ms). */
  converged: (deviceId: string, dirtySince: number) => void
  log: (msg: string, detail?: Record<string, unknown>) => void
}

/** The queue's view of one device. */
interface Entry {
  breaker: Breaker
  /** Consecutive passes that failed or did not converge: drives the backoff. */
  attempt: number
  /** Offline: pokes wait for the device to come back (its `online` pokes again). */
  paused: boolean
  queued: boolean
  running: boolean
  /** Poked while running: run once more afterwards. */
  pokedWhileRunning: boolean
  wake: WakeUp | undefined
  /** Clock time of the first poke since the last converged pass (null = in step, as far as we know). */
  dirtySince: number | null
  /** Breaker state last reported. */
  shownBreaker: BreakerState
}

export class WorkQueue {
  private readonly entries = new Map<string, Entry>()
  private readonly waiting: string[] = []
  private running = 0
  private stopped = false
  private idleWaiters: (() => void)[] = []

  constructor(private readonly opts: WorkQueueOptions) {}

  /** Something about this device may have changed: run a pass soon. */
  poke(deviceId: string): void {
    if (this.stopped) return
    const e = this.entry(deviceId)
    e.dirtySince ??= this.opts.clock.now()
    if (e.paused) return
    if (e.running) {
      e.pokedWhileRunning = true
      return
    }
    if (e.queued) return
    e.queued = true
    this.waiting.push(deviceId)
    this.pump()
  }

  /** The device went offline: no passes, no wake-ups until resume(). */
  pause(deviceId: string): void {
    const e = this.entry(deviceId)
    e.paused = true
    this.cancelWake(e)
  }

  resume(deviceId: string): void {
    this.entry(deviceId).paused = false
  }

  isPaused(deviceId: string): boolean {
    return this.entries.get(deviceId)?.paused ?? false
  }

  /** Devices whose breaker is not closed (open, or half-open while one probe runs). */
  trippedBreakers(): string[] {
    return [...this.entries].filter(([, e]) => e.breaker.state !== 'closed').map(([id]) => id)
  }

  breakerState(deviceId: string): BreakerState {
    return this.entries.get(deviceId)?.breaker.state ?? 'closed'
  }

  /** Resolves when no pass is running or waiting (wake-ups may be pending). */
  async idle(): Promise<void> {
    while (this.running !== 0 || this.waiting.length !== 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve))
  }

  /** Stop scheduling: drop what waits, cancel wake-ups; passes in flight finish (see idle()). */
  stop(): void {
    this.stopped = true
    this.waiting.length = 0
    for (const e of this.entries.values()) {
      e.queued = false
      this.cancelWake(e)
    }
    this.notifyIdle()
  }

  private entry(deviceId: string): Entry {
    let e = this.entries.get(deviceId)
    if (!e) {
      e = {
        breaker: new Breaker(this.opts.clock, this.opts.breaker),
        attempt: 0, paused: false, queued: false, running: false, pokedWhileRunning: false,
        wake: undefined, dirtySince: null, shownBreaker: 'closed',
      }
      this.entries.set(deviceId, e)
    }
    return e
  }

  private pump(): void {
    while (!this.stopped && this.running < this.opts.concurrency && this.waiting.length > 0) {
      const id = this.waiting.shift()!
      const e = this.entry(id)
      e.queued = false
      e.running = true
      this.running++
      void this.process(id, e).finally(() => {
        e.running = false
        this.running--
        if (e.pokedWhileRunning) {
          e.pokedWhileRunning = false
          this.poke(id)
        }
        this.pump()
        this.notifyIdle()
      })
    }
  }

  private notifyIdle(): void {
    if (this.running !== 0 || this.waiting.length !== 0) return
    const waiters = this.idleWaiters
    this.idleWaiters = []
    for (const w of waiters) w()
  }

  private async process(deviceId: string, e: Entry): Promise<void> {
    if (this.stopped || e.paused || !this.opts.canRun(deviceId)) return
    const acquired = e.breaker.tryAcquire()
    this.reportBreaker(deviceId, e)
    if (!acquired) {
      // Open: no hammering. Come back when the cool-down allows one trial.
      this.requeueAt(deviceId, e, e.breaker.retryAt)
      return
    }
    const { clock } = this.opts
    try {
      const result = await this.opts.work(deviceId)
      e.breaker.success()
      this.reportBreaker(deviceId, e)
      await this.opts.afterPass(deviceId)
      const asked = result.requeueAfter === null ? null : clock.now() + result.requeueAfter
      if (result.converged) {
        e.attempt = 0
        if (e.dirtySince !== null && !e.pokedWhileRunning) {
          this.opts.converged(deviceId, e.dirtySince)
          e.dirtySince = null
        }
        this.requeueAt(deviceId, e, asked)
      } else {
        // The device answered but is not in step yet (ignored a write, a slot unreadable): look again later.
        e.attempt++
        this.requeueAt(deviceId, e, minOf(this.backoffUntil(e), asked))
      }
    } catch (err) {
      // Transient (timeout, offline, broker down) or unexpected. Only the device's failures count
      // towards its breaker; a store failure is retried without blaming the device.
      this.opts.log('reconciler: pass failed', { deviceId, err: String(err) })
      e.attempt++
      if (err instanceof DeviceCallFailed) e.breaker.failure()
      else e.breaker.release()
      this.reportBreaker(deviceId, e)
      try {
        await this.opts.afterPass(deviceId)
      } catch (afterErr) {
        this.opts.log('reconciler: could not record device errors', { deviceId, err: String(afterErr) })
      }
      this.requeueAt(deviceId, e, Math.max(this.backoffUntil(e), e.breaker.retryAt ?? 0))
    }
  }

  private backoffUntil(e: Entry): number {
    return this.opts.clock.now() + backoffDelay(e.attempt, this.opts.random, this.opts.backoff)
  }

  private requeueAt(deviceId: string, e: Entry, at: number | null): void {
    this.cancelWake(e)
    if (at === null || this.stopped || e.paused) return
    e.wake = wakeAt(this.opts.clock, this.opts.timers, at, () => {
      e.wake = undefined
      this.poke(deviceId)
    })
  }

  private cancelWake(e: Entry): void {
    e.wake?.cancel()
    e.wake = undefined
  }

  private reportBreaker(deviceId: string, e: Entry): void {
    const state = e.breaker.state
    if (state === e.shownBreaker) return
    e.shownBreaker = state
    this.opts.breakerChanged(deviceId, state)
  }
}
