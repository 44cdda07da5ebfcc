// Access grants and their access methods: rows and queries. What a grant does (provisioning its codes and
// cards, drafts, re-provisioning when doors change) is src/app/grant-provisioning.ts; the rules are the
// domain's (src/domain/access-grant.ts, reservation.ts). Every write here runs in the caller's transaction.
//
// A code method is issued when every one of its codes is `set` on its lock; a card method when the encoder
// wrote it. Deleted grants and methods keep a tombstone (`deleted_at`) so a repeated delete answers ok.
import type { AccessCode } from '../domain/access-code.js'
import {
  cardNeedsEncoding, cardWarnings, type AccessMode, type CardMethodState, type ResolvedTargets, type TargetLookup,
} from '../domain/access-grant.js'
import { notFound } from '../domain/errors.js'
import type { ReservationMember, TimeWindow } from '../domain/reservation.js'
import type { AccessCodes } from './access-codes.js'
import { json, type StoreContext } from './context.js'
import {
  grantFromRow, methodFromRow, windowOf,
  type AccessGrant, type AccessMethod, type AccessMethodView, type DraftFields, type GrantFilter, type GrantRow, type GrantSource,
  type MethodFilter, type MethodRow, type NewGrantRow, type RequestedMethodRecord,
} from './access-grant-rows.js'

export * from './access-grant-rows.js'


export class AccessGrants {
  constructor(
    private readonly ctx: StoreContext,
    private readonly accessCodes: AccessCodes,
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

  /** Stored methods of a grant, without what is derived from their codes. */
  methodRows(grantId: string, opts: { includeDeleted?: boolean } = {}): AccessMethod[] {
    const sql = `SELECT * FROM access_methods WHERE access_grant_id = ? ${opts.includeDeleted ? '' : 'AND deleted_at IS NULL'} ORDER BY seq`
    return (this.ctx.db.prepare(sql).all(grantId) as MethodRow[]).map(methodFromRow)
  }

  /** The managed codes of a code method, in the order they were made. */
  linkedCodes(accessMethodId: string): AccessCode[] {
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
    return this.methodRows(grantId).map((m) => this.view(m, g))
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
      for (const m of this.methodRows(g.accessGrantId).map((x) => this.view(x, g))) {
        if (f.accessCodeId && !m.accessCodes.some((c) => c.accessCodeId === f.accessCodeId)) continue
        if (f.deviceId && !(m.accessCodes.some((c) => c.deviceId === f.deviceId) || (m.mode !== 'code' && this.resolve(g, lookup).devices.some((d) => d.deviceId === f.deviceId)))) continue
        if (f.acsEntranceId && !m.entranceIds.includes(f.acsEntranceId)) continue
        out.push(m)
      }
    }
    return out.sort((a, b) => a.seq - b.seq)
  }

  /** Ids of the live issued cards of a grant whose encoded window or doors lag behind it. */
  staleCardMethodIds(g: AccessGrant, methods: AccessMethodView[] = this.methodsOf(g.accessGrantId)): string[] {
    return methods
      .filter((m) => m.mode === 'card')
      .flatMap((m) => cardWarnings([cardState(m)], windowOf(g), m.entranceIds))
      .flatMap((w) => w.access_method_ids ?? [])
  }

  /** A method by id, tombstoned ones included, without derived fields. */
  findMethodRow(id: string): AccessMethod | undefined {
    const r = this.ctx.db.prepare('SELECT * FROM access_methods WHERE access_method_id = ?').get(id) as MethodRow | undefined
    return r ? methodFromRow(r) : undefined
  }

  /** Live method ids of a grant or of every grant of a reservation. */
  methodIdsOf(ref: { accessGrantId?: string; reservationKey?: string }): string[] {
    const grants = ref.accessGrantId ? [this.get(ref.accessGrantId)] : this.all().filter((g) => g.reservationKey === ref.reservationKey)
    return grants.flatMap((g) => this.methodRows(g.accessGrantId).map((m) => m.accessMethodId))
  }

  /** Methods holding a code. */
  methodIdsWithCode(accessCodeId: string): string[] {
    return (this.ctx.db.prepare('SELECT access_method_id FROM access_method_codes WHERE access_code_id = ?').all(accessCodeId) as { access_method_id: string }[]).map((r) => r.access_method_id)
  }

