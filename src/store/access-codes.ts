// Access codes: each API change is one transaction holding the row, its event and the device's work item.
import {
  assertNotDuplicate, codeAppearance, generateCode, validateCode, validateWindow,
  type AccessCode, type AccessCodeStatus, type CodeIssue,
} from '../domain/access-code.js'
import { invalidInput, notFound } from '../domain/errors.js'
import type { Device } from '../domain/device.js'
import { json, type StoreContext } from './context.js'
import type { Devices } from './devices.js'
import type { EventLog } from './events.js'
import type { DirtyDevices } from './dirty-devices.js'

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
    private readonly dirtyDevices: DirtyDevices,
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

  create(input: CreateCodeInput): AccessCode {
    const device = this.devices.get(input.deviceId)
    const now = this.ctx.clock.now()
    const window = { startsAt: input.startsAt, endsAt: input.endsAt }
    validateWindow(window, now)
    // Only what the code and name choices need: a push of thousands of codes creates them one by one.
    const others = this.ctx.db
      .prepare('SELECT access_code_id AS accessCodeId, code, appearance_name AS appearanceName, is_managed = 1 AS isManaged FROM access_codes WHERE device_id = ? AND deleted_at IS NULL ORDER BY seq')
      .all(device.deviceId) as Peer[]
    const code = this.chooseCode(device, input.code, input.preferredCodeLength, others)
    const accessCodeId = this.ctx.random.uuid()
    this.ctx.db
      .prepare(
        `INSERT INTO access_codes (access_code_id, device_id, is_managed, name, appearance_name, code, starts_at, ends_at, status,
          is_external_modification_allowed, is_one_time_use, common_code_key, created_at, updated_at)
         VALUES (?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        accessCodeId, device.deviceId, input.name, codeAppearance(input.name, device.constraints, shownNames(others)), code, input.startsAt, input.endsAt, initialStatus(window, now),
        input.allowExternalModification ? 1 : 0, input.isOneTimeUse ? 1 : 0, input.commonCodeKey, now, now,
      )
    this.codeEvent('access_code.created', device, accessCodeId)
    this.dirtyDevices.markDirty(device.deviceId, 'access_code.created')
    return this.get(accessCodeId, true)
  }

  update(accessCodeId: string, input: UpdateCodeInput): AccessCode {
    const current = this.get(accessCodeId, true)
    const device = this.devices.get(current.deviceId)
    const now = this.ctx.clock.now()
    const next = { ...current }
    if (input.name !== undefined && input.name !== current.name) {
      next.name = input.name
      const others = this.onDevice(device.deviceId).filter((c) => c.accessCodeId !== accessCodeId)
      next.appearanceName = codeAppearance(input.name, device.constraints, shownNames(others))
    }
    if (input.startsAt !== undefined) next.startsAt = input.startsAt
    if (input.endsAt !== undefined) next.endsAt = input.endsAt
    if (input.type === 'ongoing') (next.startsAt = null), (next.endsAt = null)
    if (input.type === 'time_bound' && next.startsAt === null) throw invalidInput('a time_bound code needs starts_at and ends_at', 'starts_at')
    if (input.allowExternalModification !== undefined) next.isExternalModificationAllowed = input.allowExternalModification
    if (input.isOneTimeUse !== undefined) next.isOneTimeUse = input.isOneTimeUse
    const windowChanged = next.startsAt !== current.startsAt || next.endsAt !== current.endsAt
    if (windowChanged) validateWindow(next, now)
    if (input.code !== undefined || input.preferredCodeLength != null) {
      const others = this.onDevice(device.deviceId).filter((c) => c.accessCodeId !== accessCodeId)
      const wanted = input.code === undefined ? null : input.code
      if (wanted !== current.code || wanted === null) next.code = this.chooseCode(device, wanted, input.preferredCodeLength ?? null, others)
    }
    const changes: [string, unknown, unknown][] = []
    if (next.name !== current.name) changes.push(['name', current.name, next.name])
    if (next.code !== current.code) changes.push(['code', current.code, next.code])
    if (windowChanged) changes.push(['time_frame', [current.startsAt, current.endsAt], [next.startsAt, next.endsAt]])
    const flagsChanged =
      next.isExternalModificationAllowed !== current.isExternalModificationAllowed || next.isOneTimeUse !== current.isOneTimeUse
    if (changes.length === 0 && !flagsChanged) return current // a retried PUT changes nothing

    // Anything the lock holds must be written again; the reconciler decides when.
    const onLock = changes.some(([f]) => f !== 'time_frame') || windowChanged
    const status: AccessCodeStatus = onLock ? initialStatus(next, now) : current.status
    this.ctx.db
      .prepare(
        `UPDATE access_codes SET name = ?, appearance_name = ?, code = ?, starts_at = ?, ends_at = ?, status = ?, is_external_modification_allowed = ?,
          is_one_time_use = ?, errors = CASE WHEN ? THEN '[]' ELSE errors END, updated_at = ? WHERE access_code_id = ?`,
      )
      .run(
        next.name, next.appearanceName, next.code, next.startsAt, next.endsAt, status, next.isExternalModificationAllowed ? 1 : 0,
        next.isOneTimeUse ? 1 : 0, onLock ? 1 : 0, now, accessCodeId,
      )
    this.codeEvent('access_code.changed', device, accessCodeId)
    for (const [field, from, to] of changes) {
      if (field === 'name') {
        this.codeEvent('access_code.name_changed', device, accessCodeId, { from: { name: from }, to: { name: to }, description: 'The name of the access code changed' })
      }
      if (field === 'code') {
        this.codeEvent('access_code.code_changed', device, accessCodeId, { from: { code: from }, to: { code: to }, description: 'The code of the access code changed' })
      }
      if (field === 'time_frame') {
        this.codeEvent('access_code.time_frame_changed', device, accessCodeId, {
          from: { starts_at: iso(current.startsAt), ends_at: iso(current.endsAt) },
          to: { starts_at: iso(next.startsAt), ends_at: iso(next.endsAt) },
          description: 'The time frame of the access code changed',
        })
      }
    }
    if (onLock || flagsChanged) this.dirtyDevices.markDirty(device.deviceId, 'access_code.changed')
    return this.get(accessCodeId, true)
  }

  /**
   * Deletes a managed or unmanaged code: it disappears from lists at once and stays `removing` until the
   * reconciler has cleared it from the lock. Deleting an already deleted code is not an error (retries).
   */
  delete(accessCodeId: string, managed: boolean): void {
    const c = this.find(accessCodeId, { includeDeleted: true })
    if (!c || c.isManaged !== managed) throw notFound('access_code', accessCodeId)
    if (c.deletedAt !== null) return
    const device = this.devices.get(c.deviceId)
    const now = this.ctx.clock.now()
    this.ctx.db
      .prepare("UPDATE access_codes SET deleted_at = ?, status = 'removing', updated_at = ? WHERE access_code_id = ?")
      .run(now, now, accessCodeId)
    this.codeEvent(managed ? 'access_code.deleted' : 'access_code.unmanaged.removed', device, accessCodeId, managed ? { code: c.code } : {})
    this.dirtyDevices.markDirty(device.deviceId, managed ? 'access_code.deleted' : 'access_code.unmanaged.removed')
  }

  convertToManaged(accessCodeId: string, allowExternalModification: boolean): AccessCode {
    const c = this.find(accessCodeId)
    if (!c) throw notFound('access_code', accessCodeId)
    if (c.isManaged) return c // already converted: a retried PATCH is fine
    const device = this.devices.get(c.deviceId)
    const now = this.ctx.clock.now()
    this.ctx.db
      // It is on the lock already, in its slot: lockstep now owns that slot and has seen the PIN there.
      .prepare(
        "UPDATE access_codes SET is_managed = 1, is_external_modification_allowed = ?, confirmed_code = code, status = 'set', updated_at = ? WHERE access_code_id = ?",
      )
      .run(allowExternalModification ? 1 : 0, now, accessCodeId)
    this.codeEvent('access_code.unmanaged.converted_to_managed', device, accessCodeId)
    this.dirtyDevices.markDirty(device.deviceId, 'access_code.unmanaged.converted_to_managed')
    return this.get(accessCodeId, true)
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

  private chooseCode(device: Device, wanted: string | null, preferredLength: number | null, others: readonly Peer[]): string {
    if (wanted === null) return generateCode(device.constraints, new Set(others.map((o) => o.code ?? '')), this.ctx.random, preferredLength ?? undefined)
    validateCode(wanted, device.constraints)
    assertNotDuplicate(wanted, others)
    return wanted
  }
}

/** The fields of a device's other codes that creating or renaming a code looks at. */
type Peer = Pick<AccessCode, 'accessCodeId' | 'code' | 'appearanceName' | 'isManaged'>

function shownNames(codes: readonly Peer[]): string[] {
  return codes.flatMap((c) => (c.appearanceName === null ? [] : [c.appearanceName]))
}

function initialStatus(w: { startsAt: number | null }, now: number): AccessCodeStatus {
  return w.startsAt !== null && w.startsAt > now ? 'unset' : 'setting'
}

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString()
}

