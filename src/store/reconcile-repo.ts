// The reconciler's view of the SQLite store (src/reconcile/repo.ts; memory-repo.ts is the reference).
// Every method is one transaction: status, errors, events and work items change together.
import { isoUtc } from '../kernel/clock.js'
import { isWaitingBackup, type AccessCode, type CodeIssue as StoredIssue } from '../domain/access-code.js'
import type { SlotReading } from '../ports/lock-driver.js'
import type { CodeVerdict, VerdictIssue, DesiredCode, UnmanagedCode } from '../reconcile/plan.js'
import type { DesiredState, DeviceActivity, ReconcileRepo, ReconcilerDeviceError, VerdictReport } from '../reconcile/repo.js'
import { verdictEffect, type VerdictEventType } from '../reconcile/verdict-effect.js'
import { json } from './context.js'
import type { Store } from './store.js'

const RECONCILER_DEVICE_ERRORS: Record<ReconcilerDeviceError, string> = {
  device_offline: 'Device is offline',
  device_disconnected: 'lockstep stopped trying to reach this device after repeated failures; it will try again shortly',
}

/** A remote lock/unlock reported this soon after an API action attempt is taken to be that attempt's doing. */
const REMOTE_ACTION_WINDOW_MS = 30_000

export class SqliteReconcileRepo implements ReconcileRepo {
  /** Last observation per device not yet written: it rides in the device's next verdict transaction. */
  private readonly pendingObservations = new Map<string, { slots: SlotReading[]; at: number }>()

  /** Writes waiting for the next group commit (see `grouped`). */
  private batch: { fn: () => void; resolve: () => void; reject: (err: unknown) => void }[] = []

  constructor(private readonly store: Store) {}

