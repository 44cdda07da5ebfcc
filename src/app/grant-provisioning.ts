// What an access grant does, inside the caller's transaction: create it and its access methods (managed codes
// on each lock for `code`, a method waiting for the encoder for `card`), follow a new time frame, delete it,
// re-provision it when its doors change, park it as a push_data draft. The domain plans
// (src/domain/access-grant.ts, reservation.ts); the repository (src/store/access-grants.ts) stores rows.
//
// - `code`: one managed access code per lock (AccessCodes.create marks the lock dirty); the method is issued
//   when all its codes are `set` (issueCodeMethods, a reaction).
// - `card`: waits for the encoder; card-methods.ts records what the encoder wrote.
import { isoUtc } from '../kernel/clock.js'
import type { AccessCode } from '../domain/access-code.js'
import {
  planAccessMethods, planGrantCreation, planGrantTimeFrameUpdate,
  type AccessMethodPlan, type EntranceInfo, type GrantTargets, type PlannedAccessMethod, type RequestedAccessMethod,
  type ResolvedTargets, type TargetLookup,
} from '../domain/access-grant.js'
import { planReprovision } from '../domain/grant-reprovision.js'
import { DomainError, conflict, notFound } from '../domain/errors.js'
import { releaseReservationGrants, type ReservationMember, type ReservationWarning, type TimeWindow } from '../domain/reservation.js'
import {
  cardState, windowOf, type AccessGrant, type AccessMethod, type DraftFields, type GrantSource,
} from '../store/access-grants.js'
import type { Store } from '../store/store.js'
import { createCode, deleteCode, updateCode } from './access-codes.js'

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

export type ReprovisionOutcome = { accessGrantId: string; status: string; error?: DomainError }

// ------------------------------------------------------------------ create

export function createGrant(store: Store, input: CreateGrantInput): AccessGrant {
  const grants = store.accessGrants
  if (!input.holderChecked) {
    if (input.accessGrantKey !== null && grants.findByKey(input.accessGrantKey, { includeDrafts: true })) {
      throw conflict('access_grant_key_already_exists', `An access grant with access_grant_key "${input.accessGrantKey}" already exists`)
    }
    store.userIdentities.get(input.userIdentityId)
  }
  const lookup = input.lookup ?? grants.lookup()
  const plan = planGrantCreation(
    {
      requested: input.requested,
      targets: input.targets,
      reservationKey: input.reservationKey,
      window: input.window,
      members: grants.members(input.reservationKey),
      config: { reservationKeyRequiredForGuestCards: input.reservationKeyRequiredForGuestCards },
    },
    lookup,
  )
  const now = store.ctx.clock.now()
  const id = grants.insert({
    accessGrantKey: input.accessGrantKey,
    reservationKey: input.reservationKey,
    userIdentityId: input.userIdentityId,
    name: input.name,
    window: input.window,
    requested: input.requested.map((r) => ({ ...r, created_at: isoUtc(now) })),
    // Space keys resolve to ids once: later door changes of those spaces re-provision the grant by id.
    spaceIds: [...new Set([...(input.targets.spaceIds ?? []), ...plan.targets.spaceIds])],
    spaceKeys: input.spaceKeys ?? input.targets.spaceKeys ?? [],
    deviceIds: input.targets.deviceIds ?? [],
    acsEntranceIds: input.targets.acsEntranceIds ?? [],
    capableEntranceIds: plan.reservation.capableEntranceIds,
    reservationEntranceIds: plan.reservation.reservationEntranceIds,
    source: input.source ?? 'api',
    customerKey: input.customerKey ?? null,
    preferredCode: input.preferredCode ?? null,
  })
  store.events.append({ event_type: 'access_grant.created', access_grant_id: id })
  const grant = grants.get(id)
  const extraWarnings = plan.methods.methods.flatMap((m) => addMethod(store, grant, m))
  recordPlanIssues(store, grant, plan.methods, extraWarnings)
  return grants.get(id)
}

/**
 * Writes the errors/warnings of an access-method plan on the grant and reports failures as an event.
 * Warnings are stored as the domain says them (with a time); src/api/wire.ts gives them Seam's shape.
 */
