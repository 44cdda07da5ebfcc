// One pass for one device (design rule 2): read the slots the read plan names → plan → record new slot
// assignments → execute the ops → read back what was touched → plan again → record the verdicts. What to
// do is always recomputed from desired + observed; the pass returns whether the device is in step and
// when it wants to be looked at again, and leaves scheduling, backoff and the breaker to the queue.
import type { Clock } from '../kernel/clock.js'
import { UNKNOWN_DRIFT_CAPABILITY, type LockDriver, type SlotReading } from '../ports/lock-driver.js'
import { RejectedByDeviceError } from '../ports/errors.js'
import { callDevice, isPerCodeRefusal } from './device-call.js'
import { checkRead, driftSchedule, nextCheckAt, type DriftSchedule, type DriftSettings } from './drift-check.js'
import { plan, type CodeVerdict, type DesiredCode, type Hold, type Plan } from './plan.js'
import { emptyStillTrusted, freeCandidates, planReads, type SlotLayout } from './read-plan.js'
import type { ReconcileRepo } from './repo.js'
import { SlotMemory } from './slot-memory.js'

export interface DeviceRoute {
  driver: LockDriver
  /** The driver's own key for the device. */
  nativeId: string
}

export interface PassResult {
  /** The device reported exactly what is desired (nothing left to write, clear or find out). */
  converged: boolean
  /** Look again after this many ms (a code starts or ends, a rejection's hold runs out); null = only when poked. */
  requeueAfter: number | null
}

export interface PassSettings {
  repo: ReconcileRepo
  clock: Clock
  /** See ReconcilerOptions.fullScanMs. */
  fullScanMs: number
  /** See ReconcilerOptions.trustEmptyMs. */
  trustEmptyMs: number
  /** See ReconcilerOptions.rejectionRetryMs. */
  rejectionRetryMs: number
  /** See ReconcilerOptions.drift. */
  drift: DriftSettings | null
}

/** A write or clear the device rejected, left alone until `until` (doubling per repeat). */
interface HeldRejection extends Hold {
  until: number
  count: number
}

/** What a device's passes remember from one to the next (in memory; the store holds the truth). */
export class DeviceMemory {
  readonly holds = new Map<string, HeldRejection>()
  /** Slot → managed code id, from the last pass (to name the code in keypad/lock events). */
  slotOwners = new Map<number, string>()
  /** The last reading of each slot (unmanaged codes, which slots are worth probing, trusted empties). */
  readonly known = new SlotMemory()
  /** Clock time of the last full read; null = none known. */
  scannedAt: number | null = null
  /**
   * Clock time of the last drift check (every owned slot read); null = none since the device's events
   * had a gap (offline, link lost) or since start: the next pass checks.
   */
  checkedAt: number | null = null
  /** The store's record of the last full read was consulted (once, on the device's first pass). */
  restored = false
  /** Slots an event named since the last pass: read them next pass even if nobody owns them. */
  readonly eventSlots = new Set<number>()
}