  /** Statuses of every code a method ever made that is still linked to it, deleted ones included. */
  linkedCodeStatuses(accessMethodId: string): string[] {
    return (this.ctx.db
      .prepare('SELECT c.status FROM access_method_codes l JOIN access_codes c ON c.access_code_id = l.access_code_id WHERE l.access_method_id = ?')
      .all(accessMethodId) as { status: string }[]).map((r) => r.status)
  }

  /** The method's access is gone from its locks: no longer issued (a later issue is news again). */
  clearMethodIssued(id: string): void {
    this.ctx.db.prepare('UPDATE access_methods SET issued_at = NULL, updated_at = ? WHERE access_method_id = ?').run(this.ctx.clock.now(), id)
  }

  /** Whether a live draft waits on a space key. */
  hasDraftWaitingOn(spaceKey: string): boolean {
    return this.ctx.db.prepare("SELECT 1 FROM access_grants WHERE state = 'draft' AND deleted_at IS NULL AND space_keys LIKE ? LIMIT 1").get(`%${JSON.stringify(spaceKey)}%`) !== undefined
  }

  // ------------------------------------------------------------------ grant rows: writes

  insert(g: NewGrantRow): string {
    const now = this.ctx.clock.now()
    const id = this.ctx.random.uuid()
    this.ctx.db
      .prepare(
        `INSERT INTO access_grants (access_grant_id, access_grant_key, reservation_key, user_identity_id, name, starts_at, ends_at, requested,
          space_ids, space_keys, device_ids, acs_entrance_ids, capable_entrance_ids, reservation_entrance_ids, state, source, customer_key,
          preferred_code, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'active', ?, ?, ?, ?, ?)`,
      )
      .run(
        id, g.accessGrantKey, g.reservationKey, g.userIdentityId, g.name, g.window.startsAt, g.window.endsAt,
        json.str(g.requested), json.str(g.spaceIds), json.str(g.spaceKeys), json.str(g.deviceIds), json.str(g.acsEntranceIds),
        json.str(g.capableEntranceIds), json.str(g.reservationEntranceIds), g.source, g.customerKey, g.preferredCode, now, now,
      )
    return id
  }

  /** Errors and warnings recorded at provisioning. */
  setIssues(id: string, errors: Record<string, unknown>[], warnings: Record<string, unknown>[]): void {
    this.ctx.db.prepare('UPDATE access_grants SET errors = ?, warnings = ? WHERE access_grant_id = ?').run(json.str(errors), json.str(warnings), id)
  }

  setWindowAndName(id: string, window: TimeWindow, name: string | null): void {
    this.ctx.db.prepare('UPDATE access_grants SET starts_at = ?, ends_at = ?, name = ?, updated_at = ? WHERE access_grant_id = ?').run(window.startsAt, window.endsAt, name, this.ctx.clock.now(), id)
  }

  /** access_grants/request_access_methods: the grant's requested methods, grown. */
  setRequested(id: string, requested: readonly RequestedMethodRecord[]): void {
    this.ctx.db.prepare('UPDATE access_grants SET requested = ? WHERE access_grant_id = ?').run(json.str(requested), id)
  }

  setSpaceIds(id: string, spaceIds: string[]): void {
    this.ctx.db.prepare('UPDATE access_grants SET space_ids = ? WHERE access_grant_id = ?').run(json.str(spaceIds), id)
  }

  setCapableEntranceIds(id: string, entranceIds: readonly string[]): void {
    this.ctx.db.prepare('UPDATE access_grants SET capable_entrance_ids = ?, updated_at = ? WHERE access_grant_id = ?').run(json.str(entranceIds), this.ctx.clock.now(), id)
  }

  setCustomerKey(id: string, customerKey: string | null): void {
    this.ctx.db.prepare('UPDATE access_grants SET customer_key = ? WHERE access_grant_id = ?').run(customerKey, id)
  }

  tombstone(id: string): void {
    const now = this.ctx.clock.now()
    this.ctx.db.prepare('UPDATE access_grants SET deleted_at = ?, updated_at = ? WHERE access_grant_id = ?').run(now, now, id)
  }

