// The per-device, level-triggered reconcile loop (design rule 2). A pass for one device:
//   read slots → plan → record new slot assignments → execute ops → read back → plan again → verdicts.
// Triggers only say "look again": poke() (an API change, a device event), a timer at the next
// starts_at/ends_at, a retry after backoff. What to do is always recomputed from desired + observed.
// One pass per device at a time; at most `concurrency` passes across devices.
import type { Clock } from '../kernel/clock.js'
import type { Random } from '../kernel/ids.js'
import { realTimers, wakeAt, type Timers, type WakeUp } from '../kernel/timers.js'
import type { DeviceEvent } from '../ports/device-events.js'
import { RejectedByDeviceError, UnsupportedByDeviceError } from '../ports/errors.js'
import type { LockDriver, SlotReading } from '../ports/lock-driver.js'
import { backoffDelay, defaultBackoff, type BackoffOptions } from './backoff.js'
import { Breaker, defaultBreaker, type BreakerOptions, type BreakerState } from './breaker.js'
import { isActive, plan, type CodeVerdict, type DesiredCode, type Hold, type Plan } from './plan.js'
import type { ReconcileRepo, ReconcilerDeviceError } from './repo.js'
import { SlotMemory } from './slot-memory.js'

export { realTimers, type Timers } from '../kernel/timers.js'

export interface DeviceRoute {
  driver: LockDriver
  /** The driver's own key for the device. */
  nativeId: string
}

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
  /** Metrics: reconcile lag and breaker state per device. */
  observer?: ReconcilerObserver
  /** Called for failures worth a log line; the reconciler never throws them at callers. */
  log?: (msg: string, detail?: Record<string, unknown>) => void
}

interface HeldRejection extends Hold {
  until: number
  count: number
}

interface DeviceState {
  breaker: Breaker
  /** Consecutive passes that failed or did not converge: drives the backoff. */
  attempt: number
  offline: boolean
  queued: boolean
  running: boolean
  /** Poked while running: run once more afterwards. */
  again: boolean
  timer: WakeUp | undefined
  holds: Map<string, HeldRejection>
  /** Slot → managed code id, from the last pass (to name the code in keypad/lock events). */
  slotOwners: Map<number, string>
  shownErrors: string
  /** Clock time of the first poke since the last converged pass (null = in step, as far as we know). */
  dirtySince: number | null
  /** Breaker state last reported to the observer. */
  shownBreaker: BreakerState
  /** The last reading of each slot (unmanaged codes, which slots are worth probing, trusted empties). */
  known: SlotMemory
  /** Clock time of the last full read; null = none known. */
  scannedAt: number | null
  /** The store's record of the last full read was consulted (once, on the device's first pass). */
  restored: boolean
  /** Slots an event named since the last pass: read them next pass even if nobody owns them. */
  hinted: Set<number>
}

export class Reconciler {
  private readonly repo: ReconcileRepo
  private readonly clock: Clock
  private readonly timers: Timers
  private readonly concurrency: number
  private readonly rejectionRetryMs: number
  private readonly devices = new Map<string, DeviceState>()
  private readonly queue: string[] = []
  private readonly side = new Set<Promise<unknown>>()
  private active = 0
  private stopped = false
  private idleWaiters: (() => void)[] = []

  constructor(private readonly opts: ReconcilerOptions) {
    this.repo = opts.repo
    this.clock = opts.clock
    this.timers = opts.timers ?? realTimers
    this.concurrency = Math.max(1, opts.concurrency ?? 4)
    this.rejectionRetryMs = opts.rejectionRetryMs ?? 15 * 60_000
  }

  /** Look at every device the store says is dirty (desired changed before a crash or restart). */
  async start(): Promise<void> {
    for (const id of await this.repo.dirtyDevices()) this.poke(id)
  }

  /** Stop scheduling; wait for passes and event writes in flight. */
  async stop(): Promise<void> {
    this.stopped = true
    this.queue.length = 0
    for (const st of this.devices.values()) {
      st.queued = false
      this.clearTimer(st)
    }
    await this.idle()
  }

