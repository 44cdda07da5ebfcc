// Access grants and their access methods. The pure domain (src/domain/access-grant.ts, reservation.ts) plans;
// this repository writes the plan inside the caller's transaction: the grant row, its methods, the managed
// access codes of `code` methods (the reconciler delivers them), and the Seam events.
//
// - `code`: one managed access code per lock of the grant (AccessCodes.create marks the lock dirty). The
//   method is issued when every one of its codes is `set` on its lock.
// - `card`: waits for the encoder (`is_encoding_required`); the encoder side calls `markCardEncoded`. A card
//   whose encoded window or doors lag behind the grant raises the grant's `encoding_required` warning.
// - Deleted grants and methods keep a tombstone (`deleted_at`) so a repeated delete answers ok.
import { isoUtc } from '../kernel/clock.js'
import type { AccessCode } from '../domain/access-code.js'
import {
  cardNeedsEncoding, cardWarnings, planAccessMethods, planGrantCreation, planGrantTimeFrameUpdate, planReprovision,
  type AccessMethodPlan, type AccessMode, type CardMethodState, type EntranceInfo, type GrantTargets, type GrantWarning,
  type PlannedAccessMethod, type RequestedAccessMethod, type ResolvedTargets, type TargetLookup,
} from '../domain/access-grant.js'
import { DomainError, conflict, notFound } from '../domain/errors.js'
import { releaseReservationGrants, type ReservationMember, type ReservationWarning, type TimeWindow } from '../domain/reservation.js'
import type { AccessCodes } from './access-codes.js'
import { json, type StoreContext } from './context.js'
import type { EventLog } from './events.js'
import type { UserIdentities } from './user-identities.js'

export type GrantSource = 'api' | 'reservations' | 'bookings' | 'access_grants'

export interface RequestedMethodRecord {
  mode: AccessMode
  code?: string
  created_at: string
}

export interface AccessGrant {
  seq: number
  accessGrantId: string
  accessGrantKey: string | null
  reservationKey: string | null
  userIdentityId: string
  name: string | null
  startsAt: number
  endsAt: number | null
  requested: RequestedMethodRecord[]
  spaceIds: string[]
  spaceKeys: string[]
  deviceIds: string[]
  acsEntranceIds: string[]
  capableEntranceIds: string[]
  reservationEntranceIds: string[]
  /** Wire-ready Seam errors/warnings recorded at provisioning (encoding_required is derived, see warningsOf). */
  errors: Record<string, unknown>[]
  warnings: Record<string, unknown>[]
  state: 'active' | 'draft'
  source: GrantSource
  customerKey: string | null
  preferredCode: string | null
  waitingFor: Record<string, unknown> | null
  createdAt: number
  updatedAt: number
  deletedAt: number | null
}

export interface AccessMethod {
  seq: number
  accessMethodId: string
  accessGrantId: string
  mode: AccessMode
  code: string | null
  /** card: the entrances the card must open. */
  entranceIds: string[]
  warnings: Record<string, unknown>[]
  /** Stored issue time (card: last encoding; code: when all its codes were first seen set). */
  storedIssuedAt: number | null
  acsCredentialId: string | null
  cardUid: string | null
  encoded: { window: TimeWindow; entranceIds: string[] } | null
  createdAt: number
  updatedAt: number
  deletedAt: number | null
}

/** A method with what is derived from its codes / the grant. */
export interface AccessMethodView extends AccessMethod {
  accessCodes: AccessCode[]
  isIssued: boolean
  issuedAt: number | null
  isEncodingRequired: boolean
}

export interface CreateGrantInput {
  userIdentityId: string
  requested: RequestedAccessMethod[]
  targets: GrantTargets
  window: TimeWindow
  name: string | null
  accessGrantKey: string | null
  reservationKey: string | null
  reservationKeyRequiredForGuestCards: boolean
  source?: GrantSource
  customerKey?: string | null
  preferredCode?: string | null
  spaceKeys?: string[]
  /** push_data: a memoized view of the site for the whole push, and the holder already checked by the caller. */
  lookup?: TargetLookup
  holderChecked?: boolean
}

/** What the card encoder needs to write one card (see markCardEncoded). */
export interface CardEncodingJob {
  method: AccessMethodView
  grant: AccessGrant
  userIdentity: { userIdentityId: string; fullName: string | null } | null
  reservationKey: string | null
  window: TimeWindow
  /** The doors the card opens (the card method's entrances). */
  entranceIds: string[]
  /** Of those, the reservation-capable ones and the reservation door set (empty without a key). */
  capableEntranceIds: string[]
  reservationEntranceIds: string[]
}

interface GrantRow {
  seq: number
  access_grant_id: string
  access_grant_key: string | null
  reservation_key: string | null
  user_identity_id: string
  name: string | null
  starts_at: number
  ends_at: number | null
  requested: string
  space_ids: string
  space_keys: string
  device_ids: string
  acs_entrance_ids: string
  capable_entrance_ids: string
  reservation_entrance_ids: string
  errors: string
  warnings: string
  state: 'active' | 'draft'
  source: GrantSource
  customer_key: string | null
  preferred_code: string | null
  waiting_for: string | null
  created_at: number
  updated_at: number
  deleted_at: number | null
}

interface MethodRow {
  seq: number
  access_method_id: string
  access_grant_id: string
  mode: AccessMode
  code: string | null
  entrance_ids: string
  warnings: string
  issued_at: number | null
  acs_credential_id: string | null
  card_uid: string | null
  encoded_starts_at: number | null
  encoded_ends_at: number | null
  encoded_entrance_ids: string | null
  created_at: number
  updated_at: number
  deleted_at: number | null
}