  /**
   * Group commit: the writes of every pass that reaches this point in the same turn of the event loop
   * share one transaction, so one fsync instead of one per device. Each caller's promise settles only
   * after the commit (durable first, rule 1). If any write throws, the batch is rolled back and each
   * write is retried in a transaction of its own, so one failure stays with its caller.
   */
  private grouped(fn: () => void): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.batch.push({ fn, resolve, reject })
      if (this.batch.length === 1) setImmediate(() => this.commitBatch())
    })
  }

  private commitBatch(): void {
    const batch = this.batch
    this.batch = []
    try {
      this.store.tx(() => {
        for (const w of batch) w.fn()
      })
      for (const w of batch) w.resolve()
      return
    } catch (err) {
      if (batch.length === 1) return batch[0]!.reject(err)
    }
    for (const w of batch) {
      try {
        this.store.tx(w.fn)
        w.resolve()
      } catch (err) {
        w.reject(err)
      }
    }
  }

  private get db() {
    return this.store.db
  }

  async desiredFor(deviceId: string): Promise<DesiredState> {
    const s = this.store
    const live = s.accessCodes.onDevice(deviceId).filter((c) => c.isManaged && c.code !== null)
    // Deleted codes still on the lock: managed ones, and unmanaged ones the API asked to delete.
    const removing = s.accessCodes.removingOnDevice(deviceId).filter((c) => c.slot !== null || c.isManaged)
    const codes: DesiredCode[] = [...live, ...removing].map((c) => ({
      accessCodeId: c.accessCodeId,
      code: c.code ?? '',
      name: c.appearanceName ?? c.name ?? 'lockstep',
      startsAt: c.startsAt,
      endsAt: c.endsAt,
      allowExternalModification: c.isExternalModificationAllowed,
      slot: c.slot,
      removing: c.deletedAt !== null,
      confirmedCode: c.confirmedCode,
    }))
    return { revision: s.dirtyDevices.revision(deviceId), codes }
  }

  /**
   * Informational only (never read back as truth), so it costs no commit of its own: the latest one is
   * written with the device's next verdicts. A crash in between loses a diagnostic, nothing else.
   */
  async recordObservation(deviceId: string, slots: SlotReading[], at: number): Promise<void> {
    this.pendingObservations.set(deviceId, { slots, at })
  }

  /**
   * Written only when the slots read differ from the stored observation: a converged, idle device
   * writes nothing (rule 12). `observed_at` is therefore when the device was first seen this way.
   */
  private flushObservation(deviceId: string): void {
    const o = this.pendingObservations.get(deviceId)
    if (!o) return
    this.pendingObservations.delete(deviceId)
    const slots = json.str(o.slots)
    const row = this.db.prepare('SELECT observed FROM devices WHERE device_id = ?').get(deviceId) as { observed: string | null } | undefined
    if (!row || row.observed === slots) return
    this.db.prepare('UPDATE devices SET observed = ?, observed_at = ? WHERE device_id = ?').run(slots, o.at, deviceId)
  }

  async recordFullScan(deviceId: string, at: number): Promise<void> {
    await this.grouped(() => {
      this.db.prepare('UPDATE devices SET full_scan_at = ? WHERE device_id = ?').run(at, deviceId)
    })
  }

  async lastFullScan(deviceId: string): Promise<{ at: number; unmanaged: UnmanagedCode[] } | null> {
    const row = this.db.prepare('SELECT full_scan_at AS at FROM devices WHERE device_id = ?').get(deviceId) as { at: number | null } | undefined
    if (!row || row.at === null) return null
    const unmanaged = this.store.accessCodes
      .onDevice(deviceId)
      .flatMap((c) => (!c.isManaged && c.slot !== null ? [{ slot: c.slot, code: c.code, name: c.name }] : []))
    return { at: row.at, unmanaged }
  }

  async assignSlots(_deviceId: string, assignments: { accessCodeId: string; slot: number }[], _at: number): Promise<void> {
    await this.grouped(() => {
      for (const a of assignments) this.db.prepare('UPDATE access_codes SET slot = ? WHERE access_code_id = ?').run(a.slot, a.accessCodeId)
    })
  }

  async applyVerdicts(deviceId: string, report: VerdictReport, at: number): Promise<void> {
    await this.grouped(() => {
      this.flushObservation(deviceId)
      // One device row per report, not one per verdict.
      const devices = new Map<string, ReturnType<Store['devices']['get']>>()
      const deviceOf = (id: string) => devices.get(id) ?? devices.set(id, this.store.devices.get(id)).get(id)!
      for (const v of report.verdicts) this.applyVerdict(v, at, deviceOf)
      this.replaceUnmanaged(deviceId, report.unmanaged)
    })
  }

  private applyVerdict(v: CodeVerdict, at: number, deviceOf: (deviceId: string) => ReturnType<Store['devices']['get']>): void {
    const s = this.store
    const c = s.accessCodes.find(v.accessCodeId, { includeDeleted: true })
    if (!c) return
    if (c.deletedAt !== null && c.status !== 'removing') return // already forgotten
    const device = deviceOf(c.deviceId)
    const effect = verdictEffect(v, { code: c.code, confirmedCode: c.confirmedCode, errorCodes: new Set(c.errors.flatMap((e) => (e.error_code ? [e.error_code] : []))) })
    const errors = v.errors.map((e) => issue(e, 'error_code', at))
    const warnings = v.warnings.map((w) => issue(w, 'warning_code', at))
    // What each event carries, in Seam's event schema.
    const detail = (type: VerdictEventType): Record<string, unknown> => {
      if (type === 'access_code.set_on_device') return { code: c.code }
      if (type === 'access_code.failed_to_set_on_device' || type === 'access_code.failed_to_remove_from_device') {
        return {
          access_code_errors: errors, access_code_warnings: warnings, device_errors: device.errors.map(({ is_device_error: _, ...e }) => e), device_warnings: device.warnings,
          connected_account_errors: [], connected_account_warnings: [],
        }
      }
      if (v.external) return { change_type: v.external.changeType, modified_fields: v.external.modifiedFields, resolution: v.external.resolution }
      return {}
    }
    // A backup code waiting in its pool is nobody's yet: no event carries it (or its PIN).
    if (!isWaitingBackup(c)) for (const type of effect.events) s.accessCodes.codeEvent(type, device, c.accessCodeId, { occurred_at: at, ...detail(type) })
    if (v.confirmedCode !== undefined && v.confirmedCode !== c.confirmedCode) {
      this.db.prepare('UPDATE access_codes SET confirmed_code = ? WHERE access_code_id = ?').run(v.confirmedCode, c.accessCodeId)
    }
    if (effect.status === null) {
      s.accessCodes.recordOutcome(c.accessCodeId, { errors, warnings })
      s.accessCodes.forget(c.accessCodeId)
      return
    }
    // A pass that began before an API delete may report on the code; until a `gone` verdict the lock
    // still holds it and the next pass must clear it, so it stays `removing`.
    const status = c.deletedAt !== null ? 'removing' : effect.status
    // Only what changed is written: the same verdict on the next resync pass touches no row (rule 12).
    const outcome: Parameters<Store['accessCodes']['recordOutcome']>[1] = {}
    if (status !== c.status) outcome.status = status
    if (v.slot !== c.slot) outcome.slot = v.slot
    if (effect.code !== undefined && effect.code !== c.code) outcome.code = effect.code
    const keptErrors = keepStanding(c.errors, errors)
    if (keptErrors) outcome.errors = keptErrors
    // A delay warning (src/app/code-delays.ts) stands until the code lands, whatever this pass found.
    const stillLate = c.warnings.filter((w) => lateFor(w.warning_code, status))
    const keptWarnings = keepStanding(c.warnings, [...warnings, ...stillLate])
    if (keptWarnings) outcome.warnings = keptWarnings
    s.accessCodes.recordOutcome(c.accessCodeId, outcome)
  }

  /** Unmanaged codes are rows too (the API lists them); match the reading by slot and PIN. */
  private replaceUnmanaged(deviceId: string, reported: UnmanagedCode[]): void {
    const s = this.store
    const existing = s.accessCodes.onDevice(deviceId).filter((c) => !c.isManaged)
    const key = (slot: number | null, code: string | null) => `${slot}:${code}`
    const now = new Set(reported.map((u) => key(u.slot, u.code)))
    const before = new Map(existing.map((c) => [key(c.slot, c.code), c] as const))
    for (const u of reported) if (!before.has(key(u.slot, u.code))) s.accessCodes.createUnmanaged(deviceId, u.slot, u.code, u.name)
    for (const [k, c] of before) {
      if (now.has(k)) continue
      s.accessCodes.codeEvent('access_code.unmanaged.removed', s.devices.get(deviceId), c.accessCodeId)
      s.accessCodes.forget(c.accessCodeId)
    }
  }

  async setDeviceErrors(deviceId: string, errors: ReconcilerDeviceError[]): Promise<void> {
    this.store.tx(() => {
      for (const code of Object.keys(RECONCILER_DEVICE_ERRORS) as ReconcilerDeviceError[]) {
        this.store.devices.setError(deviceId, code, errors.includes(code) ? RECONCILER_DEVICE_ERRORS[code] : null)
      }
    })
  }

  async recordActivity(deviceId: string, activity: DeviceActivity, at: number): Promise<void> {
    const s = this.store
    s.tx(() => {
      const device = s.devices.find(deviceId)
      if (!device) return
      if (activity.type === 'device.connected' || activity.type === 'device.disconnected') {
        s.devices.setOnline(deviceId, activity.type === 'device.connected')
        return
      }
      if (activity.type !== 'lock.access_denied') s.devices.setLocked(deviceId, activity.type === 'lock.locked')
      const code = this.codeOf(deviceId, activity)
      const attemptId = 'method' in activity && activity.method === 'remote'
        ? s.actionAttempts.recentFor(deviceId, activity.type === 'lock.locked' ? 'LOCK_DOOR' : 'UNLOCK_DOOR', REMOTE_ACTION_WINDOW_MS)
        : undefined
      s.events.append({
        event_type: activity.type,
        device_id: deviceId,
        connected_account_id: device.connectedAccountId,
        occurred_at: at,
        ...('method' in activity ? { method: activity.method } : {}),
        ...(attemptId ? { action_attempt_id: attemptId } : {}),
        ...(code ? { access_code_id: code.accessCodeId } : {}),
        ...(code && activity.type !== 'lock.access_denied' ? { access_code_is_managed: code.isManaged } : {}),
        // A refused PIN that no slot holds: the lock did not know the code.
        ...(activity.type === 'lock.access_denied' && !code ? { reason: { reason_code: 'unknown_code', message: 'The code entered is not on the lock.' } } : {}),
      })
    })
  }

  /**
   * The code a keypad event names: the reconciler's slot owner, else whichever code (managed or not) the
   * store holds in that slot (after a restart the reconciler knows no owners until its first pass).
   */
  private codeOf(deviceId: string, activity: DeviceActivity): AccessCode | undefined {
    if (!('slot' in activity) && !('accessCodeId' in activity)) return undefined
    const a = activity as { accessCodeId?: string; slot?: number }
    if (a.accessCodeId) return this.store.accessCodes.find(a.accessCodeId)
    if (a.slot === undefined) return undefined
    return this.store.accessCodes.onDevice(deviceId).find((c) => c.slot === a.slot)
  }

  async dirtyDevices(): Promise<string[]> {
    return this.store.dirtyDevices.dirty().map((w) => w.deviceId)
  }

  /**
   * Without an fsync of its own (synchronous=NORMAL for this commit; WAL keeps it ordered, and the next
   * FULL commit makes it durable): a clean mark lost in a power cut only means one more harmless pass
   * over the device after the restart (rule 2).
   */
  async markClean(deviceId: string, revision: number): Promise<void> {
    const db = this.db
    db.pragma('synchronous = NORMAL')
    try {
      this.store.tx(() => this.store.dirtyDevices.markClean(deviceId, revision))
    } finally {
      db.pragma('synchronous = FULL')
    }
  }
}

/**
 * The issues to store, or null when they are the ones already stored. An issue that still stands keeps
 * its `created_at` (when it was first seen), so a repeated verdict is no change.
 */
function keepStanding(stored: readonly StoredIssue[], fresh: readonly StoredIssue[]): StoredIssue[] | null {
  const key = (i: StoredIssue) => json.str({ ...i, created_at: undefined })
  const before = new Map(stored.map((i) => [key(i), i]))
  const next = fresh.map((i) => before.get(key(i)) ?? i)
  const same = next.length === stored.length && next.every((i, n) => i === stored[n])
  return same ? null : next
}

function lateFor(warningCode: string | undefined, status: AccessCode['status']): boolean {
  if (warningCode === 'delay_in_setting_on_device') return status === 'setting' || status === 'unknown'
  if (warningCode === 'delay_in_removing_from_device') return status === 'removing' || status === 'unknown'
  return false
}

function issue(e: VerdictIssue<string>, kind: 'error_code' | 'warning_code', at: number): StoredIssue {
  const { code, ...rest } = e
  return { [kind]: code, ...rest, ...(kind === 'error_code' ? { is_access_code_error: true } : {}), created_at: isoUtc(at) } as StoredIssue
}