export async function runPass(settings: PassSettings, deviceId: string, memory: DeviceMemory, { driver, nativeId }: DeviceRoute): Promise<PassResult> {
  const { repo, clock } = settings
  const desired = await repo.desiredFor(deviceId)
  const constraints = driver.constraints(nativeId)
  const capability = driver.driftCapability?.(nativeId) ?? UNKNOWN_DRIFT_CAPABILITY
  const schedule = driftSchedule(deviceId, driver.kind, capability, settings.drift)
  const before = await readBefore(settings, deviceId, memory, desired.codes, constraints, driver, nativeId, schedule, capability.readsAllAtOnce)
  let now = clock.now()
  await repo.recordObservation(deviceId, before, now)
  const pre = plan({ codes: desired.codes, observed: before, constraints, now, holds: activeHolds(memory, desired.codes, now) })
  if (pre.assignments.length > 0) await repo.assignSlots(deviceId, pre.assignments, now)
  const codes = withAssignments(desired.codes, pre.assignments)

  const justWritten = new Map<number, string>()
  /** Read-backs the driver made as part of a write or clear (the device's own report, rule 3). */
  const confirmed = new Map<number, SlotReading>()
  for (const op of pre.ops) {
    try {
      let reading: SlotReading | void
      if (op.kind === 'write') {
        reading = await callDevice(() => driver.writeSlot(nativeId, op.slot, op.code, op.name))
        justWritten.set(op.slot, op.code)
      } else reading = await callDevice(() => driver.clearSlot(nativeId, op.slot))
      if (reading && reading.slot === op.slot) confirmed.set(op.slot, reading)
      else confirmed.delete(op.slot)
    } catch (err) {
      // The device said no to this code: hold it (its own error), carry on with the others (rule 4).
      if (!isPerCodeRefusal(err)) throw err
      const reason = err instanceof RejectedByDeviceError ? err.reason : 'unsupported'
      const count = (memory.holds.get(op.accessCodeId)?.count ?? 0) + 1
      const code = op.kind === 'write' ? op.code : (codes.find((c) => c.accessCodeId === op.accessCodeId)?.code ?? '')
      memory.holds.set(op.accessCodeId, { op: op.kind, code, reason, count, until: clock.now() + settings.rejectionRetryMs * 2 ** (count - 1) })
    }
  }

  let post: Plan = pre
  if (pre.ops.length > 0) {
    // Read back what this pass touched and the driver did not already read back; the other slots
    // were read moments ago.
    const touched = [...new Set(pre.ops.map((o) => o.slot))].filter((s) => !confirmed.has(s)).sort((a, b) => a - b)
    const fresh = [...confirmed.values(), ...(touched.length > 0 ? await callDevice(() => driver.readSlots(nativeId, touched)) : [])]
    memory.known.remember(fresh, clock.now(), constraints)
    const freshSlots = new Set(fresh.map((r) => r.slot))
    const after = [...fresh, ...before.filter((r) => !freshSlots.has(r.slot))].sort((a, b) => a.slot - b.slot)
    now = clock.now()
    await repo.recordObservation(deviceId, after, now)
    post = plan({ codes, observed: after, constraints, now, holds: activeHolds(memory, codes, now), justWritten })
  }
  // A code that made it (or left) needs no memory of earlier rejections.
  for (const verdict of post.verdicts) {
    if (verdict.kind === 'set' || verdict.kind === 'gone' || verdict.kind === 'unset') memory.holds.delete(verdict.accessCodeId)
  }

  memory.slotOwners = new Map(codes.flatMap((c) => (c.slot === null ? [] : [[c.slot, c.accessCodeId] as const])))
  await repo.applyVerdicts(deviceId, { verdicts: mergeVerdicts(pre.verdicts, post.verdicts), unmanaged: post.unmanaged }, now)
  const converged = post.ops.length === 0 && post.assignments.length === 0 && !post.verdicts.some((v) => v.kind === 'unknown')
  if (converged) await repo.markClean(deviceId, desired.revision)
  // The next drift check is a wake-up like a code's start: the device is looked at then, poked or not.
  const checkAt = memory.checkedAt === null ? null : nextCheckAt(memory.checkedAt, schedule)
  const wakeAt = minOf(minOf(post.nextWakeAt, earliestHold(memory, clock.now())), checkAt)
  return { converged, requeueAfter: wakeAt === null ? null : Math.max(0, wakeAt - clock.now()) }
}

/**
 * The readings the plan gets (see read-plan.ts for which slots and why): what was just read, plus the
 * last readings of slots not read (unmanaged codes, never written; owned slots between drift checks,
 * whose changes the device reports or the next check finds). A slot is chosen for a new code only on a
 * read saying it is empty, taken just now or within `trustEmptyMs` with no event naming the slot and no
 * gap in the device's events since (rule 3).
 */