  /** Resolves when no pass is running or queued and event writes have settled (timers may be pending). */
  async idle(): Promise<void> {
    for (;;) {
      if (this.active === 0 && this.queue.length === 0 && this.side.size === 0) return
      if (this.side.size > 0) await Promise.allSettled([...this.side])
      else await new Promise<void>((resolve) => this.idleWaiters.push(resolve))
    }
  }

  /** Something about this device may have changed: run a pass soon (coalesced if one is queued/running). */
  poke(deviceId: string): void {
    if (this.stopped) return
    const st = this.state(deviceId)
    st.dirtySince ??= this.clock.now()
    if (st.offline) return // the `online` event pokes again
    if (st.running) {
      st.again = true
      return
    }
    if (st.queued) return
    st.queued = true
    this.queue.push(deviceId)
    this.pump()
  }

  /** Feed a driver's DeviceEvent, already mapped from its native id to the Seam device id. */
  onDeviceEvent(deviceId: string, event: DeviceEvent): void {
    if (this.stopped) return
    const st = this.state(deviceId)
    const at = this.clock.now()
    switch (event.type) {
      case 'online':
        if (st.offline) {
          st.offline = false
          this.track(this.repo.recordActivity(deviceId, { type: 'device.connected' }, at))
          this.track(this.syncErrors(deviceId, st))
        }
        this.poke(deviceId)
        break
      case 'offline':
        st.known.distrustEmpties()
        if (!st.offline) {
          st.offline = true
          this.clearTimer(st)
          this.track(this.repo.recordActivity(deviceId, { type: 'device.disconnected' }, at))
          this.track(this.syncErrors(deviceId, st))
        }
        break
      case 'eventsMissed':
        // Whatever happened on the device meanwhile went unannounced: read before trusting a slot again.
        st.known.distrustEmpties()
        break
      case 'slotChanged':
        // The event's value is a hint; the pass reads the slot back before deciding (rule 3).
        if (Number.isInteger(event.slot)) st.hinted.add(event.slot)
        else st.scannedAt = null
        this.poke(deviceId)
        break
      case 'keypadUsed':
        // A granted entry is reported by the lockStateChanged that follows; a refusal has no other trace.
        if (!event.granted)
          this.track(this.repo.recordActivity(deviceId, { type: 'lock.access_denied', ...this.codeRef(st, event.slot, event.code) }, at))
        break
      case 'lockStateChanged':
        this.track(
          this.repo.recordActivity(
            deviceId,
            { type: event.locked ? 'lock.locked' : 'lock.unlocked', method: event.method, ...this.codeRef(st, event.slot, undefined) },
            at,
          ),
        )
        break
      case 'discovered':
      case 'battery':
        break // device registry and properties belong to the daemon/store, not to reconciliation
    }
  }

  // ---- scheduling ----

  private state(deviceId: string): DeviceState {
    let st = this.devices.get(deviceId)
    if (!st) {
      st = {
        breaker: new Breaker(this.clock, this.opts.breaker ?? defaultBreaker),
        attempt: 0,
        offline: false,
        queued: false,
        running: false,
        again: false,
        timer: undefined,
        holds: new Map(),
        slotOwners: new Map(),
        shownErrors: '',
        dirtySince: null,
        shownBreaker: 'closed',
        known: new SlotMemory(),
        scannedAt: null,
        restored: false,
        hinted: new Set(),
      }
      this.devices.set(deviceId, st)
    }
    return st
  }

  private pump(): void {
    while (!this.stopped && this.active < this.concurrency && this.queue.length > 0) {
      const id = this.queue.shift()!
      const st = this.state(id)
      st.queued = false
      st.running = true
      this.active++
      void this.pass(id, st).finally(() => {
        st.running = false
        this.active--
        if (st.again) {
          st.again = false
          this.poke(id)
        }
        this.pump()
        this.notifyIdle()
      })
    }
  }