const grantFromRow = (r: GrantRow): AccessGrant => ({
  seq: r.seq,
  accessGrantId: r.access_grant_id,
  accessGrantKey: r.access_grant_key,
  reservationKey: r.reservation_key,
  userIdentityId: r.user_identity_id,
  name: r.name,
  startsAt: r.starts_at,
  endsAt: r.ends_at,
  requested: json.parse(r.requested),
  spaceIds: json.parse(r.space_ids),
  spaceKeys: json.parse(r.space_keys),
  deviceIds: json.parse(r.device_ids),
  acsEntranceIds: json.parse(r.acs_entrance_ids),
  capableEntranceIds: json.parse(r.capable_entrance_ids),
  reservationEntranceIds: json.parse(r.reservation_entrance_ids),
  errors: json.parse(r.errors),
  warnings: json.parse(r.warnings),
  state: r.state,
  source: r.source,
  customerKey: r.customer_key,
  preferredCode: r.preferred_code,
  waitingFor: json.parse(r.waiting_for),
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  deletedAt: r.deleted_at,
})

const methodFromRow = (r: MethodRow): AccessMethod => ({
  seq: r.seq,
  accessMethodId: r.access_method_id,
  accessGrantId: r.access_grant_id,
  mode: r.mode,
  code: r.code,
  entranceIds: json.parse(r.entrance_ids),
  warnings: json.parse(r.warnings),
  storedIssuedAt: r.issued_at,
  acsCredentialId: r.acs_credential_id,
  cardUid: r.card_uid,
  encoded:
    r.encoded_starts_at === null
      ? null
      : { window: { startsAt: r.encoded_starts_at, endsAt: r.encoded_ends_at }, entranceIds: json.parse(r.encoded_entrance_ids) ?? [] },
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  deletedAt: r.deleted_at,
})

export const windowOf = (g: Pick<AccessGrant, 'startsAt' | 'endsAt'>): TimeWindow => ({ startsAt: g.startsAt, endsAt: g.endsAt })

export interface GrantFilter {
  userIdentityId?: string
  spaceId?: string
  deviceId?: string
  acsEntranceId?: string
  acsSystemId?: string
  accessCodeId?: string
  accessGrantIds?: string[]
  accessGrantKey?: string
  reservationKey?: string
  customerKey?: string
  search?: string
}

export interface MethodFilter {
  accessGrantId?: string
  accessGrantKey?: string
  deviceId?: string
  acsEntranceId?: string
  spaceId?: string
  accessCodeId?: string
}

export class AccessGrants {
  constructor(
    private readonly ctx: StoreContext,
    private readonly accessCodes: AccessCodes,
    private readonly identities: UserIdentities,
    private readonly events: EventLog,
  ) {}

  // ------------------------------------------------------------------ reads

  /** The site as the domain sees it: spaces with their doors, locks (all take codes), card entrances. */
  lookup(): TargetLookup {
    const db = this.ctx.db
    const spaceDoors = (spaceId: string) => ({
      spaceId,
      deviceIds: (db.prepare('SELECT device_id FROM space_devices WHERE space_id = ? ORDER BY rowid').all(spaceId) as { device_id: string }[]).map((r) => r.device_id),
      entranceIds: (db.prepare('SELECT acs_entrance_id FROM space_entrances WHERE space_id = ? ORDER BY rowid').all(spaceId) as { acs_entrance_id: string }[]).map((r) => r.acs_entrance_id),
    })
    return {
      space: (id) => (db.prepare('SELECT 1 FROM spaces WHERE space_id = ?').get(id) ? spaceDoors(id) : undefined),
      spaceByKey: (key) => {
        const r = db.prepare('SELECT space_id FROM spaces WHERE space_key = ?').get(key) as { space_id: string } | undefined
        return r ? spaceDoors(r.space_id) : undefined
      },
      device: (id) => (db.prepare('SELECT 1 FROM devices WHERE device_id = ?').get(id) ? { deviceId: id, canProgramAccessCodes: true } : undefined),
      entrance: (id) => {
        const r = db.prepare('SELECT can_belong_to_reservation FROM acs_entrances WHERE acs_entrance_id = ?').get(id) as { can_belong_to_reservation: number } | undefined
        return r ? { entranceId: id, canBelongToReservation: r.can_belong_to_reservation === 1, canUnlockWithCard: true } : undefined
      },
    }
  }

  /** The grant's doors now; spaces, locks or entrances that vanished are skipped. */
  resolve(g: AccessGrant, lookup: TargetLookup = this.lookup()): ResolvedTargets {
    const spaces = g.spaceIds.map((id) => lookup.space(id)).filter((s) => s !== undefined)
    const deviceIds = [...new Set([...g.deviceIds, ...spaces.flatMap((s) => s.deviceIds)])].sort()
    const entranceIds = [...new Set([...g.acsEntranceIds, ...spaces.flatMap((s) => s.entranceIds)])].sort()
    return {
      spaceIds: spaces.map((s) => s.spaceId),
      devices: deviceIds.map((id) => lookup.device(id)).filter((d) => d !== undefined),
      entrances: entranceIds.map((id) => lookup.entrance(id)).filter((e) => e !== undefined),
    }
  }

  find(id: string, opts: { includeDeleted?: boolean; includeDrafts?: boolean } = {}): AccessGrant | undefined {
    const r = this.ctx.db.prepare('SELECT * FROM access_grants WHERE access_grant_id = ?').get(id) as GrantRow | undefined
    if (!r) return undefined
    if (r.deleted_at !== null && !opts.includeDeleted) return undefined
    if (r.state === 'draft' && !opts.includeDrafts) return undefined
    return grantFromRow(r)
  }

  findByKey(key: string, opts: { includeDrafts?: boolean } = {}): AccessGrant | undefined {
    const r = this.ctx.db.prepare('SELECT * FROM access_grants WHERE access_grant_key = ? AND deleted_at IS NULL').get(key) as GrantRow | undefined
    if (!r || (r.state === 'draft' && !opts.includeDrafts)) return undefined
    return grantFromRow(r)
  }

