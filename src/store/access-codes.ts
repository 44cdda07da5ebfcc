// Access code rows and queries. What a change to a code does (checks, events, marking its lock dirty) is
// src/app/access-codes.ts; the reconciler records what it saw through recordOutcome/createUnmanaged/forget.
import type { AccessCode, AccessCodeStatus, CodeIssue } from '../domain/access-code.js'
import { notFound } from '../domain/errors.js'
import type { Device } from '../domain/device.js'
import { json, type StoreContext } from './context.js'
import type { Devices } from './devices.js'
import type { EventLog } from './events.js'

interface Row {
  seq: number
  access_code_id: string
  device_id: string
  is_managed: number
  name: string | null
  appearance_name: string | null
  code: string | null
  starts_at: number | null
  ends_at: number | null
  status: AccessCodeStatus
  is_external_modification_allowed: number
  is_one_time_use: number
  is_offline_access_code: number
  common_code_key: string | null
  slot: number | null
  confirmed_code: string | null
  errors: string
  warnings: string
  pending_mutations: string
  created_at: number
  updated_at: number
  deleted_at: number | null
  is_backup: number
  use_backup_pool: number
  pulled_backup_access_code_id: string | null
  backup_for_access_code_id: string | null
  pending_since: number | null
}

function fromRow(r: Row): AccessCode {
  return {
    seq: r.seq,
    accessCodeId: r.access_code_id,
    deviceId: r.device_id,
    isManaged: r.is_managed === 1,
    name: r.name,
    appearanceName: r.appearance_name,
    code: r.code,
    startsAt: r.starts_at,
    endsAt: r.ends_at,
    status: r.status,
    isExternalModificationAllowed: r.is_external_modification_allowed === 1,
    isOneTimeUse: r.is_one_time_use === 1,
    isOfflineAccessCode: r.is_offline_access_code === 1,
    commonCodeKey: r.common_code_key,
    slot: r.slot,
    confirmedCode: r.confirmed_code,
    errors: json.parse(r.errors),
    warnings: json.parse(r.warnings),
    pendingMutations: json.parse(r.pending_mutations),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    deletedAt: r.deleted_at,
    isBackup: r.is_backup === 1,
    useBackupPool: r.use_backup_pool === 1,
    pulledBackupAccessCodeId: r.pulled_backup_access_code_id,
    backupForAccessCodeId: r.backup_for_access_code_id,
  }
}

export interface CreateCodeInput {
  deviceId: string
  name: string | null
  code: string | null
  startsAt: number | null
  endsAt: number | null
  allowExternalModification: boolean
  isOneTimeUse: boolean
  commonCodeKey: string | null
  preferredCodeLength: number | null
  /** use_backup_access_code_pool: the code may pull a backup code from its lock's pool. */
  useBackupPool?: boolean
}

export interface UpdateCodeInput {
  name?: string | null
  code?: string | null
  startsAt?: number | null
  endsAt?: number | null
  type?: 'ongoing' | 'time_bound'
  allowExternalModification?: boolean
  isOneTimeUse?: boolean
  preferredCodeLength?: number | null
  useBackupPool?: boolean
}

export interface CodeFilter {
  deviceId?: string
  accessCodeIds?: string[]
  managed: boolean
  search?: string
}

export class AccessCodes {
  constructor(
    private readonly ctx: StoreContext,
    private readonly devices: Devices,
    private readonly events: EventLog,
  ) {}

  find(accessCodeId: string, opts: { includeDeleted?: boolean } = {}): AccessCode | undefined {
    const r = this.ctx.db.prepare('SELECT * FROM access_codes WHERE access_code_id = ?').get(accessCodeId) as Row | undefined
    if (!r || (r.deleted_at !== null && !opts.includeDeleted)) return undefined
    return fromRow(r)
  }

  get(accessCodeId: string, managed: boolean): AccessCode {
    const c = this.find(accessCodeId)
    if (!c || c.isManaged !== managed) throw notFound('access_code', accessCodeId)
    return c
  }