  private notifyIdle(): void {
    if (this.active !== 0 || this.queue.length !== 0) return
    const waiters = this.idleWaiters
    this.idleWaiters = []
    for (const w of waiters) w()
  }

  private wakeAt(deviceId: string, st: DeviceState, at: number | null): void {
    this.clearTimer(st)
    if (at === null || this.stopped || st.offline) return
    // Capped steps: a code starting months ahead must not overflow setTimeout (issue 12).
    st.timer = wakeAt(this.clock, this.timers, at, () => {
      st.timer = undefined
      this.poke(deviceId)
    })
  }

  private clearTimer(st: DeviceState): void {
    st.timer?.cancel()
    st.timer = undefined
  }

  private track(p: Promise<unknown>): void {
    const q = p.catch((err: unknown) => this.opts.log?.('reconciler: store write failed', { err: String(err) }))
    this.side.add(q)
    void q.finally(() => {
      this.side.delete(q)
      this.notifyIdle()
    })
  }

  private reportBreaker(deviceId: string, st: DeviceState): void {
    const state = st.breaker.state
    if (state === st.shownBreaker) return
    st.shownBreaker = state
    this.opts.observer?.breakerState(deviceId, state)
  }

  private async syncErrors(deviceId: string, st: DeviceState): Promise<void> {
    const errors: ReconcilerDeviceError[] = []
    if (st.offline) errors.push('device_offline')
    if (st.breaker.state !== 'closed') errors.push('device_disconnected')
    const key = errors.join(',')
    if (key === st.shownErrors) return
    st.shownErrors = key
    await this.repo.setDeviceErrors(deviceId, errors, this.clock.now())
  }

  private codeRef(st: DeviceState, slot: number | undefined, code: string | undefined): { accessCodeId?: string; slot?: number; code?: string } {
    const ref: { accessCodeId?: string; slot?: number; code?: string } = {}
    if (slot !== undefined) {
      ref.slot = slot
      const owner = st.slotOwners.get(slot)
      if (owner) ref.accessCodeId = owner
    }
    if (code !== undefined) ref.code = code
    return ref
  }

  // ---- one pass ----

  private async pass(deviceId: string, st: DeviceState): Promise<void> {
    if (this.stopped || st.offline) return
    const route = this.opts.route(deviceId)
    if (!route) return
    const acquired = st.breaker.tryAcquire()
    this.reportBreaker(deviceId, st)
    if (!acquired) {
      // Open: no hammering. Come back when the cool-down allows one trial.
      this.wakeAt(deviceId, st, st.breaker.retryAt)
      return
    }
    try {
      const outcome = await this.attempt(deviceId, st, route)
      st.breaker.success()
      this.reportBreaker(deviceId, st)
      await this.syncErrors(deviceId, st)
      if (outcome.converged) {
        st.attempt = 0
        await this.repo.markClean(deviceId, outcome.revision)
        if (st.dirtySince !== null && !st.again) {
          this.opts.observer?.reconcileLag(deviceId, Math.max(0, this.clock.now() - st.dirtySince) / 1000)
          st.dirtySince = null
        }
        this.wakeAt(deviceId, st, minOf(outcome.nextWakeAt, this.earliestHold(st)))
      } else {
        // The device answered but is not in step yet (ignored a write, a slot unreadable): look again later.
        st.attempt++
        const retry = this.clock.now() + backoffDelay(st.attempt, this.opts.random, this.opts.backoff ?? defaultBackoff)
        this.wakeAt(deviceId, st, minOf(retry, minOf(outcome.nextWakeAt, this.earliestHold(st))))
      }
    } catch (err) {
      // Transient (timeout, offline, broker down) or unexpected: nothing from this pass is recorded as
      // verdicts, so a failure can never read as an external modification (rule 3). Only the device's
      // failures count towards its breaker; a store failure is retried without blaming the device.
      this.opts.log?.('reconciler: pass failed', { deviceId, err: String(err) })
      st.attempt++
      if (err instanceof DeviceCallFailed) st.breaker.failure()
      else st.breaker.release()
      this.reportBreaker(deviceId, st)
      try {
        await this.syncErrors(deviceId, st)
      } catch (e) {
        this.opts.log?.('reconciler: could not record device errors', { deviceId, err: String(e) })
      }
      const retry = this.clock.now() + backoffDelay(st.attempt, this.opts.random, this.opts.backoff ?? defaultBackoff)
      this.wakeAt(deviceId, st, Math.max(retry, st.breaker.retryAt ?? 0))
    }
  }