  get(id: string): AccessGrant {
    const g = this.find(id)
    if (!g) throw notFound('access_grant', id)
    return g
  }

  getByIdOrKey(ref: { id?: string | null; key?: string | null }): AccessGrant {
    const g = ref.id ? this.find(ref.id) : ref.key ? this.findByKey(ref.key) : undefined
    if (!g) throw notFound('access_grant', ref.id ?? (ref.key ? `access_grant_key ${ref.key}` : undefined))
    return g
  }

  /** Live grants, drafts included on request (push_data works on both). */
  all(opts: { includeDrafts?: boolean } = {}): AccessGrant[] {
    const sql = `SELECT * FROM access_grants WHERE deleted_at IS NULL ${opts.includeDrafts ? '' : "AND state = 'active'"} ORDER BY seq`
    return (this.ctx.db.prepare(sql).all() as GrantRow[]).map(grantFromRow)
  }

  list(f: GrantFilter = {}): AccessGrant[] {
    const lookup = this.lookup()
    const q = f.search?.toLowerCase()
    return this.all().filter((g) => {
      if (f.userIdentityId && g.userIdentityId !== f.userIdentityId) return false
      if (f.accessGrantIds?.length && !f.accessGrantIds.includes(g.accessGrantId)) return false
      if (f.accessGrantKey && g.accessGrantKey !== f.accessGrantKey) return false
      if (f.reservationKey && g.reservationKey !== f.reservationKey) return false
      if (f.customerKey && g.customerKey !== f.customerKey) return false
      if (f.spaceId && !g.spaceIds.includes(f.spaceId)) return false
      if (q && ![g.name, g.accessGrantKey, g.reservationKey, g.accessGrantId].some((v) => v?.toLowerCase().includes(q))) return false
      if (f.deviceId || f.acsEntranceId || f.acsSystemId) {
        const t = this.resolve(g, lookup)
        if (f.deviceId && !t.devices.some((d) => d.deviceId === f.deviceId)) return false
        if (f.acsEntranceId && !t.entrances.some((e) => e.entranceId === f.acsEntranceId)) return false
        if (f.acsSystemId && t.entrances.length === 0) return false
      }
      if (f.accessCodeId && !this.methodsOf(g.accessGrantId).some((m) => m.accessCodes.some((c) => c.accessCodeId === f.accessCodeId))) return false
      return true
    })
  }

  /** Live active grants holding a reservation_key, as the reservation rules want them. */
  members(reservationKey: string | null): ReservationMember[] {
    if (reservationKey === null) return []
    return (this.ctx.db
      .prepare("SELECT * FROM access_grants WHERE reservation_key = ? AND deleted_at IS NULL AND state = 'active' ORDER BY seq")
      .all(reservationKey) as GrantRow[]).map(grantFromRow).map(memberOf)
  }

  /** Whether live grants (or drafts) target a space by id: it cannot be deleted then. */
  spaceInUse(spaceId: string): boolean {
    return this.ctx.db.prepare('SELECT 1 FROM access_grants WHERE deleted_at IS NULL AND space_ids LIKE ? LIMIT 1').get(`%"${spaceId}"%`) !== undefined
  }

  // ------------------------------------------------------------------ methods: reads

  private rawMethods(grantId: string, opts: { includeDeleted?: boolean } = {}): AccessMethod[] {
    const sql = `SELECT * FROM access_methods WHERE access_grant_id = ? ${opts.includeDeleted ? '' : 'AND deleted_at IS NULL'} ORDER BY seq`
    return (this.ctx.db.prepare(sql).all(grantId) as MethodRow[]).map(methodFromRow)
  }

  private linkedCodes(accessMethodId: string): AccessCode[] {
    const ids = (this.ctx.db.prepare('SELECT access_code_id FROM access_method_codes WHERE access_method_id = ? ORDER BY rowid').all(accessMethodId) as { access_code_id: string }[])
    return ids.map((r) => this.accessCodes.find(r.access_code_id)).filter((c) => c !== undefined)
  }

  view(m: AccessMethod, grant?: AccessGrant): AccessMethodView {
    if (m.mode === 'code') {
      const codes = this.linkedCodes(m.accessMethodId)
      const isIssued = codes.length > 0 && codes.every((c) => c.status === 'set')
      const issuedAt = isIssued ? (m.storedIssuedAt ?? Math.max(...codes.map((c) => c.updatedAt))) : null
      return { ...m, accessCodes: codes, isIssued, issuedAt, isEncodingRequired: false }
    }
    const g = grant ?? this.find(m.accessGrantId, { includeDeleted: true, includeDrafts: true })
    const isIssued = m.storedIssuedAt !== null
    const isEncodingRequired = m.mode === 'card' && g !== undefined && m.deletedAt === null && cardNeedsEncoding(cardState(m), windowOf(g), m.entranceIds)
    return { ...m, accessCodes: [], isIssued, issuedAt: m.storedIssuedAt, isEncodingRequired }
  }

  methodsOf(grantId: string): AccessMethodView[] {
    const g = this.find(grantId, { includeDeleted: true, includeDrafts: true })
    return this.rawMethods(grantId).map((m) => this.view(m, g))
  }

  findMethod(id: string, opts: { includeDeleted?: boolean } = {}): AccessMethodView | undefined {
    const r = this.ctx.db.prepare('SELECT * FROM access_methods WHERE access_method_id = ?').get(id) as MethodRow | undefined
    if (!r || (r.deleted_at !== null && !opts.includeDeleted)) return undefined
    return this.view(methodFromRow(r))
  }

  getMethod(id: string): AccessMethodView {
    const m = this.findMethod(id)
    if (!m) throw notFound('access_method', id)
    return m
  }