  /** The row of a grant turned draft (its methods are removed by the caller): doors cleared, push fields kept. */
  toDraft(g: AccessGrant, waitingFor: Record<string, unknown>, fields: DraftFields = {}): void {
    this.ctx.db
      .prepare(
        `UPDATE access_grants SET state = 'draft', reservation_key = NULL, space_ids = '[]', capable_entrance_ids = '[]', reservation_entrance_ids = '[]',
          errors = '[]', warnings = '[]', waiting_for = ?, name = ?, starts_at = ?, ends_at = ?, space_keys = ?, preferred_code = ?, customer_key = ?,
          user_identity_id = ?, updated_at = ? WHERE access_grant_id = ?`,
      )
      .run(
        json.str(waitingFor), fields.name === undefined ? g.name : fields.name, fields.startsAt ?? g.startsAt, fields.endsAt === undefined ? g.endsAt : fields.endsAt,
        json.str(fields.spaceKeys ?? g.spaceKeys), fields.preferredCode === undefined ? g.preferredCode : fields.preferredCode,
        fields.customerKey === undefined ? g.customerKey : fields.customerKey, fields.userIdentityId ?? g.userIdentityId, this.ctx.clock.now(), g.accessGrantId,
      )
  }

  /** Inserts a draft grant (push_data item waiting for its spaces). */
  insertDraft(d: { accessGrantKey: string; source: GrantSource; userIdentityId: string; name: string | null; window: TimeWindow; spaceKeys: string[]; preferredCode: string | null; customerKey: string | null; waitingFor: Record<string, unknown> }): string {
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

  // ------------------------------------------------------------------ method rows: writes

  insertMethod(accessGrantId: string, mode: AccessMode, entranceIds: readonly string[]): string {
    const now = this.ctx.clock.now()
    const id = this.ctx.random.uuid()
    this.ctx.db
      .prepare('INSERT INTO access_methods (access_method_id, access_grant_id, mode, code, entrance_ids, created_at, updated_at) VALUES (?, ?, ?, NULL, ?, ?, ?)')
      .run(id, accessGrantId, mode, json.str(entranceIds), now, now)
    return id
  }

  tombstoneMethod(id: string): void {
    const now = this.ctx.clock.now()
    this.ctx.db.prepare('UPDATE access_methods SET deleted_at = ?, updated_at = ? WHERE access_method_id = ?').run(now, now, id)
  }

  linkCode(accessMethodId: string, accessCodeId: string, deviceId: string): void {
    this.ctx.db.prepare('INSERT INTO access_method_codes (access_method_id, access_code_id, device_id) VALUES (?, ?, ?)').run(accessMethodId, accessCodeId, deviceId)
  }

  unlinkCode(accessCodeId: string): void {
    this.ctx.db.prepare('DELETE FROM access_method_codes WHERE access_code_id = ?').run(accessCodeId)
  }

  /** The method's one PIN (null when its locks hold different ones); `keepIssued` false clears the issue time. */
  setMethodCode(id: string, code: string | null, keepIssued: boolean): void {
    this.ctx.db.prepare('UPDATE access_methods SET code = ?, issued_at = CASE WHEN ? THEN issued_at ELSE NULL END, updated_at = ? WHERE access_method_id = ?').run(code, keepIssued ? 1 : 0, this.ctx.clock.now(), id)
  }

  setMethodEntranceIds(id: string, entranceIds: readonly string[]): void {
    this.ctx.db.prepare('UPDATE access_methods SET entrance_ids = ?, updated_at = ? WHERE access_method_id = ?').run(json.str(entranceIds), this.ctx.clock.now(), id)
  }

  setMethodIssued(id: string): void {
    this.ctx.db.prepare('UPDATE access_methods SET issued_at = ?, updated_at = ? WHERE access_method_id = ?').run(this.ctx.clock.now(), this.ctx.clock.now(), id)
  }

  /** What the encoder wrote and read back on a card method's card. */
  recordCardEncoded(id: string, e: { cardUid: string; credentialId: string; window: TimeWindow; entranceIds: readonly string[]; at: number }): void {
    this.ctx.db
      .prepare(
        `UPDATE access_methods SET issued_at = ?, card_uid = ?, acs_credential_id = ?, encoded_starts_at = ?, encoded_ends_at = ?, encoded_entrance_ids = ?, updated_at = ?
         WHERE access_method_id = ?`,
      )
      .run(e.at, e.cardUid, e.credentialId, e.window.startsAt, e.window.endsAt, json.str([...e.entranceIds].sort()), this.ctx.clock.now(), id)
  }
}


export function memberOf(g: AccessGrant): ReservationMember {
  return { accessGrantId: g.accessGrantId, capableEntranceIds: g.capableEntranceIds, reservationEntranceIds: g.reservationEntranceIds, window: windowOf(g) }
}

export function cardState(m: Pick<AccessMethod, 'accessMethodId' | 'storedIssuedAt' | 'encoded'>): CardMethodState {
  return { accessMethodId: m.accessMethodId, isIssued: m.storedIssuedAt !== null, encoded: m.encoded }
}