  private async attempt(
    deviceId: string,
    st: DeviceState,
    { driver, nativeId }: DeviceRoute,
  ): Promise<{ converged: boolean; nextWakeAt: number | null; revision: number }> {
    const desired = await this.repo.desiredFor(deviceId)
    const constraints = driver.constraints(nativeId)
    const before = await this.readBefore(deviceId, st, desired.codes, constraints, driver, nativeId)
    let now = this.clock.now()
    await this.repo.recordObservation(deviceId, before, now)
    const pre = plan({ codes: desired.codes, observed: before, constraints, now, holds: this.activeHolds(st, desired.codes, now) })
    if (pre.assignments.length > 0) await this.repo.assignSlots(deviceId, pre.assignments, now)
    const codes = withAssignments(desired.codes, pre.assignments)

    const justWritten = new Map<number, string>()
    /** Read-backs the driver made as part of a write or clear (the device's own report, rule 3). */
    const confirmed = new Map<number, SlotReading>()
    for (const op of pre.ops) {
      try {
        let reading: SlotReading | void
        if (op.kind === 'write') {
          reading = await device(() => driver.writeSlot(nativeId, op.slot, op.code, op.name))
          justWritten.set(op.slot, op.code)
        } else reading = await device(() => driver.clearSlot(nativeId, op.slot))
        if (reading && reading.slot === op.slot) confirmed.set(op.slot, reading)
        else confirmed.delete(op.slot)
      } catch (err) {
        // The device said no to this code: hold it (its own error), carry on with the others (rule 4).
        if (err instanceof RejectedByDeviceError || err instanceof UnsupportedByDeviceError) {
          const reason = err instanceof RejectedByDeviceError ? err.reason : 'unsupported'
          const prev = st.holds.get(op.accessCodeId)
          const count = (prev?.count ?? 0) + 1
          const code = op.kind === 'write' ? op.code : (codes.find((c) => c.accessCodeId === op.accessCodeId)?.code ?? '')
          st.holds.set(op.accessCodeId, { op: op.kind, code, reason, count, until: this.clock.now() + this.rejectionRetryMs * 2 ** (count - 1) })
          continue
        }
        throw err
      }
    }

    let post: Plan = pre
    let after: SlotReading[] = before
    if (pre.ops.length > 0) {
      // Read back what this pass touched and the driver did not already read back; the other slots
      // were read moments ago.
      const touched = [...new Set(pre.ops.map((o) => o.slot))].filter((s) => !confirmed.has(s)).sort((a, b) => a - b)
      const fresh = [...confirmed.values(), ...(touched.length > 0 ? await device(() => driver.readSlots(nativeId, touched)) : [])]
      st.known.remember(fresh, this.clock.now(), constraints)
      const freshSlots = new Set(fresh.map((r) => r.slot))
      after = [...fresh, ...before.filter((r) => !freshSlots.has(r.slot))].sort((a, b) => a.slot - b.slot)
      now = this.clock.now()
      await this.repo.recordObservation(deviceId, after, now)
      post = plan({ codes, observed: after, constraints, now, holds: this.activeHolds(st, codes, now), justWritten })
    }
    // A code that made it (or left) needs no memory of earlier rejections.
    for (const v of post.verdicts) if (v.kind === 'set' || v.kind === 'gone' || v.kind === 'unset') st.holds.delete(v.accessCodeId)

    st.slotOwners = new Map(codes.flatMap((c) => (c.slot === null ? [] : [[c.slot, c.accessCodeId] as const])))
    await this.repo.applyVerdicts(deviceId, { verdicts: mergeVerdicts(pre.verdicts, post.verdicts), unmanaged: post.unmanaged }, now)
    const converged = post.ops.length === 0 && post.assignments.length === 0 && !post.verdicts.some((v) => v.kind === 'unknown')
    return { converged, nextWakeAt: post.nextWakeAt, revision: desired.revision }
  }