  listMethods(f: MethodFilter): AccessMethodView[] {
    const lookup = this.lookup()
    let grants = this.all()
    if (f.accessGrantId) grants = grants.filter((g) => g.accessGrantId === f.accessGrantId)
    if (f.accessGrantKey) grants = grants.filter((g) => g.accessGrantKey === f.accessGrantKey)
    if (f.spaceId) grants = grants.filter((g) => g.spaceIds.includes(f.spaceId!))
    const out: AccessMethodView[] = []
    for (const g of grants) {
      for (const m of this.rawMethods(g.accessGrantId).map((x) => this.view(x, g))) {
        if (f.accessCodeId && !m.accessCodes.some((c) => c.accessCodeId === f.accessCodeId)) continue
        if (f.deviceId && !(m.accessCodes.some((c) => c.deviceId === f.deviceId) || (m.mode !== 'code' && this.resolve(g, lookup).devices.some((d) => d.deviceId === f.deviceId)))) continue
        if (f.acsEntranceId && !m.entranceIds.includes(f.acsEntranceId)) continue
        out.push(m)
      }
    }
    return out.sort((a, b) => a.seq - b.seq)
  }

  /** Stored warnings plus `encoding_required` while issued cards lag behind the grant (level-triggered). */
  warningsOf(g: AccessGrant, methods: AccessMethodView[] = this.methodsOf(g.accessGrantId)): Record<string, unknown>[] {
    const stale = methods
      .filter((m) => m.mode === 'card')
      .flatMap((m) => cardWarnings([cardState(m)], windowOf(g), m.entranceIds))
      .flatMap((w) => w.access_method_ids ?? [])
    const derived = stale.length
      ? [{ warning_code: 'encoding_required', message: 'Issued cards carry an old time frame or door set. Re-encode them to apply the change.', access_method_ids: stale, created_at: isoUtc(g.updatedAt) }]
      : []
    return [...g.warnings, ...derived]
  }

  // ------------------------------------------------------------------ create

  create(input: CreateGrantInput): AccessGrant {
    if (!input.holderChecked) {
      if (input.accessGrantKey !== null && this.findByKey(input.accessGrantKey, { includeDrafts: true })) {
        throw conflict('access_grant_key_already_exists', `An access grant with access_grant_key "${input.accessGrantKey}" already exists`)
      }
      this.identities.get(input.userIdentityId)
    }
    const lookup = input.lookup ?? this.lookup()
    const plan = planGrantCreation(
      {
        requested: input.requested,
        targets: input.targets,
        reservationKey: input.reservationKey,
        window: input.window,
        members: this.members(input.reservationKey),
        config: { reservationKeyRequiredForGuestCards: input.reservationKeyRequiredForGuestCards },
      },
      lookup,
    )
    const now = this.ctx.clock.now()
    const id = this.ctx.random.uuid()
    // Space keys resolve to ids once: later door changes of those spaces re-provision the grant by id.
    const spaceIds = [...new Set([...(input.targets.spaceIds ?? []), ...plan.targets.spaceIds])]
    this.ctx.db
      .prepare(
        `INSERT INTO access_grants (access_grant_id, access_grant_key, reservation_key, user_identity_id, name, starts_at, ends_at, requested,
          space_ids, space_keys, device_ids, acs_entrance_ids, capable_entrance_ids, reservation_entrance_ids, state, source, customer_key,
          preferred_code, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'active', ?, ?, ?, ?, ?)`,
      )
      .run(
        id, input.accessGrantKey, input.reservationKey, input.userIdentityId, input.name, input.window.startsAt, input.window.endsAt,
        json.str(input.requested.map((r) => ({ ...r, created_at: isoUtc(now) }))), json.str(spaceIds), json.str(input.spaceKeys ?? input.targets.spaceKeys ?? []),
        json.str(input.targets.deviceIds ?? []), json.str(input.targets.acsEntranceIds ?? []), json.str(plan.reservation.capableEntranceIds),
        json.str(plan.reservation.reservationEntranceIds), input.source ?? 'api', input.customerKey ?? null, input.preferredCode ?? null, now, now,
      )
    this.events.append({ event_type: 'access_grant.created', access_grant_id: id })
    const grant = this.get(id)
    const extraWarnings = plan.methods.methods.flatMap((m) => this.addMethod(grant, m))
    this.recordPlanIssues(grant, plan.methods, extraWarnings)
    return this.get(id)
  }

  /** Writes errors/warnings of an access-method plan on the grant (Seam's shapes) and reports failures as an event. */
  private recordPlanIssues(g: AccessGrant, plan: AccessMethodPlan, extra: Record<string, unknown>[], emit = true): void {
    const at = isoUtc(this.ctx.clock.now())
    const errors = plan.errors.map((e) => ({ error_code: e.error_code, message: e.message, created_at: at, missing_device_ids: [...(e.missing_device_ids ?? [])] }))
    const warnings = [...plan.warnings.flatMap((w) => wireWarning(w, at)), ...extra]
    this.ctx.db.prepare('UPDATE access_grants SET errors = ?, warnings = ? WHERE access_grant_id = ?').run(json.str(errors), json.str(warnings), g.accessGrantId)
    if (emit) {
      for (const e of plan.errors) {
        this.events.append({
          event_type: 'access_grant.could_not_create_requested_access_methods',
          access_grant_id: g.accessGrantId,
          error_message: e.message,
          ...(e.missing_device_ids?.length ? { missing_device_ids: [...e.missing_device_ids] } : {}),
        })
      }
    }
  }

