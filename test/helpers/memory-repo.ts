// An in-memory ReconcileRepo: used by tests and the executable reference of what the SQLite store must
// do for each call. Every method mutates state synchronously, which is what "one transaction" means here.
import type { SlotReading } from '../../src/ports/lock-driver.js'
import type { AccessCodeErrorCode, AccessCodeWarningCode, CodeVerdict, DesiredCode, UnmanagedCode, VerdictIssue } from '../../src/reconcile/plan.js'
import type { DesiredState, DeviceActivity, ReconcileRepo, ReconcilerDeviceError, VerdictReport } from '../../src/reconcile/repo.js'
import type { AccessCodeStatus } from '../../src/domain/access-code.js'
import { verdictEffect, type VerdictEventType } from '../../src/reconcile/verdict-effect.js'

export interface StoredCode extends DesiredCode {
  deviceId: string
  status: AccessCodeStatus
  errors: VerdictIssue<AccessCodeErrorCode>[]
  warnings: VerdictIssue<AccessCodeWarningCode>[]
}

export interface StoredEvent {
  event_type: string
  device_id: string
  access_code_id?: string
  occurred_at: number
  [k: string]: unknown
}

interface DeviceRow {
  revision: number
  dirty: boolean
  errors: ReconcilerDeviceError[]
  observed: SlotReading[]
  observedAt: number | null
  unmanaged: UnmanagedCode[]
  fullScanAt: number | null
  online: boolean
  locked?: boolean
}

export class MemoryRepo implements ReconcileRepo {
  readonly codes = new Map<string, StoredCode>()
  readonly events: StoredEvent[] = []
  private readonly devices = new Map<string, DeviceRow>()

  // ---- the API side (what domain/store do on requests), for tests ----

  device(deviceId: string): DeviceRow {
    let d = this.devices.get(deviceId)
    if (!d) {
      d = { revision: 0, dirty: false, errors: [], observed: [], observedAt: null, unmanaged: [], fullScanAt: null, online: true }
      this.devices.set(deviceId, d)
    }
    return d
  }

  /** Create or update a code's desired fields; status goes to `setting` (or `unset` until it starts). */
  putCode(deviceId: string, c: Partial<DesiredCode> & Pick<DesiredCode, 'accessCodeId' | 'code'>, at = 0): StoredCode {
    const prev = this.codes.get(c.accessCodeId)
    const row: StoredCode = {
      name: 'code',
      startsAt: null,
      endsAt: null,
      allowExternalModification: false,
      slot: null,
      removing: false,
      confirmedCode: null,
      status: 'setting',
      errors: [],
      warnings: [],
      ...prev,
      ...c,
      deviceId,
    }
    if (!prev) row.status = row.startsAt !== null && row.startsAt > at ? 'unset' : 'setting'
    else if (prev.code !== row.code || prev.startsAt !== row.startsAt || prev.endsAt !== row.endsAt) row.status = 'setting'
    this.codes.set(row.accessCodeId, row)
    this.touch(deviceId)
    return row
  }

  /** API delete: the code is `removing` until the reconciler reports it gone. */
  deleteCode(accessCodeId: string, at = 0): void {
    const c = this.codes.get(accessCodeId)
    if (!c) return
    c.removing = true
    c.status = 'removing'
    this.emit({ event_type: 'access_code.deleted', device_id: c.deviceId, access_code_id: c.accessCodeId, code: c.code, occurred_at: at })
    this.touch(c.deviceId)
  }

  deviceErrors(deviceId: string): ReconcilerDeviceError[] {
    return [...this.device(deviceId).errors]
  }

  unmanaged(deviceId: string): UnmanagedCode[] {
    return [...this.device(deviceId).unmanaged]
  }

  isDirty(deviceId: string): boolean {
    return this.device(deviceId).dirty
  }

  eventTypes(filter?: { accessCodeId?: string }): string[] {
    return this.events.filter((e) => !filter?.accessCodeId || e.access_code_id === filter.accessCodeId).map((e) => e.event_type)
  }

  private touch(deviceId: string): void {
    const d = this.device(deviceId)
    d.revision++
    d.dirty = true
  }

  private emit(e: StoredEvent): void {
    this.events.push(e)
  }

  // ---- ReconcileRepo ----

  async desiredFor(deviceId: string): Promise<DesiredState> {
    const codes = [...this.codes.values()]
      .filter((c) => c.deviceId === deviceId)
      .map(
        (c): DesiredCode => ({
          accessCodeId: c.accessCodeId,
          code: c.code,
          name: c.name,
          startsAt: c.startsAt,
          endsAt: c.endsAt,
          allowExternalModification: c.allowExternalModification,
          slot: c.slot,
          removing: c.removing,
          confirmedCode: c.confirmedCode,
        }),
      )
    return { revision: this.device(deviceId).revision, codes }
  }