  /** Live (not deleted) codes on a device, managed and unmanaged, in creation order. */
  onDevice(deviceId: string): AccessCode[] {
    return (this.ctx.db.prepare('SELECT * FROM access_codes WHERE device_id = ? AND deleted_at IS NULL ORDER BY seq').all(deviceId) as Row[]).map(fromRow)
  }

  /** Deleted codes the reconciler still has to clear from the lock. */
  removingOnDevice(deviceId: string): AccessCode[] {
    return (this.ctx.db
      .prepare("SELECT * FROM access_codes WHERE device_id = ? AND deleted_at IS NOT NULL AND status = 'removing' ORDER BY seq")
      .all(deviceId) as Row[]).map(fromRow)
  }

  list(f: CodeFilter): AccessCode[] {
    const where = ['deleted_at IS NULL', 'is_managed = ?']
    const args: unknown[] = [f.managed ? 1 : 0]
    if (f.deviceId) (where.push('device_id = ?'), args.push(f.deviceId))
    if (f.accessCodeIds?.length) (where.push(`access_code_id IN (${f.accessCodeIds.map(() => '?').join(',')})`), args.push(...f.accessCodeIds))
    const rows = (this.ctx.db.prepare(`SELECT * FROM access_codes WHERE ${where.join(' AND ')} ORDER BY seq`).all(...args) as Row[]).map(fromRow)
    const s = f.search?.toLowerCase()
    return s ? rows.filter((c) => c.name?.toLowerCase().includes(s) || c.code === f.search || c.accessCodeId === f.search) : rows
  }

  /** Live managed codes sharing a common_code_key, oldest first. */
  withCommonCodeKey(commonCodeKey: string): AccessCode[] {
    return (this.ctx.db
      .prepare('SELECT * FROM access_codes WHERE common_code_key = ? AND is_managed = 1 AND deleted_at IS NULL ORDER BY seq')
      .all(commonCodeKey) as Row[]).map(fromRow)
  }

  /** Backup codes waiting in a device's pool, oldest first. */
  backupPool(deviceId: string): AccessCode[] {
    return (this.ctx.db
      .prepare('SELECT * FROM access_codes WHERE device_id = ? AND is_backup = 1 AND backup_for_access_code_id IS NULL AND deleted_at IS NULL ORDER BY seq')
      .all(deviceId) as Row[]).map(fromRow)
  }

  /** A new backup code for the pool: set on the lock by the reconciler, no event (its PIN is nobody's yet). */
  insertBackup(deviceId: string, code: string, name: string | null, appearanceName: string | null): string {
    const now = this.ctx.clock.now()
    const accessCodeId = this.ctx.random.uuid()
    this.ctx.db
      .prepare(
        `INSERT INTO access_codes (access_code_id, device_id, is_managed, name, appearance_name, code, status, is_backup, created_at, updated_at)
         VALUES (?, ?, 1, ?, ?, ?, 'setting', 1, ?, ?)`,
      )
      .run(accessCodeId, deviceId, name, appearanceName, code, now, now)
    return accessCodeId
  }

  setUseBackupPool(accessCodeId: string, use: boolean): void {
    this.ctx.db.prepare('UPDATE access_codes SET use_backup_pool = ?, updated_at = ? WHERE access_code_id = ?').run(use ? 1 : 0, this.ctx.clock.now(), accessCodeId)
  }

  /** The pool code `backupId` now stands in for `accessCodeId`. */
  markPulled(accessCodeId: string, backupId: string): void {
    const now = this.ctx.clock.now()
    this.ctx.db.prepare('UPDATE access_codes SET pulled_backup_access_code_id = ?, updated_at = ? WHERE access_code_id = ?').run(backupId, now, accessCodeId)
    this.ctx.db.prepare('UPDATE access_codes SET backup_for_access_code_id = ?, updated_at = ? WHERE access_code_id = ?').run(accessCodeId, now, backupId)
  }

  /** The fields of a device's live codes that choosing a code and a name looks at (cheap for large pushes). */
  /** Live codes that carry an error, counted by error code (for /health). Counted here rather than with SQL's
   *  GROUP BY: SQLite 3.53 put equal json_extract() results from json_each into separate groups. */
  errorCounts(): Record<string, number> {
    const rows = this.ctx.db
      .prepare(`SELECT json_extract(e.value, '$.error_code') AS code FROM access_codes c, json_each(c.errors) e WHERE c.deleted_at IS NULL AND c.errors != '[]'`)
      .all() as { code: string | null }[]
    const counts: Record<string, number> = {}
    for (const { code } of rows) counts[code ?? 'unknown'] = (counts[code ?? 'unknown'] ?? 0) + 1
    return counts
  }