  /** Inserts one access method; code → managed codes on each lock. Returns extra grant warnings (code substitutions). */
  private addMethod(g: AccessGrant, planned: PlannedAccessMethod): Record<string, unknown>[] {
    const now = this.ctx.clock.now()
    const id = this.ctx.random.uuid()
    this.ctx.db
      .prepare('INSERT INTO access_methods (access_method_id, access_grant_id, mode, code, entrance_ids, created_at, updated_at) VALUES (?, ?, ?, NULL, ?, ?, ?)')
      .run(id, g.accessGrantId, planned.mode, json.str(planned.mode === 'card' ? planned.entranceIds : []), now, now)
    this.methodEvent('access_method.created', id, g)
    const warnings: Record<string, unknown>[] = []
    if (planned.mode === 'code') {
      warnings.push(...this.addCodes(g, id, planned.accessCodes.map((c) => c.deviceId), planned.code ?? null, true))
    } else {
      this.methodEvent('access_method.card_encoding_required', id, g)
    }
    return warnings
  }

  /**
   * One managed code per lock for a code method. The guest gets one PIN everywhere when the locks allow it:
   * the requested code, else the first lock's generated code tried on the others. A requested code a lock
   * refuses is replaced and reported (`requested_code_unavailable`).
   */
  private addCodes(g: AccessGrant, accessMethodId: string, deviceIds: string[], requested: string | null, fresh = false): Record<string, unknown>[] {
    const now = this.ctx.clock.now()
    // An ended grant has nothing to deliver to an online lock.
    if (g.endsAt !== null && g.endsAt <= now) return []
    const warnings: Record<string, unknown>[] = []
    const existing = fresh ? [] : this.linkedCodes(accessMethodId)
    let shared = requested ?? existing[0]?.code ?? null
    const made: (string | null)[] = existing.map((c) => c.code)
    const name = g.name ?? this.identities.find(g.userIdentityId)?.fullName ?? 'Access grant'
    const window = g.endsAt === null ? { startsAt: null, endsAt: null } : { startsAt: g.startsAt, endsAt: g.endsAt }
    for (const deviceId of deviceIds) {
      const base = { deviceId, name, startsAt: window.startsAt, endsAt: window.endsAt, allowExternalModification: false, isOneTimeUse: false, commonCodeKey: null, preferredCodeLength: null }
      let code: AccessCode
      try {
        code = this.accessCodes.create({ ...base, code: shared })
      } catch (e) {
        const codeRefused = e instanceof DomainError && (e.type === 'duplicate_access_code' || (e.type === 'invalid_input' && e.validationErrors !== undefined && 'code' in e.validationErrors))
        if (shared === null || !codeRefused) throw e
        code = this.accessCodes.create({ ...base, code: null })
        if (requested !== null) {
          warnings.push({ warning_code: 'requested_code_unavailable', message: `The requested code could not be set on this lock (${(e as DomainError).message}); another code was chosen.`, created_at: isoUtc(now), device_id: deviceId, original_code: requested, new_code: code.code })
        }
      }
      shared ??= code.code
      made.push(code.code)
      this.ctx.db.prepare('INSERT INTO access_method_codes (access_method_id, access_code_id, device_id) VALUES (?, ?, ?)').run(accessMethodId, code.accessCodeId, deviceId)
    }
    const codes = made
    const one = codes.length > 0 && codes.every((c) => c === codes[0]) ? codes[0]! : null
    this.ctx.db.prepare('UPDATE access_methods SET code = ?, issued_at = CASE WHEN ? THEN issued_at ELSE NULL END, updated_at = ? WHERE access_method_id = ?').run(one, deviceIds.length === 0 ? 1 : 0, now, accessMethodId)
    return warnings
  }

  // ------------------------------------------------------------------ update

  /** starts_at / ends_at / name. Rule 4 is re-checked; codes follow the window; issued cards need re-encoding. */
  update(id: string, input: { startsAt?: number; endsAt?: number | null; name?: string | null }): AccessGrant {
    const g = this.get(id)
    const before = windowOf(g)
    const after: TimeWindow = { startsAt: input.startsAt ?? g.startsAt, endsAt: input.endsAt === undefined ? g.endsAt : input.endsAt }
    const methods = this.methodsOf(id)
    const cards = methods.filter((m) => m.mode === 'card')
    const plan = planGrantTimeFrameUpdate({
      accessGrantId: id,
      reservationKey: g.reservationKey,
      entrances: this.resolve(g).entrances as EntranceInfo[],
      members: this.members(g.reservationKey),
      before,
      after,
      accessCodes: methods.flatMap((m) => m.accessCodes.map((c) => ({ accessCodeId: c.accessCodeId, deviceId: c.deviceId }))),
      cards: cards.map(cardState),
      cardEntranceIds: [...new Set(cards.flatMap((c) => c.entranceIds))],
    })
    const now = this.ctx.clock.now()
    const name = input.name === undefined ? g.name : input.name
    if (!plan.changed && name === g.name) return g
    this.ctx.db.prepare('UPDATE access_grants SET starts_at = ?, ends_at = ?, name = ?, updated_at = ? WHERE access_grant_id = ?').run(after.startsAt, after.endsAt, name, now, id)
    if (plan.changed) {
      for (const u of plan.accessCodeUpdates) {
        this.accessCodes.update(u.accessCodeId, u.endsAt === null ? { startsAt: null, endsAt: null } : { startsAt: u.startsAt, endsAt: u.endsAt })
      }
      const updated = this.get(id)
      for (const m of cards) if (plan.cardsToReencode.includes(m.accessMethodId)) this.methodEvent('access_method.card_encoding_required', m.accessMethodId, updated)
      this.events.append({
        event_type: 'access_grant.access_times_changed',
        access_grant_id: id,
        starts_at: isoUtc(after.startsAt),
        ends_at: after.endsAt === null ? undefined : isoUtc(after.endsAt),
        ...(g.accessGrantKey ? { access_grant_key: g.accessGrantKey } : {}),
      })
    }
    return this.get(id)
  }

  // ------------------------------------------------------------------ delete

