// Watches for codes late reaching or leaving their lock (src/app/code-delays.ts): looks when a code changes
// (an access_code event committed), when the lab clock moves, and at the next instant a wait can run out.
// Idle means one far timer and no writes.
import type { DaemonBus } from '../bus.js'
import { flagDelayedCodes } from '../app/code-delays.js'
import type { Clock } from '../kernel/clock.js'
import type { Service } from '../kernel/service.js'
import { realTimers, wakeAt, type Timers, type WakeUp } from '../kernel/timers.js'
import type { Store } from '../store/store.js'

/** Many code events in a row (a push of thousands) cost one look, this long after the first. */
const COALESCE_MS = 250

export class CodeDelayWatch implements Service {
  readonly name = 'code delay watch'
  private wake: WakeUp | undefined
  private soon: unknown
  private stopped = false

  constructor(private readonly deps: { store: Store; bus: DaemonBus; clock: Clock; thresholdMs: number; timers?: Timers; log?: (msg: string, err: unknown) => void }) {}

  private get timers(): Timers {
    return this.deps.timers ?? realTimers
  }

  start(): void {
    const { bus } = this.deps
    bus.on('event.committed', this, (e) => {
      if (typeof e.event_type === 'string' && e.event_type.startsWith('access_code.')) this.lookSoon()
    })
    bus.on('lab.clock_advanced', this, () => this.look())
    this.look()
  }

  stop(): void {
    this.stopped = true
    this.deps.bus.removeListeners(this)
    this.wake?.cancel()
    if (this.soon !== undefined) this.timers.clearTimeout(this.soon)
  }

  private lookSoon(): void {
    if (this.soon !== undefined || this.stopped) return
    this.soon = this.timers.setTimeout(() => {
      this.soon = undefined
      this.look()
    }, COALESCE_MS)
  }

  private look(): void {
    if (this.stopped) return
    this.wake?.cancel()
    this.wake = undefined
    let next: number | null = null
    try {
      next = flagDelayedCodes(this.deps.store, this.deps.thresholdMs)
    } catch (err) {
      this.deps.log?.('code delay watch failed', err)
      next = this.deps.clock.now() + this.deps.thresholdMs
    }
    if (next !== null) this.wake = wakeAt(this.deps.clock, this.timers, next, () => this.look())
  }
}