export function recordPlanIssues(store: Store, g: AccessGrant, plan: AccessMethodPlan, extra: Record<string, unknown>[], emit = true): void {
  const at = isoUtc(store.ctx.clock.now())
  const errors = plan.errors.map((e) => ({ error_code: e.error_code, message: e.message, created_at: at, missing_device_ids: [...(e.missing_device_ids ?? [])] }))
  const warnings = [...plan.warnings.map((w) => ({ ...w, created_at: at })), ...extra]
  store.accessGrants.setIssues(g.accessGrantId, errors, warnings)
  if (emit) {
    for (const e of plan.errors) {
      store.events.append({
        event_type: 'access_grant.could_not_create_requested_access_methods',
        access_grant_id: g.accessGrantId,
        error_message: e.message,
        ...(e.missing_device_ids?.length ? { missing_device_ids: [...e.missing_device_ids] } : {}),
      })
    }
  }
}

/** Inserts one access method; code → managed codes on each lock. Returns extra grant warnings (code substitutions). */
export function addMethod(store: Store, g: AccessGrant, planned: PlannedAccessMethod): Record<string, unknown>[] {
  const id = store.accessGrants.insertMethod(g.accessGrantId, planned.mode, planned.mode === 'card' ? planned.entranceIds : [])
  methodEvent(store, 'access_method.created', id, g)
  const warnings: Record<string, unknown>[] = []
  if (planned.mode === 'code') {
    warnings.push(...addCodes(store, g, id, planned.accessCodes.map((c) => c.deviceId), planned.code ?? null, true))
  } else {
    methodEvent(store, 'access_method.card_encoding_required', id, g)
  }
  return warnings
}

/**
 * One managed code per lock for a code method. The guest gets one PIN everywhere when the locks allow it:
 * the requested code, else the first lock's generated code tried on the others. A requested code a lock
 * refuses is replaced and reported (`requested_code_unavailable`).
 */
function addCodes(store: Store, g: AccessGrant, accessMethodId: string, deviceIds: string[], requested: string | null, fresh = false): Record<string, unknown>[] {
  const now = store.ctx.clock.now()
  // An ended grant has nothing to deliver to an online lock.
  if (g.endsAt !== null && g.endsAt <= now) return []
  const warnings: Record<string, unknown>[] = []
  const existing = fresh ? [] : store.accessGrants.linkedCodes(accessMethodId)
  let shared = requested ?? existing[0]?.code ?? null
  const made: (string | null)[] = existing.map((c) => c.code)
  const name = g.name ?? store.userIdentities.find(g.userIdentityId)?.fullName ?? 'Access grant'
  const window = g.endsAt === null ? { startsAt: null, endsAt: null } : { startsAt: g.startsAt, endsAt: g.endsAt }
  for (const deviceId of deviceIds) {
    const base = { deviceId, name, startsAt: window.startsAt, endsAt: window.endsAt, allowExternalModification: false, isOneTimeUse: false, commonCodeKey: null, preferredCodeLength: null }
    let code: AccessCode
    try {
      code = createCode(store, { ...base, code: shared })
    } catch (e) {
      const codeRefused = e instanceof DomainError && (e.type === 'duplicate_access_code' || (e.type === 'invalid_input' && e.validationErrors !== undefined && 'code' in e.validationErrors))
      if (shared === null || !codeRefused) throw e
      code = createCode(store, { ...base, code: null })
      if (requested !== null) {
        warnings.push({ warning_code: 'requested_code_unavailable', message: `The requested code could not be set on this lock (${(e as DomainError).message}); another code was chosen.`, created_at: isoUtc(now), device_id: deviceId, original_code: requested, new_code: code.code })
      }
    }
    shared ??= code.code
    made.push(code.code)
    store.accessGrants.linkCode(accessMethodId, code.accessCodeId, deviceId)
  }
  const one = made.length > 0 && made.every((c) => c === made[0]) ? made[0]! : null
  store.accessGrants.setMethodCode(accessMethodId, one, deviceIds.length === 0)
  return warnings
}

// ------------------------------------------------------------------ update