  /**
   * Deletes grants (tombstones), their methods and codes. Unknown ids are 404; already deleted ones are
   * fine (retries). Returns warnings: issued cards keep opening their doors (offline locks).
   */
  delete(ids: string[]): ReservationWarning[] {
    const grants: AccessGrant[] = []
    for (const id of ids) {
      const g = this.find(id, { includeDeleted: true, includeDrafts: true })
      if (!g) throw notFound('access_grant', id)
      if (g.deletedAt === null && !grants.some((x) => x.accessGrantId === id)) grants.push(g)
    }
    const byKey = new Map<string, { members: ReservationMember[]; ids: string[]; cards: string[] }>()
    for (const g of grants) {
      if (g.reservationKey === null || g.state !== 'active') continue
      const entry = byKey.get(g.reservationKey) ?? { members: this.members(g.reservationKey), ids: [], cards: [] }
      entry.ids.push(g.accessGrantId)
      entry.cards.push(...this.methodsOf(g.accessGrantId).filter((m) => m.mode === 'card' && m.isIssued).map((m) => m.accessMethodId))
      byKey.set(g.reservationKey, entry)
    }
    const warnings = [...byKey.entries()].flatMap(([reservationKey, e]) =>
      releaseReservationGrants({ reservationKey, members: e.members, deletedAccessGrantIds: e.ids, issuedCardAccessMethodIds: e.cards }).warnings,
    )
    // Cards of grants without a reservation are out too: say so the same way.
    const looseCards = grants
      .filter((g) => g.reservationKey === null)
      .flatMap((g) => this.methodsOf(g.accessGrantId).filter((m) => m.mode === 'card' && m.isIssued).map((m) => m.accessMethodId))
    if (looseCards.length) warnings.push(...releaseReservationGrants({ reservationKey: '', members: [], deletedAccessGrantIds: [], issuedCardAccessMethodIds: looseCards }).warnings)
    const now = this.ctx.clock.now()
    for (const g of grants) {
      for (const m of this.rawMethods(g.accessGrantId)) this.removeMethod(m, g)
      this.ctx.db.prepare('UPDATE access_grants SET deleted_at = ?, updated_at = ? WHERE access_grant_id = ?').run(now, now, g.accessGrantId)
      if (g.state === 'active') this.events.append({ event_type: 'access_grant.deleted', access_grant_id: g.accessGrantId })
    }
    return warnings
  }

  /** Deletes methods by id; returns the issued-card warning when cards are out. Unknown ids → 404. */
  deleteMethods(ids: string[]): ReservationWarning[] {
    const cards: string[] = []
    for (const id of ids) {
      const r = this.ctx.db.prepare('SELECT * FROM access_methods WHERE access_method_id = ?').get(id) as MethodRow | undefined
      if (!r) throw notFound('access_method', id)
      if (r.deleted_at !== null) continue
      const m = methodFromRow(r)
      const g = this.find(m.accessGrantId, { includeDeleted: true, includeDrafts: true })!
      if (m.mode === 'card' && m.storedIssuedAt !== null) cards.push(id)
      this.removeMethod(m, g)
    }
    return cards.length ? [...releaseReservationGrants({ reservationKey: '', members: [], deletedAccessGrantIds: [], issuedCardAccessMethodIds: cards }).warnings] : []
  }

  /** Live method ids of a grant or of every grant of a reservation. */
  methodIdsOf(ref: { accessGrantId?: string; reservationKey?: string }): string[] {
    const grants = ref.accessGrantId ? [this.get(ref.accessGrantId)] : this.all().filter((g) => g.reservationKey === ref.reservationKey)
    return grants.flatMap((g) => this.rawMethods(g.accessGrantId).map((m) => m.accessMethodId))
  }

  private removeMethod(m: AccessMethod, g: AccessGrant): void {
    const now = this.ctx.clock.now()
    for (const c of this.linkedCodes(m.accessMethodId)) this.accessCodes.delete(c.accessCodeId, true)
    this.ctx.db.prepare('UPDATE access_methods SET deleted_at = ?, updated_at = ? WHERE access_method_id = ?').run(now, now, m.accessMethodId)
    this.methodEvent('access_method.deleted', m.accessMethodId, g)
  }

  // ------------------------------------------------------------------ card encoder integration

  /** What to write on the card of a card method (grant window, doors, reservation). */
  cardEncodingJob(accessMethodId: string): CardEncodingJob {
    const method = this.getMethod(accessMethodId)
    if (method.mode !== 'card') throw new DomainError('access_method_not_a_card', `Access method ${accessMethodId} is not a card (mode ${method.mode})`, 400)
    const grant = this.find(method.accessGrantId)
    if (!grant) throw notFound('access_grant', method.accessGrantId)
    const u = this.identities.find(grant.userIdentityId)
    const capable = method.entranceIds.filter((id) => grant.capableEntranceIds.includes(id))
    return {
      method,
      grant,
      userIdentity: u ? { userIdentityId: u.userIdentityId, fullName: u.fullName } : null,
      reservationKey: grant.reservationKey,
      window: windowOf(grant),
      entranceIds: method.entranceIds,
      capableEntranceIds: capable,
      reservationEntranceIds: grant.reservationEntranceIds,
    }
  }