  /**
   * The slots this pass must see. A full read on the first pass and every `fullScanMs`; otherwise the
   * owned slots, the slots events named, unmanaged slots last seen holding a PIN a code wants, and
   * enough probably-free slots for the codes that need one,
   * probed until that many are read empty (or none are left). What the plan gets is only what was just
   * read, plus slots last seen occupied (unmanaged codes, never written): a slot is chosen for a new
   * code only on a read saying it is empty, taken just now or within `trustEmptyMs` with no event naming
   * the slot and no gap in the device's events since (rule 3).
   */
  private async readBefore(
    deviceId: string,
    st: DeviceState,
    codes: readonly DesiredCode[],
    constraints: { firstSlot: number; slotCount: number },
    driver: LockDriver,
    nativeId: string,
  ): Promise<SlotReading[]> {
    const now = this.clock.now()
    const first = constraints.firstSlot
    const last = first + constraints.slotCount - 1
    const inRange = (s: number) => Number.isInteger(s) && s >= first && s <= last
    const fullScanMs = this.opts.fullScanMs ?? 24 * 3_600_000
    if (!st.restored) {
      // After a restart: a full read the store remembers still counts. Its unmanaged codes are read again
      // on this pass (they may have gone meanwhile); everything else free-looking is probed before use.
      st.restored = true
      const previous = await this.repo.lastFullScan(deviceId)
      if (previous && now - previous.at < fullScanMs) {
        st.scannedAt = previous.at
        st.known.remember(previous.unmanaged.map((u): SlotReading => ({ slot: u.slot, state: 'occupied', code: u.code, name: u.name })), previous.at, constraints)
        for (const u of previous.unmanaged) st.hinted.add(u.slot)
      }
    }
    if (st.scannedAt === null || now - st.scannedAt >= fullScanMs) {
      const all = await device(() => driver.readSlots(nativeId))
      st.known.clear()
      st.known.remember(all, this.clock.now(), constraints)
      st.scannedAt = now
      st.hinted.clear()
      await this.repo.recordFullScan(deviceId, now)
      return all
    }
    const owned = new Set<number>()
    let needing = 0
    for (const c of codes) {
      if (c.slot !== null && inRange(c.slot) && !owned.has(c.slot)) owned.add(c.slot)
      else if (isActive(c, now)) needing++
    }
    const probed = new Set<number>()
    const candidates = (n: number): number[] => {
      const out: number[] = []
      for (let s = first; s <= last && out.length < n; s++) {
        if (!owned.has(s) && !probed.has(s) && !st.known.occupied(s)) out.push(s)
      }
      return out
    }
    const hinted = [...st.hinted].filter(inRange)
    st.hinted.clear()
    // An unmanaged slot last seen holding a PIN we want would make that code a duplicate: look again
    // rather than fail it on an old reading.
    const wantedPins = new Set(codes.filter((c) => isActive(c, now)).map((c) => c.code))
    const clashes: number[] = []
    for (const [slot, r] of st.known.allOccupied()) if (!owned.has(slot) && r.code !== null && wantedPins.has(r.code)) clashes.push(slot)
    const mustRead = new Set([...owned, ...hinted, ...clashes])
    // An empty reading young enough, with no event or gap since, stands in for a fresh read (trustEmptyMs).
    const trustEmptyMs = this.opts.trustEmptyMs ?? 0
    const trusted = (s: number): boolean => {
      const at = st.known.emptySince(s)
      return !mustRead.has(s) && at !== undefined && trustEmptyMs > 0 && now - at <= trustEmptyMs
    }
    let wanted = [...new Set([...mustRead, ...candidates(needing)])].sort((a, b) => a - b)
    const fresh = new Map<number, SlotReading>()
    let freeFound = 0
    for (;;) {
      for (const s of wanted) {
        if (!trusted(s)) continue
        fresh.set(s, { slot: s, state: 'empty' })
        probed.add(s)
      }
      wanted = wanted.filter((s) => !probed.has(s))
      if (wanted.length > 0) {
        const got = await device(() => driver.readSlots(nativeId, wanted))
        st.known.remember(got, this.clock.now(), constraints)
        for (const r of got) fresh.set(r.slot, r)
        for (const s of wanted) probed.add(s)
      }
      freeFound = 0
      for (const [s, r] of fresh) if (!owned.has(s) && r.state === 'empty') freeFound++
      if (freeFound >= needing) break
      wanted = candidates(needing - freeFound)
      if (wanted.length === 0) break
    }
    for (const [s, r] of st.known.allOccupied()) if (!fresh.has(s) && !owned.has(s)) fresh.set(s, r)
    return [...fresh.values()].sort((a, b) => a.slot - b.slot)
  }