/** starts_at / ends_at / name. Rule 4 is re-checked; codes follow the window; issued cards need re-encoding. */
export function updateGrant(store: Store, id: string, input: { startsAt?: number; endsAt?: number | null; name?: string | null }): AccessGrant {
  const grants = store.accessGrants
  const g = grants.get(id)
  const before = windowOf(g)
  const after: TimeWindow = { startsAt: input.startsAt ?? g.startsAt, endsAt: input.endsAt === undefined ? g.endsAt : input.endsAt }
  const methods = grants.methodsOf(id)
  const cards = methods.filter((m) => m.mode === 'card')
  const plan = planGrantTimeFrameUpdate({
    accessGrantId: id,
    reservationKey: g.reservationKey,
    entrances: grants.resolve(g).entrances as EntranceInfo[],
    members: grants.members(g.reservationKey),
    before,
    after,
    accessCodes: methods.flatMap((m) => m.accessCodes.map((c) => ({ accessCodeId: c.accessCodeId, deviceId: c.deviceId }))),
    cards: cards.map(cardState),
    cardEntranceIds: [...new Set(cards.flatMap((c) => c.entranceIds))],
  })
  const name = input.name === undefined ? g.name : input.name
  if (!plan.changed && name === g.name) return g
  grants.setWindowAndName(id, after, name)
  if (plan.changed) {
    for (const u of plan.accessCodeUpdates) {
      updateCode(store, u.accessCodeId, u.endsAt === null ? { startsAt: null, endsAt: null } : { startsAt: u.startsAt, endsAt: u.endsAt })
    }
    const updated = grants.get(id)
    for (const m of cards) if (plan.cardsToReencode.includes(m.accessMethodId)) methodEvent(store, 'access_method.card_encoding_required', m.accessMethodId, updated)
    store.events.append({
      event_type: 'access_grant.access_times_changed',
      access_grant_id: id,
      starts_at: isoUtc(after.startsAt),
      ends_at: after.endsAt === null ? undefined : isoUtc(after.endsAt),
      ...(g.accessGrantKey ? { access_grant_key: g.accessGrantKey } : {}),
    })
  }
  return grants.get(id)
}

// ------------------------------------------------------------------ delete

/**
 * Deletes grants (tombstones), their methods and codes. Unknown ids are 404; already deleted ones are
 * fine (retries). Returns warnings: issued cards keep opening their doors (offline locks).
 */
export function deleteGrants(store: Store, ids: string[]): ReservationWarning[] {
  const repo = store.accessGrants
  const grants: AccessGrant[] = []
  for (const id of ids) {
    const g = repo.find(id, { includeDeleted: true, includeDrafts: true })
    if (!g) throw notFound('access_grant', id)
    if (g.deletedAt === null && !grants.some((x) => x.accessGrantId === id)) grants.push(g)
  }
  const byKey = new Map<string, { members: ReservationMember[]; ids: string[]; cards: string[] }>()
  for (const g of grants) {
    if (g.reservationKey === null || g.state !== 'active') continue
    const entry = byKey.get(g.reservationKey) ?? { members: repo.members(g.reservationKey), ids: [], cards: [] }
    entry.ids.push(g.accessGrantId)
    entry.cards.push(...repo.methodsOf(g.accessGrantId).filter((m) => m.mode === 'card' && m.isIssued).map((m) => m.accessMethodId))
    byKey.set(g.reservationKey, entry)
  }
  const warnings = [...byKey.entries()].flatMap(([reservationKey, e]) =>
    releaseReservationGrants({ reservationKey, members: e.members, deletedAccessGrantIds: e.ids, issuedCardAccessMethodIds: e.cards }).warnings,
  )
  // Cards of grants without a reservation are out too: say so the same way.
  const looseCards = grants
    .filter((g) => g.reservationKey === null)
    .flatMap((g) => repo.methodsOf(g.accessGrantId).filter((m) => m.mode === 'card' && m.isIssued).map((m) => m.accessMethodId))
  if (looseCards.length) warnings.push(...releaseReservationGrants({ reservationKey: '', members: [], deletedAccessGrantIds: [], issuedCardAccessMethodIds: looseCards }).warnings)
  for (const g of grants) {
    for (const m of repo.methodRows(g.accessGrantId)) removeMethod(store, m, g)
    repo.tombstone(g.accessGrantId)
    if (g.state === 'active') store.events.append({ event_type: 'access_grant.deleted', access_grant_id: g.accessGrantId })
  }
  return warnings
}

/** Deletes methods by id; returns the issued-card warning when cards are out. Unknown ids → 404. */
export function deleteMethods(store: Store, ids: string[]): ReservationWarning[] {
  const repo = store.accessGrants
  const cards: string[] = []
  for (const id of ids) {
    const m = repo.findMethodRow(id)
    if (!m) throw notFound('access_method', id)
    if (m.deletedAt !== null) continue
    const g = repo.find(m.accessGrantId, { includeDeleted: true, includeDrafts: true })!
    if (m.mode === 'card' && m.storedIssuedAt !== null) cards.push(id)
    removeMethod(store, m, g)
  }
  return cards.length ? [...releaseReservationGrants({ reservationKey: '', members: [], deletedAccessGrantIds: [], issuedCardAccessMethodIds: cards }).warnings] : []
}