  /**
   * The encoder wrote (and read back) a card: the method is issued with what is on the plastic. Clears the
   * grant's `encoding_required` once the encoded window and doors match the grant.
   */
  markCardEncoded(accessMethodId: string, e: { cardUid: string; credentialId: string; window: TimeWindow; entranceIds: readonly string[]; at?: number }): AccessMethodView {
    const m = this.getMethod(accessMethodId)
    if (m.mode !== 'card') throw new DomainError('access_method_not_a_card', `Access method ${accessMethodId} is not a card (mode ${m.mode})`, 400)
    const at = e.at ?? this.ctx.clock.now()
    this.ctx.db
      .prepare(
        `UPDATE access_methods SET issued_at = ?, card_uid = ?, acs_credential_id = ?, encoded_starts_at = ?, encoded_ends_at = ?, encoded_entrance_ids = ?, updated_at = ?
         WHERE access_method_id = ?`,
      )
      .run(at, e.cardUid, e.credentialId, e.window.startsAt, e.window.endsAt, json.str([...e.entranceIds].sort()), this.ctx.clock.now(), accessMethodId)
    const g = this.find(m.accessGrantId)
    this.methodEvent(m.isIssued ? 'access_method.reissued' : 'access_method.issued', accessMethodId, g)
    return this.getMethod(accessMethodId)
  }

  /** A code reached its lock (reconciler event): its method is issued once all its codes are set. */
  codeSet(accessCodeId: string): void {
    const rows = this.ctx.db.prepare('SELECT access_method_id FROM access_method_codes WHERE access_code_id = ?').all(accessCodeId) as { access_method_id: string }[]
    for (const { access_method_id } of rows) {
      const m = this.findMethod(access_method_id)
      if (!m || m.storedIssuedAt !== null || !m.isIssued) continue
      this.ctx.db.prepare('UPDATE access_methods SET issued_at = ?, updated_at = ? WHERE access_method_id = ?').run(this.ctx.clock.now(), this.ctx.clock.now(), access_method_id)
      this.methodEvent('access_method.issued', access_method_id, this.find(m.accessGrantId), m.code ? { code: m.code } : {})
    }
  }

  // ------------------------------------------------------------------ a space's doors changed

  /**
   * Re-provisions every live grant that targets the space: codes on new locks, codes off removed locks,
   * card door lists. A change that would break a reservation rule leaves the grant as it was and says so
   * in the event log. Returns per-grant outcomes.
   */
  reprovisionSpace(spaceId: string): { accessGrantId: string; status: string; error?: DomainError }[] {
    return this.reprovision(this.all().filter((g) => g.spaceIds.includes(spaceId)), { space_id: spaceId })
  }

  /** Removes a space from the targets of API grants (delete_data of a space) and re-provisions them. */
  dropSpace(spaceId: string): void {
    const grants = this.all().filter((g) => g.spaceIds.includes(spaceId))
    for (const g of grants) {
      this.ctx.db.prepare('UPDATE access_grants SET space_ids = ? WHERE access_grant_id = ?').run(json.str(g.spaceIds.filter((id) => id !== spaceId)), g.accessGrantId)
    }
    this.reprovision(grants.map((g) => this.get(g.accessGrantId)), { space_id: spaceId })
  }

  reprovision(grants: AccessGrant[], context: Record<string, unknown> = {}): { accessGrantId: string; status: string; error?: DomainError }[] {
    if (grants.length === 0) return []
    const lookup = this.lookup()
    const inputs = grants.map((g) => {
      const methods = this.methodsOf(g.accessGrantId)
      const cards = methods.filter((m) => m.mode === 'card')
      return {
        grant: g,
        methods,
        p: {
          accessGrantId: g.accessGrantId,
          reservationKey: g.reservationKey,
          requested: g.requested.map(({ mode, code }) => (code === undefined ? { mode } : { mode, code })),
          targets: { spaceIds: g.spaceIds.filter((id) => lookup.space(id)), deviceIds: g.deviceIds, acsEntranceIds: g.acsEntranceIds },
          window: windowOf(g),
          accessCodes: methods.flatMap((m) => m.accessCodes.map((c) => ({ accessCodeId: c.accessCodeId, deviceId: c.deviceId }))),
          cards: cards.map(cardState),
          cardEntranceIds: [...new Set(cards.flatMap((c) => c.entranceIds))],
          reservationMembers: this.members(g.reservationKey),
        },
      }
    })
    const results = planReprovision(inputs.map((i) => i.p), lookup)
    const now = this.ctx.clock.now()
    return results.map((r, i) => {
      const { grant: g, methods, p } = inputs[i]!
      if (r.status === 'unchanged') return { accessGrantId: r.accessGrantId, status: r.status }
      if (r.status === 'blocked') {
        this.events.append({ event_type: 'lockstep.access_grant.reprovision_blocked', access_grant_id: g.accessGrantId, ...context, error: { type: r.error.type, message: r.error.message } })
        return { accessGrantId: r.accessGrantId, status: r.status, error: r.error }
      }
      for (const codeId of r.accessCodesToDelete) {
        this.accessCodes.delete(codeId, true)
        this.ctx.db.prepare('DELETE FROM access_method_codes WHERE access_code_id = ?').run(codeId)
      }
      const extra: Record<string, unknown>[] = []
      const codeMethod = methods.find((m) => m.mode === 'code')
      if (r.accessCodesToCreate.length > 0) {
        const wanted = p.requested.find((x) => x.mode === 'code')?.code ?? null
        if (codeMethod) extra.push(...this.addCodes(g, codeMethod.accessMethodId, r.accessCodesToCreate.map((c) => c.deviceId), wanted))
        else extra.push(...this.addMethod(g, { mode: 'code', accessCodes: r.accessCodesToCreate, ...(wanted ? { code: wanted } : {}) }))
      }
      const cardMethods = methods.filter((m) => m.mode === 'card')
      if (cardMethods.length === 0 && r.cardEntranceIds.length > 0) {
        this.addMethod(g, { mode: 'card', entranceIds: r.cardEntranceIds, isEncodingRequired: true, isIssued: false })
      }
      for (const m of cardMethods) {
        this.ctx.db.prepare('UPDATE access_methods SET entrance_ids = ?, updated_at = ? WHERE access_method_id = ?').run(json.str(r.cardEntranceIds), now, m.accessMethodId)
        if (m.isIssued && r.cardsToReencode.includes(m.accessMethodId)) this.methodEvent('access_method.card_encoding_required', m.accessMethodId, g)
      }
      this.ctx.db.prepare('UPDATE access_grants SET capable_entrance_ids = ?, updated_at = ? WHERE access_grant_id = ?').run(json.str(r.capableEntranceIds), now, g.accessGrantId)
      const resolved = this.resolve(g, lookup)
      this.recordPlanIssues(g, safePlan(p.requested, resolved), [...g.warnings.filter((w) => w.warning_code === 'requested_code_unavailable'), ...extra], false)
      return { accessGrantId: r.accessGrantId, status: r.status }
    })
  }

