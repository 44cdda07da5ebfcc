// The reconciler (design rule 2): per-device, level-triggered. Triggers only say "look again": poke()
// (an API change, a device event), a wake-up at the next starts_at/ends_at, a retry after backoff. What
// to do is always recomputed from desired + observed. The parts: queue.ts schedules (dedupe, concurrency,
// backoff, breaker, requeue), pass.ts runs one pass for one device, read-plan.ts says which slots it
// reads; this file wires them and turns device events into observations and Seam events.
import type { Clock } from '../kernel/clock.js'
import type { Random } from '../kernel/ids.js'
import { realTimers, type Timers } from '../kernel/timers.js'
import type { DeviceEvent } from '../ports/device-events.js'
import { defaultBackoff, type BackoffOptions } from './backoff.js'
import { defaultBreaker, type BreakerOptions, type BreakerState } from './breaker.js'
import type { DriftSettings } from './drift-check.js'
import { DeviceMemory, runPass, type DeviceRoute, type PassResult, type PassSettings } from './pass.js'
import { WorkQueue } from './queue.js'
import type { ReconcileRepo, ReconcilerDeviceError } from './repo.js'

export { realTimers, type Timers } from '../kernel/timers.js'
export type { DeviceRoute } from './pass.js'
export { defaultDriftSettings, type DriftSettings } from './drift-check.js'

/** What the reconciler reports as it works (the daemon passes its Prometheus metrics). */
export interface ReconcilerObserver {
  /** Seconds from the device becoming dirty (first poke since its last converged pass) to a converged pass. */
  reconcileLag(deviceId: string, seconds: number): void
  /** The device's circuit breaker changed state. */
  breakerState(deviceId: string, state: BreakerState): void
}

export interface ReconcilerOptions {
  repo: ReconcileRepo
  /** Seam device id → the driver that speaks to it; undefined = not (or no longer) a known online lock. */
  route: (deviceId: string) => DeviceRoute | undefined
  clock: Clock
  random: Pick<Random, 'int'>
  timers?: Timers
  /** Passes running at once across all devices. */
  concurrency?: number
  breaker?: BreakerOptions
  backoff?: BackoffOptions
  /**
   * A pass reads only the slots it needs (owned slots, slots an event named, candidates for new codes);
   * every slot is read once per this interval, to find unmanaged codes no event announced: on a device's
   * first pass unless the store remembers a full read younger than this (a restart). Default 24 h.
   */
  fullScanMs?: number
  /**
   * A slot read empty this recently (ms), with no event naming it and no gap in the device's event
   * stream since (offline, connection lost), is taken for a new code without reading it again; older
   * readings are re-read first. 0 (the default) = always read a free-looking slot just before using it.
   * The gap it leaves: a code added at a keypad that sends no programming event, inside the window.
   */
  trustEmptyMs?: number
  /** How long a write/clear the device rejected is left alone before one more try (doubles per repeat). */
  rejectionRetryMs?: number
  /**
   * How often each device's codes are read to catch drift, by what its driver says the lock reports
   * (drift-check.ts). Between checks a pass reads only what it needs; the owned slots' last readings
   * stand (defaultDriftSettings: daily for locks that report their changes, hourly for the others).
   * Absent or null: every pass reads the owned slots (no schedule).
   */
  drift?: DriftSettings | null
  /** Metrics: reconcile lag and breaker state per device. */
  observer?: ReconcilerObserver
  /** Called for failures worth a log line; the reconciler never throws them at callers. */
  log?: (msg: string, detail?: Record<string, unknown>) => void
}

export class Reconciler {
  private readonly repo: ReconcileRepo
  private readonly clock: Clock
  private readonly queue: WorkQueue
  private readonly passSettings: PassSettings
  private readonly memories = new Map<string, DeviceMemory>()
  /** Device errors last written per device (joined), so only a change is written. */
  private readonly shownErrors = new Map<string, string>()
  /** Store writes started by device events (not by a pass), awaited by idle(). */
  private readonly eventWrites = new Set<Promise<unknown>>()
  private stopped = false

  constructor(private readonly opts: ReconcilerOptions) {
    this.repo = opts.repo
    this.clock = opts.clock
    this.passSettings = {
      repo: opts.repo,
      clock: opts.clock,
      fullScanMs: opts.fullScanMs ?? 24 * 3_600_000,
      trustEmptyMs: opts.trustEmptyMs ?? 0,
      rejectionRetryMs: opts.rejectionRetryMs ?? 15 * 60_000,
      drift: opts.drift ?? null,
    }
    this.queue = new WorkQueue({
      clock: opts.clock,
      timers: opts.timers ?? realTimers,
      random: opts.random,
      concurrency: Math.max(1, opts.concurrency ?? 4),
      breaker: opts.breaker ?? defaultBreaker,
      backoff: opts.backoff ?? defaultBackoff,
      canRun: (deviceId) => opts.route(deviceId) !== undefined,
      work: (deviceId) => this.pass(deviceId),
      afterPass: (deviceId) => this.syncDeviceErrors(deviceId),
      breakerChanged: (deviceId, state) => opts.observer?.breakerState(deviceId, state),
      converged: (deviceId, dirtySince) => opts.observer?.reconcileLag(deviceId, Math.max(0, this.clock.now() - dirtySince) / 1000),
      log: (msg, detail) => opts.log?.(msg, detail),
    })
  }