function removeMethod(store: Store, m: AccessMethod, g: AccessGrant): void {
  for (const c of store.accessGrants.linkedCodes(m.accessMethodId)) deleteCode(store, c.accessCodeId, true)
  store.accessGrants.tombstoneMethod(m.accessMethodId)
  // An issued card keeps opening its doors (offline locks cannot be told): the deletion event says so,
  // under a lockstep_ key (Seam's event schema has no place for it; the delete answers stay Seam's).
  const cardOut = m.mode === 'card' && m.storedIssuedAt !== null
  const warnings = cardOut
    ? releaseReservationGrants({ reservationKey: '', members: [], deletedAccessGrantIds: [], issuedCardAccessMethodIds: [m.accessMethodId] }).warnings
      .map((w) => ({ warning_code: w.warning_code, message: w.message }))
    : []
  methodEvent(store, 'access_method.deleted', m.accessMethodId, g, warnings.length ? { lockstep_warnings: warnings } : {})
  // Its cards' credentials go with it (a card still in a pocket scans as unknown to lockstep).
  for (const id of store.cardCredentials.credentialIdsOfMethod(m.accessMethodId)) {
    store.events.append({ event_type: 'acs_credential.deleted', connected_account_id: store.acs.connectedAccountId, acs_system_id: store.acs.systemId, acs_credential_id: id })
  }
}

// ------------------------------------------------------------------ a code reached its lock

/** A code reached its lock: its method is issued once all its codes are set. */
export function issueCodeMethods(store: Store, accessCodeId: string): void {
  const repo = store.accessGrants
  for (const accessMethodId of repo.methodIdsWithCode(accessCodeId)) {
    const m = repo.findMethod(accessMethodId)
    if (!m || m.storedIssuedAt !== null || !m.isIssued) continue
    repo.setMethodIssued(accessMethodId)
    methodEvent(store, 'access_method.issued', accessMethodId, repo.find(m.accessGrantId), m.code ? { code: m.code } : {})
    announceAllDoors(store, m.accessGrantId)
  }
}

/**
 * A code left its lock: an issued code method whose codes are now all off their locks (its grant deleted or
 * ended) is revoked, once.
 */
export function revokeCodeMethods(store: Store, accessCodeId: string): void {
  const repo = store.accessGrants
  for (const accessMethodId of repo.methodIdsWithCode(accessCodeId)) {
    const m = repo.findMethodRow(accessMethodId)
    if (!m || m.mode !== 'code' || m.storedIssuedAt === null) continue
    const statuses = repo.linkedCodeStatuses(accessMethodId)
    if (statuses.length === 0 || !statuses.every((s) => s === 'unset')) continue
    repo.clearMethodIssued(accessMethodId)
    methodEvent(store, 'access_method.revoked', accessMethodId, repo.find(m.accessGrantId, { includeDeleted: true }))
  }
}

/** A method of the grant was just issued: when every live method now is, the grant reaches all its doors. */
export function announceAllDoors(store: Store, accessGrantId: string): void {
  const g = store.accessGrants.find(accessGrantId)
  if (!g) return
  const methods = store.accessGrants.methodsOf(accessGrantId)
  if (methods.length > 0 && methods.every((m) => m.isIssued)) {
    store.events.append({ event_type: 'access_grant.access_granted_to_all_doors', access_grant_id: accessGrantId })
  }
}

// ------------------------------------------------------------------ a space's doors changed

/**
 * Re-provisions every live grant that targets the space: codes on new locks, codes off removed locks,
 * card door lists. A change that would break a reservation rule leaves the grant as it was and says so
 * in the event log. Returns per-grant outcomes.
 */
export function reprovisionSpace(store: Store, spaceId: string): ReprovisionOutcome[] {
  return reprovision(store, store.accessGrants.all().filter((g) => g.spaceIds.includes(spaceId)), { space_id: spaceId })
}

/** Removes a space from the targets of API grants (delete_data of a space) and re-provisions them. */
export function dropSpace(store: Store, spaceId: string): void {
  const repo = store.accessGrants
  const grants = repo.all().filter((g) => g.spaceIds.includes(spaceId))
  for (const g of grants) repo.setSpaceIds(g.accessGrantId, g.spaceIds.filter((id) => id !== spaceId))
  reprovision(store, grants.map((g) => repo.get(g.accessGrantId)), { space_id: spaceId })
}