  peers(deviceId: string): CodePeer[] {
    return this.ctx.db
      .prepare('SELECT access_code_id AS accessCodeId, code, appearance_name AS appearanceName, is_managed = 1 AS isManaged FROM access_codes WHERE device_id = ? AND deleted_at IS NULL ORDER BY seq')
      .all(deviceId) as CodePeer[]
  }

  /** A new managed code row (checked by the caller). */
  insertManaged(c: NewManagedCode): string {
    const now = this.ctx.clock.now()
    const accessCodeId = this.ctx.random.uuid()
    this.ctx.db
      .prepare(
        `INSERT INTO access_codes (access_code_id, device_id, is_managed, name, appearance_name, code, starts_at, ends_at, status,
          is_external_modification_allowed, is_one_time_use, common_code_key, created_at, updated_at, pending_since)
         VALUES (?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        accessCodeId, c.deviceId, c.name, c.appearanceName, c.code, c.startsAt, c.endsAt, c.status,
        c.allowExternalModification ? 1 : 0, c.isOneTimeUse ? 1 : 0, c.commonCodeKey, now, now, now,
      )
    return accessCodeId
  }

  /**
   * Writes a managed code's new fields; `clearErrors` when the lock must take it again: a new request, so
   * its delay is timed afresh (pending_since, and no delay warning from the old request).
   */
  writeChange(accessCodeId: string, next: AccessCode, status: AccessCodeStatus, clearErrors: boolean): void {
    const now = this.ctx.clock.now()
    const warnings = clearErrors ? next.warnings.filter((w) => !isDelayWarning(w)) : next.warnings
    this.ctx.db
      .prepare(
        `UPDATE access_codes SET name = ?, appearance_name = ?, code = ?, starts_at = ?, ends_at = ?, status = ?, is_external_modification_allowed = ?,
          is_one_time_use = ?, errors = CASE WHEN ? THEN '[]' ELSE errors END, warnings = ?, updated_at = ?,
          pending_since = CASE WHEN ? THEN ? ELSE pending_since END WHERE access_code_id = ?`,
      )
      .run(
        next.name, next.appearanceName, next.code, next.startsAt, next.endsAt, status, next.isExternalModificationAllowed ? 1 : 0,
        next.isOneTimeUse ? 1 : 0, clearErrors ? 1 : 0, json.str(warnings), now, clearErrors ? 1 : 0, now, accessCodeId,
      )
  }

  /** Out of lists at once; `removing` until the reconciler has cleared it from the lock. */
  markRemoving(accessCodeId: string): void {
    const now = this.ctx.clock.now()
    // No longer being set: a delay in setting it is moot; the removal is timed from now.
    const c = this.find(accessCodeId, { includeDeleted: true })
    const warnings = (c?.warnings ?? []).filter((w) => w.warning_code !== 'delay_in_setting_on_device')
    this.ctx.db
      .prepare("UPDATE access_codes SET deleted_at = ?, status = 'removing', warnings = ?, updated_at = ?, pending_since = ? WHERE access_code_id = ?")
      .run(now, json.str(warnings), now, now, accessCodeId)
  }

  /**
   * Codes that are, or will be, waiting for their lock (see domain/code-delay.ts), with when their current
   * request began: live managed codes not yet set or bounded in time, and deleted codes still on a lock.
   */
  delayCandidates(): { code: AccessCode; requestedAt: number }[] {
    const rows = this.ctx.db
      .prepare(
        `SELECT * FROM access_codes WHERE (deleted_at IS NULL AND is_managed = 1 AND (status != 'set' OR ends_at IS NOT NULL))
           OR (deleted_at IS NOT NULL AND status = 'removing') ORDER BY seq`,
      )
      .all() as Row[]
    return rows.map((r) => ({ code: fromRow(r), requestedAt: r.pending_since ?? r.deleted_at ?? r.created_at }))
  }

  /** Adds one warning (the caller checked it is not there yet). */
  addWarning(accessCodeId: string, warning: CodeIssue): void {
    const c = this.find(accessCodeId, { includeDeleted: true })
    if (!c) return
    this.ctx.db
      .prepare('UPDATE access_codes SET warnings = ?, updated_at = ? WHERE access_code_id = ?')
      .run(json.str([...c.warnings, warning]), this.ctx.clock.now(), accessCodeId)
  }

  /** An unmanaged code becomes managed: it is on the lock already, in its slot, and its PIN was seen there. */
  markManaged(accessCodeId: string, allowExternalModification: boolean): void {
    this.ctx.db
      .prepare(
        "UPDATE access_codes SET is_managed = 1, is_external_modification_allowed = ?, confirmed_code = code, status = 'set', updated_at = ? WHERE access_code_id = ?",
      )
      .run(allowExternalModification ? 1 : 0, this.ctx.clock.now(), accessCodeId)
  }

  /** A code lockstep did not create appeared on the lock (reconciler). */
  createUnmanaged(deviceId: string, slot: number, code: string | null, name: string | null): AccessCode {
    const device = this.devices.get(deviceId)
    const now = this.ctx.clock.now()
    const accessCodeId = this.ctx.random.uuid()
    this.ctx.db
      .prepare(
        `INSERT INTO access_codes (access_code_id, device_id, is_managed, name, appearance_name, code, confirmed_code, status, slot, created_at, updated_at)
         VALUES (?, ?, 0, ?, ?, ?, ?, 'set', ?, ?, ?)`,
      )
      .run(accessCodeId, deviceId, name, name, code, code, slot, now, now)
    this.codeEvent('access_code.unmanaged.created', device, accessCodeId)
    return this.get(accessCodeId, false)
  }

  /** Reconciler outcome for one code: status, slot, errors and warnings as observed. */
  recordOutcome(accessCodeId: string, o: { status?: AccessCodeStatus; slot?: number | null; code?: string; errors?: CodeIssue[]; warnings?: CodeIssue[] }): void {
    const sets: string[] = []
    const args: unknown[] = []
    if (o.status !== undefined) (sets.push('status = ?'), args.push(o.status))
    if (o.slot !== undefined) (sets.push('slot = ?'), args.push(o.slot))
    if (o.code !== undefined) (sets.push('code = ?'), args.push(o.code))
    if (o.errors !== undefined) (sets.push('errors = ?'), args.push(json.str(o.errors)))
    if (o.warnings !== undefined) (sets.push('warnings = ?'), args.push(json.str(o.warnings)))
    if (sets.length === 0) return
    sets.push('updated_at = ?')
    args.push(this.ctx.clock.now(), accessCodeId)
    this.ctx.db.prepare(`UPDATE access_codes SET ${sets.join(', ')} WHERE access_code_id = ?`).run(...args)
  }

  /** The code is off the lock and out of lists; the tombstone keeps the id so a repeated delete is not an error. */
  forget(accessCodeId: string): void {
    const now = this.ctx.clock.now()
    this.ctx.db
      .prepare("UPDATE access_codes SET status = 'unset', slot = NULL, deleted_at = COALESCE(deleted_at, ?), updated_at = ? WHERE access_code_id = ?")
      .run(now, now, accessCodeId)
  }

  codeEvent(type: string, device: Device, accessCodeId: string, extra: Record<string, unknown> = {}): void {
    this.events.append({ event_type: type, device_id: device.deviceId, access_code_id: accessCodeId, connected_account_id: device.connectedAccountId, ...extra })
  }
}

export function isDelayWarning(w: CodeIssue): boolean {
  return w.warning_code === 'delay_in_setting_on_device' || w.warning_code === 'delay_in_removing_from_device'
}

/** The fields of a device's other codes that creating or renaming a code looks at. */
export type CodePeer = Pick<AccessCode, 'accessCodeId' | 'code' | 'appearanceName' | 'isManaged'>

export interface NewManagedCode extends CreateCodeInput {
  appearanceName: string | null
  status: AccessCodeStatus
}