  /** Look at every device the store says is dirty (desired changed before a crash or restart). */
  async start(): Promise<void> {
    for (const id of await this.repo.dirtyDevices()) this.poke(id)
  }

  /** Stop scheduling; wait for passes and event writes in flight. */
  async stop(): Promise<void> {
    this.stopped = true
    this.queue.stop()
    await this.idle()
  }

  /** Resolves when no pass is running or queued and event writes have settled (timers may be pending). */
  async idle(): Promise<void> {
    for (;;) {
      await this.queue.idle()
      if (this.eventWrites.size === 0) return
      await Promise.allSettled([...this.eventWrites])
    }
  }

  /** Something about this device may have changed: run a pass soon (coalesced if one is queued/running). */
  /** Devices the circuit breaker is keeping the reconciler away from (for /health). */
  trippedBreakers(): string[] {
    return this.queue.trippedBreakers()
  }

  poke(deviceId: string): void {
    this.queue.poke(deviceId)
  }

  /** Feed a driver's DeviceEvent, already mapped from its native id to the Seam device id. */
  onDeviceEvent(deviceId: string, event: DeviceEvent): void {
    if (this.stopped) return
    const memory = this.memory(deviceId)
    const at = this.clock.now()
    switch (event.type) {
      case 'online':
        if (this.queue.isPaused(deviceId)) {
          // Whatever happened while it was away went unannounced: one check of the lock.
          memory.checkedAt = null
          this.queue.resume(deviceId)
          this.recordEventWrite(this.repo.recordActivity(deviceId, { type: 'device.connected' }, at))
          this.recordEventWrite(this.syncDeviceErrors(deviceId))
        }
        this.poke(deviceId)
        break
      case 'offline':
        memory.known.distrustEmpties()
        if (!this.queue.isPaused(deviceId)) {
          this.queue.pause(deviceId)
          this.recordEventWrite(this.repo.recordActivity(deviceId, { type: 'device.disconnected' }, at))
          this.recordEventWrite(this.syncDeviceErrors(deviceId))
        }
        break
      case 'eventsMissed':
        // Whatever happened on the device meanwhile went unannounced: read before trusting a slot again,
        // and check the lock at its next pass (the next poke).
        memory.known.distrustEmpties()
        memory.checkedAt = null
        break
      case 'slotChanged':
        // The event's value is a hint; the pass reads the slot back before deciding (rule 3).
        if (Number.isInteger(event.slot)) memory.eventSlots.add(event.slot)
        else memory.scannedAt = null
        this.poke(deviceId)
        break
      case 'keypadUsed':
        // A granted entry is reported by the lockStateChanged that follows; a refusal has no other trace.
        if (!event.granted) {
          this.recordEventWrite(this.repo.recordActivity(deviceId, { type: 'lock.access_denied', ...codeRef(memory, event.slot, event.code) }, at))
        }
        break
      case 'lockStateChanged':
        this.recordEventWrite(
          this.repo.recordActivity(deviceId, { type: event.locked ? 'lock.locked' : 'lock.unlocked', method: event.method, ...codeRef(memory, event.slot, undefined) }, at),
        )
        break
      case 'discovered':
      case 'battery':
        break // device registry and properties belong to the daemon/store, not to reconciliation
    }
  }

  private memory(deviceId: string): DeviceMemory {
    let m = this.memories.get(deviceId)
    if (!m) this.memories.set(deviceId, (m = new DeviceMemory()))
    return m
  }

  private async pass(deviceId: string): Promise<PassResult> {
    const route = this.opts.route(deviceId)
    // The driver went away between the queue's check and now: look again when poked.
    if (!route) return { converged: false, requeueAfter: null }
    return runPass(this.passSettings, deviceId, this.memory(deviceId), route)
  }

  private recordEventWrite(p: Promise<unknown>): void {
    const settled = p.catch((err: unknown) => this.opts.log?.('reconciler: store write failed', { err: String(err) }))
    this.eventWrites.add(settled)
    void settled.finally(() => this.eventWrites.delete(settled))
  }

  private async syncDeviceErrors(deviceId: string): Promise<void> {
    const errors: ReconcilerDeviceError[] = []
    if (this.queue.isPaused(deviceId)) errors.push('device_offline')
    if (this.queue.breakerState(deviceId) !== 'closed') errors.push('device_disconnected')
    const key = errors.join(',')
    if (key === (this.shownErrors.get(deviceId) ?? '')) return
    this.shownErrors.set(deviceId, key)
    await this.repo.setDeviceErrors(deviceId, errors, this.clock.now())
  }
}

/** The managed code (if any) that owns the slot a keypad/lock event named. */
function codeRef(memory: DeviceMemory, slot: number | undefined, code: string | undefined): { accessCodeId?: string; slot?: number; code?: string } {
  const ref: { accessCodeId?: string; slot?: number; code?: string } = {}
  if (slot !== undefined) {
    ref.slot = slot
    const owner = memory.slotOwners.get(slot)
    if (owner) ref.accessCodeId = owner
  }
  if (code !== undefined) ref.code = code
  return ref
}