export function reprovision(store: Store, grants: AccessGrant[], context: Record<string, unknown> = {}): ReprovisionOutcome[] {
  if (grants.length === 0) return []
  const repo = store.accessGrants
  const lookup = repo.lookup()
  const inputs = grants.map((g) => {
    const methods = repo.methodsOf(g.accessGrantId)
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
        reservationMembers: repo.members(g.reservationKey),
      },
    }
  })
  const results = planReprovision(inputs.map((i) => i.p), lookup)
  return results.map((r, i) => {
    const { grant: g, methods, p } = inputs[i]!
    if (r.status === 'unchanged') return { accessGrantId: r.accessGrantId, status: r.status }
    if (r.status === 'blocked') {
      store.events.append({ event_type: 'lockstep.access_grant.reprovision_blocked', access_grant_id: g.accessGrantId, ...context, error: { type: r.error.type, message: r.error.message } })
      return { accessGrantId: r.accessGrantId, status: r.status, error: r.error }
    }
    for (const codeId of r.accessCodesToDelete) {
      deleteCode(store, codeId, true)
      repo.unlinkCode(codeId)
    }
    const extra: Record<string, unknown>[] = []
    const codeMethod = methods.find((m) => m.mode === 'code')
    if (r.accessCodesToCreate.length > 0) {
      const wanted = p.requested.find((x) => x.mode === 'code')?.code ?? null
      if (codeMethod) extra.push(...addCodes(store, g, codeMethod.accessMethodId, r.accessCodesToCreate.map((c) => c.deviceId), wanted))
      else extra.push(...addMethod(store, g, { mode: 'code', accessCodes: r.accessCodesToCreate, ...(wanted ? { code: wanted } : {}) }))
    }
    const cardMethods = methods.filter((m) => m.mode === 'card')
    if (cardMethods.length === 0 && r.cardEntranceIds.length > 0) {
      addMethod(store, g, { mode: 'card', entranceIds: r.cardEntranceIds, isEncodingRequired: true, isIssued: false })
    }
    for (const m of cardMethods) {
      repo.setMethodEntranceIds(m.accessMethodId, r.cardEntranceIds)
      if (m.isIssued && r.cardsToReencode.includes(m.accessMethodId)) methodEvent(store, 'access_method.card_encoding_required', m.accessMethodId, g)
    }
    repo.setCapableEntranceIds(g.accessGrantId, r.capableEntranceIds)
    const resolved = repo.resolve(g, lookup)
    recordPlanIssues(store, g, planForIssues(p.requested, resolved), [...g.warnings.filter((w) => w.warning_code === 'requested_code_unavailable'), ...extra], false)
    return { accessGrantId: r.accessGrantId, status: r.status }
  })
}

// ------------------------------------------------------------------ push_data drafts

/** Turns a grant into a draft (its spaces went away): methods and codes removed, row kept. */
export function parkAsDraft(store: Store, id: string, waitingFor: Record<string, unknown>, fields: DraftFields = {}): void {
  const repo = store.accessGrants
  const g = repo.find(id, { includeDrafts: true })
  if (!g) return
  if (g.state === 'active') {
    for (const m of repo.methodRows(id)) removeMethod(store, m, g)
    store.events.append({ event_type: 'access_grant.deleted', access_grant_id: id })
  }
  repo.toDraft(g, waitingFor, fields)
}

// ------------------------------------------------------------------ shared

export function methodEvent(store: Store, type: string, accessMethodId: string, g: AccessGrant | undefined, extra: Record<string, unknown> = {}): void {
  store.events.append({
    event_type: type,
    access_method_id: accessMethodId,
    access_grant_ids: g ? [g.accessGrantId] : [],
    ...(g?.accessGrantKey ? { access_grant_keys: [g.accessGrantKey] } : {}),
    ...extra,
  })
}

/** Caches a lookup's answers: valid while no door changes (one push_data never changes doors). */
export function memoLookup(l: TargetLookup): TargetLookup {
  const memo = <T>(f: (k: string) => T) => {
    const m = new Map<string, T>()
    return (k: string) => (m.has(k) ? m.get(k)! : (m.set(k, f(k)), m.get(k)!))
  }
  return { space: memo(l.space), spaceByKey: memo((k) => l.spaceByKey?.(k)), device: memo(l.device), entrance: memo(l.entrance) }
}

/**
 * The plan of the grant's methods on its current doors, for its recorded issues. When the rules refuse the
 * plan on the doors the grant has now (a space lost its last capable door), that refusal is the grant's error,
 * in words; anything else is a bug and is not swallowed.
 */
export function planForIssues(requested: readonly RequestedAccessMethod[], targets: ResolvedTargets): AccessMethodPlan {
  try {
    return planAccessMethods(requested, targets)
  } catch (e) {
    if (!(e instanceof DomainError)) throw e
    return { methods: [], errors: [{ error_code: 'cannot_create_requested_access_methods', message: e.message }], warnings: [] }
  }
}