async function readBefore(
  settings: PassSettings,
  deviceId: string,
  memory: DeviceMemory,
  codes: readonly DesiredCode[],
  layout: SlotLayout,
  driver: LockDriver,
  nativeId: string,
  schedule: DriftSchedule | null,
  readsAllAtOnce: boolean,
): Promise<SlotReading[]> {
  const { repo, clock } = settings
  const now = clock.now()
  if (!memory.restored) {
    // After a restart: a full read the store remembers still counts. Its unmanaged codes are read again
    // on this pass (they may have gone meanwhile); everything else free-looking is probed before use.
    memory.restored = true
    const previous = await repo.lastFullScan(deviceId)
    if (previous && now - previous.at < settings.fullScanMs) {
      memory.scannedAt = previous.at
      memory.known.remember(previous.unmanaged.map((u): SlotReading => ({ slot: u.slot, state: 'occupied', code: u.code, name: u.name })), previous.at, layout)
      for (const u of previous.unmanaged) memory.eventSlots.add(u.slot)
    }
  }
  const check = checkRead({ now, checkedAt: memory.checkedAt, scannedAt: memory.scannedAt, schedule, fullScanMs: settings.fullScanMs, readsAllAtOnce })
  if (check === 'full') {
    const all = await callDevice(() => driver.readSlots(nativeId))
    memory.known.clear()
    memory.known.remember(all, clock.now(), layout)
    memory.scannedAt = now
    memory.checkedAt = now
    memory.eventSlots.clear()
    await repo.recordFullScan(deviceId, now)
    return all
  }
  const remembered = (s: number) => memory.known.occupied(s) !== undefined || memory.known.emptySince(s) !== undefined
  const { mustRead, owned, needing } = planReads({
    codes, now, layout, eventSlots: memory.eventSlots, lastOccupied: memory.known.allOccupied(), checkOwned: check === 'owned', remembered,
  })
  memory.eventSlots.clear()
  const probed = new Set<number>()
  const candidates = (n: number) => freeCandidates(layout, n, (s) => owned.has(s) || probed.has(s) || memory.known.occupied(s) !== undefined)
  const trusted = (s: number) => !mustRead.has(s) && emptyStillTrusted(memory.known.emptySince(s), now, settings.trustEmptyMs)
  let wanted = [...new Set([...mustRead.keys(), ...candidates(needing)])].sort((a, b) => a - b)
  const fresh = new Map<number, SlotReading>()
  for (;;) {
    for (const s of wanted) {
      if (!trusted(s)) continue
      fresh.set(s, { slot: s, state: 'empty' })
      probed.add(s)
    }
    wanted = wanted.filter((s) => !probed.has(s))
    if (wanted.length > 0) {
      const got = await callDevice(() => driver.readSlots(nativeId, wanted))
      memory.known.remember(got, clock.now(), layout)
      for (const r of got) fresh.set(r.slot, r)
      for (const s of wanted) probed.add(s)
      // A driver that lists every slot at once reports the changes its own listing found: those events
      // name what was just read, and asking again would cost another exchange for nothing.
      if (readsAllAtOnce) for (const r of got) memory.eventSlots.delete(r.slot)
    }
    let freeFound = 0
    for (const [s, r] of fresh) if (!owned.has(s) && r.state === 'empty') freeFound++
    if (freeFound >= needing) break
    wanted = candidates(needing - freeFound)
    if (wanted.length === 0) break
  }
  if (check === 'owned') memory.checkedAt = now
  for (const [s, r] of memory.known.allOccupied()) if (!fresh.has(s)) fresh.set(s, r)
  for (const s of owned) if (!fresh.has(s) && memory.known.emptySince(s) !== undefined) fresh.set(s, { slot: s, state: 'empty' })
  return [...fresh.values()].sort((a, b) => a.slot - b.slot)
}

/**
 * The rejections the plan must respect now. A hold is forgotten when its code is gone or its PIN
 * changed (a new request deserves a try); once its time is up it is not passed to the plan (one more
 * try) but kept, so a repeated rejection doubles the wait.
 */
function activeHolds(memory: DeviceMemory, codes: readonly DesiredCode[], now: number): Map<string, Hold> {
  const byId = new Map(codes.map((c) => [c.accessCodeId, c]))
  for (const [id, h] of memory.holds) {
    const c = byId.get(id)
    if (!c || (h.op === 'write' && c.code !== h.code)) memory.holds.delete(id)
  }
  return new Map([...memory.holds].filter(([, h]) => h.until > now))
}

function earliestHold(memory: DeviceMemory, now: number): number | null {
  let t: number | null = null
  for (const h of memory.holds.values()) if (h.until > now) t = minOf(t, h.until)
  return t
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

export function minOf(a: number | null, b: number | null): number | null {
  if (a === null) return b
  if (b === null) return a
  return Math.min(a, b)
}