  // ------------------------------------------------------------------ push_data support

  /** Turns a grant into a draft (its spaces went away): methods and codes removed, row kept. */
  park(id: string, waitingFor: Record<string, unknown>, fields: Partial<Pick<AccessGrant, 'name' | 'startsAt' | 'endsAt' | 'spaceKeys' | 'preferredCode' | 'customerKey' | 'userIdentityId'>> = {}): void {
    const g = this.find(id, { includeDrafts: true })
    if (!g) return
    if (g.state === 'active') {
      for (const m of this.rawMethods(id)) this.removeMethod(m, g)
      this.events.append({ event_type: 'access_grant.deleted', access_grant_id: id })
    }
    const now = this.ctx.clock.now()
    this.ctx.db
      .prepare(
        `UPDATE access_grants SET state = 'draft', reservation_key = NULL, space_ids = '[]', capable_entrance_ids = '[]', reservation_entrance_ids = '[]',
          errors = '[]', warnings = '[]', waiting_for = ?, name = ?, starts_at = ?, ends_at = ?, space_keys = ?, preferred_code = ?, customer_key = ?,
          user_identity_id = ?, updated_at = ? WHERE access_grant_id = ?`,
      )
      .run(
        json.str(waitingFor), fields.name === undefined ? g.name : fields.name, fields.startsAt ?? g.startsAt, fields.endsAt === undefined ? g.endsAt : fields.endsAt,
        json.str(fields.spaceKeys ?? g.spaceKeys), fields.preferredCode === undefined ? g.preferredCode : fields.preferredCode,
        fields.customerKey === undefined ? g.customerKey : fields.customerKey, fields.userIdentityId ?? g.userIdentityId, now, id,
      )
  }

  /** Inserts a draft grant (push_data item waiting for its spaces). */
  createDraft(d: { accessGrantKey: string; source: GrantSource; userIdentityId: string; name: string | null; window: TimeWindow; spaceKeys: string[]; preferredCode: string | null; customerKey: string | null; waitingFor: Record<string, unknown> }): string {
    const now = this.ctx.clock.now()
    const id = this.ctx.random.uuid()
    this.ctx.db
      .prepare(
        `INSERT INTO access_grants (access_grant_id, access_grant_key, user_identity_id, name, starts_at, ends_at, requested, space_keys, state, source,
          customer_key, preferred_code, waiting_for, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, '[]', ?, 'draft', ?, ?, ?, ?, ?, ?)`,
      )
      .run(id, d.accessGrantKey, d.userIdentityId, d.name, d.window.startsAt, d.window.endsAt, json.str(d.spaceKeys), d.source, d.customerKey, d.preferredCode, json.str(d.waitingFor), now, now)
    return id
  }

  /** Removes a draft row for good (it never became a grant, so no event). */
  purgeDraft(id: string): void {
    this.ctx.db.prepare("UPDATE access_grants SET deleted_at = ? WHERE access_grant_id = ? AND state = 'draft'").run(this.ctx.clock.now(), id)
  }

  private methodEvent(type: string, accessMethodId: string, g: AccessGrant | undefined, extra: Record<string, unknown> = {}): void {
    this.events.append({
      event_type: type,
      access_method_id: accessMethodId,
      access_grant_ids: g ? [g.accessGrantId] : [],
      ...(g?.accessGrantKey ? { access_grant_keys: [g.accessGrantKey] } : {}),
      ...extra,
    })
  }
}

function memberOf(g: AccessGrant): ReservationMember {
  return { accessGrantId: g.accessGrantId, capableEntranceIds: g.capableEntranceIds, reservationEntranceIds: g.reservationEntranceIds, window: windowOf(g) }
}

export function cardState(m: Pick<AccessMethod, 'accessMethodId' | 'storedIssuedAt' | 'encoded'>): CardMethodState {
  return { accessMethodId: m.accessMethodId, isIssued: m.storedIssuedAt !== null, encoded: m.encoded }
}

/** Caches a lookup's answers: valid while no door changes (one push_data never changes doors). */
export function memoLookup(l: TargetLookup): TargetLookup {
  const memo = <T>(f: (k: string) => T) => {
    const m = new Map<string, T>()
    return (k: string) => (m.has(k) ? m.get(k)! : (m.set(k, f(k)), m.get(k)!))
  }
  return { space: memo(l.space), spaceByKey: memo((k) => l.spaceByKey?.(k)), device: memo(l.device), entrance: memo(l.entrance) }
}

/** Domain warnings → Seam's shapes (device_does_not_support_access_codes names one device per warning). */
function wireWarning(w: GrantWarning, at: string): Record<string, unknown>[] {
  if (w.warning_code === 'device_does_not_support_access_codes') {
    return (w.device_ids ?? []).map((device_id) => ({ warning_code: w.warning_code, message: w.message, created_at: at, device_id }))
  }
  return [{ ...w, created_at: at }]
}

function safePlan(requested: readonly RequestedAccessMethod[], targets: ResolvedTargets): AccessMethodPlan {
  try {
    return planAccessMethods(requested, targets)
  } catch {
    return { methods: [], errors: [], warnings: [] }
  }
}