  /**
   * The rejections the plan must respect now. A hold is forgotten when its code is gone or its PIN
   * changed (a new request deserves a try); once its time is up it is not passed to the plan (one more
   * try) but kept, so a repeated rejection doubles the wait.
   */
  private activeHolds(st: DeviceState, codes: readonly DesiredCode[], now: number): Map<string, Hold> {
    const byId = new Map(codes.map((c) => [c.accessCodeId, c]))
    for (const [id, h] of st.holds) {
      const c = byId.get(id)
      if (!c || (h.op === 'write' && c.code !== h.code)) st.holds.delete(id)
    }
    return new Map([...st.holds].filter(([, h]) => h.until > now))
  }

  private earliestHold(st: DeviceState): number | null {
    let t: number | null = null
    const now = this.clock.now()
    for (const h of st.holds.values()) if (h.until > now) t = minOf(t, h.until)
    return t
  }
}

/** A driver call failed in a way that says nothing about any one code: the device is the problem. */
class DeviceCallFailed extends Error {
  override readonly name = 'DeviceCallFailed'
  constructor(cause: unknown) {
    super(String(cause), { cause })
  }
}

/** Run a driver call; per-code answers (rejected, unsupported) pass through, anything else is the device's. */
async function device<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call()
  } catch (err) {
    if (err instanceof RejectedByDeviceError || err instanceof UnsupportedByDeviceError) throw err
    throw new DeviceCallFailed(err)
  }
}

function withAssignments(codes: readonly DesiredCode[], assignments: Plan['assignments']): DesiredCode[] {
  const bySlot = new Map(assignments.map((a) => [a.accessCodeId, a.slot]))
  return codes.map((c) => (bySlot.has(c.accessCodeId) ? { ...c, slot: bySlot.get(c.accessCodeId)! } : c))
}

/**
 * The verdict of a pass is the read-back one; but an external modification seen before the restore is
 * carried over, so the store still logs it and the code shows the conflict until a later clean pass.
 */
function mergeVerdicts(pre: CodeVerdict[], post: CodeVerdict[]): CodeVerdict[] {
  if (pre === post) return post
  const preById = new Map(pre.map((v) => [v.accessCodeId, v]))
  return post.map((v) => {
    const p = preById.get(v.accessCodeId)
    if (!p?.external || v.external) return v
    return { ...v, external: p.external, errors: [...p.errors, ...v.errors], warnings: [...p.warnings, ...v.warnings] }
  })
}

function minOf(a: number | null, b: number | null): number | null {
  if (a === null) return b
  if (b === null) return a
  return Math.min(a, b)
}