  async recordObservation(deviceId: string, slots: SlotReading[], at: number): Promise<void> {
    const d = this.device(deviceId)
    d.observed = slots.map((s) => ({ ...s }))
    d.observedAt = at
  }

  async assignSlots(_deviceId: string, assignments: { accessCodeId: string; slot: number }[]): Promise<void> {
    for (const a of assignments) {
      const c = this.codes.get(a.accessCodeId)
      if (c) c.slot = a.slot
    }
  }

  async applyVerdicts(deviceId: string, report: VerdictReport, at: number): Promise<void> {
    for (const v of report.verdicts) this.applyVerdict(v, at)
    const d = this.device(deviceId)
    const key = (u: UnmanagedCode): string => `${u.slot}:${u.code}`
    const before = new Map(d.unmanaged.map((u) => [key(u), u]))
    const after = new Map(report.unmanaged.map((u) => [key(u), u]))
    for (const [k, u] of after)
      if (!before.has(k)) this.emit({ event_type: 'access_code.unmanaged.created', device_id: deviceId, slot: u.slot, code: u.code, occurred_at: at })
    for (const [k, u] of before)
      if (!after.has(k)) this.emit({ event_type: 'access_code.unmanaged.removed', device_id: deviceId, slot: u.slot, code: u.code, occurred_at: at })
    d.unmanaged = report.unmanaged.map((u) => ({ ...u }))
  }

  /**
   * One verdict, per the table in verdict-effect.ts: slot, confirmed PIN, errors and warnings as the
   * verdict says; status and PIN as the effect says; its events in order; `gone` forgets the code.
   */
  private applyVerdict(v: CodeVerdict, at: number): void {
    const c = this.codes.get(v.accessCodeId)
    if (!c) return
    const effect = verdictEffect(v, { code: c.code, confirmedCode: c.confirmedCode, errorCodes: new Set(c.errors.map((e) => e.code)) })
    for (const type of effect.events) {
      this.emit({ event_type: type, device_id: c.deviceId, access_code_id: c.accessCodeId, occurred_at: at, ...this.eventDetail(type, v, c.code) })
    }
    if (effect.status === null) {
      this.codes.delete(c.accessCodeId)
      return
    }
    c.slot = v.slot
    if (v.confirmedCode !== undefined) c.confirmedCode = v.confirmedCode
    c.errors = v.errors.map((e) => ({ ...e }))
    c.warnings = v.warnings.map((w) => ({ ...w }))
    if (effect.code !== undefined) c.code = effect.code
    c.status = effect.status
  }

  private eventDetail(type: VerdictEventType, v: CodeVerdict, code: string): Record<string, unknown> {
    if (type === 'access_code.set_on_device') return { code }
    if (type === 'access_code.failed_to_set_on_device' || type === 'access_code.failed_to_remove_from_device') return { errors: v.errors }
    if (v.external && (type === 'access_code.modified_external_to_seam' || type === 'access_code.deleted_external_to_seam')) {
      return { change_type: v.external.changeType, modified_fields: v.external.modifiedFields, resolution: v.external.resolution }
    }
    return {}
  }

  async setDeviceErrors(deviceId: string, errors: ReconcilerDeviceError[]): Promise<void> {
    this.device(deviceId).errors = [...errors]
  }

  async recordActivity(deviceId: string, activity: DeviceActivity, at: number): Promise<void> {
    const d = this.device(deviceId)
    if (activity.type === 'device.connected') d.online = true
    if (activity.type === 'device.disconnected') d.online = false
    if (activity.type === 'lock.locked') d.locked = true
    if (activity.type === 'lock.unlocked') d.locked = false
    const e: StoredEvent = { event_type: activity.type, device_id: deviceId, occurred_at: at }
    if ('method' in activity) e.method = activity.method
    if ('accessCodeId' in activity && activity.accessCodeId) e.access_code_id = activity.accessCodeId
    if ('slot' in activity && activity.slot !== undefined) e.slot = activity.slot
    if ('code' in activity && activity.code !== undefined) e.code = activity.code
    this.emit(e)
  }

  async recordFullScan(deviceId: string, at: number): Promise<void> {
    this.device(deviceId).fullScanAt = at
  }

  async lastFullScan(deviceId: string): Promise<{ at: number; unmanaged: UnmanagedCode[] } | null> {
    const d = this.device(deviceId)
    return d.fullScanAt === null ? null : { at: d.fullScanAt, unmanaged: d.unmanaged.map((u) => ({ ...u })) }
  }

  async dirtyDevices(): Promise<string[]> {
    return [...this.devices.entries()].filter(([, d]) => d.dirty).map(([id]) => id)
  }

  async markClean(deviceId: string, revision: number): Promise<void> {
    const d = this.device(deviceId)
    if (d.revision === revision) d.dirty = false
  }
}
