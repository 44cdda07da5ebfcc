// The push_data plan: spaces, then holders, then grants, then the kinds lockstep keeps no state for.
// Pure: a snapshot in, changes and one result per pushed item out. Also the re-evaluation of drafts
// when a space gains doors.
import { DomainError, invalidInput } from '../errors.js'
import type { RequestedAccessMethod } from '../access-grant.js'
import { checkReservation } from '../reservation.js'
import { contactConflictError, normalizeEmail, normalizePhone, userIdentityNotFound, type IdentityConflict, type UserIdentityRecord } from '../user-identity.js'
import {
  PlanningView,
  hasDoors,
  intentOf,
  itemError,
  sameIntent,
  uniqueBy,
  uniqueSorted,
  type GrantCollection,
  type GrantIntent,
  type Outcome,
  type PushChange,
  type PushConfig,
  type PushItemResult,
  type PushPlan,
  type PushSnapshot,
  type WaitingFor,
} from './model.js'
import { PUSH_COLLECTIONS, planOrder, type PushCollection, type PushDataPayload } from './schema.js'

/** A pushed grant's fields, whichever collection it came in. */
type GrantItem = Omit<NonNullable<PushDataPayload['reservations']>[number], 'reservation_key'>

// The order items are planned in, which is the order of the results: not the body's order for holders
// and grants (identities first; reservations before access_grants before bookings).
const SPACE_ORDER = planOrder(['space'], ['spaces', 'rooms', 'units', 'common_areas'])
const HOLDER_ORDER = planOrder(['holder'], ['user_identities', 'guests', 'residents', 'tenants', 'users'])
const GRANT_ORDER = planOrder(['grant'], ['reservations', 'access_grants', 'bookings'])
const UNMODELLED_ORDER = planOrder(['named', 'bare'], ['properties', 'sites', 'buildings', 'facilities', 'listings', 'property_listings', 'staff_members'])
const HOLDER_REFS = ['user_identity_key', 'guest_key', 'resident_key', 'tenant_key', 'user_key'] as const

export function planPushData(payload: PushDataPayload, snapshot: PushSnapshot, config: PushConfig): PushPlan {
  const ctx = new PlanningView(snapshot)
  const changes: PushChange[] = []
  const results: PushItemResult[] = []
  const customerKey = payload.customer_key
  const seen = new Map<string, Set<string>>() // namespace → keys already met in this payload
  const firstTime = (ns: string, k: string) => {
    const s = seen.get(ns) ?? new Set<string>()
    seen.set(ns, s)
    if (s.has(k)) return false
    s.add(k)
    return true
  }
  const duplicate = (collection: PushCollection, k: string): PushItemResult => ({
    collection,
    key: k,
    status: 'rejected',
    error: { type: 'duplicate_key_in_payload', status: 400, message: `The key "${k}" appears more than once in this push; each item needs its own key.` },
  })

  // 1. Spaces: the record and its name only.
  for (const collection of SPACE_ORDER) {
    const field = PUSH_COLLECTIONS[collection].key
    for (const item of payload[collection] ?? []) {
      const k = (item as unknown as Record<string, string>)[field]!
      if (!firstTime('space', k)) {
        results.push(duplicate(collection, k))
        continue
      }
      const existing = ctx.spaces.get(k)
      const warnings = existing && hasDoors(existing) ? undefined : ['Space has no doors yet: add devices or entrances with spaces/create or spaces/update; grants on it wait until then.']
      if (existing && existing.name === item.name && existing.customerKey === customerKey) {
        results.push({ collection, key: k, status: 'applied', outcome: 'unchanged', ...(warnings ? { warnings } : {}) })
        continue
      }
      changes.push({ kind: 'upsert_space', create: !existing, spaceKey: k, name: item.name, customerKey })
      ctx.spaces.set(k, { spaceKey: k, name: item.name, customerKey, deviceIds: existing?.deviceIds ?? [], entrances: existing?.entrances ?? [] })
      results.push({ collection, key: k, status: 'applied', outcome: existing ? 'updated' : 'created', ...(warnings ? { warnings } : {}) })
    }
  }

  // 2. Holders. Uniqueness of email and phone is judged on the state AFTER this push (an item may free an
  //    email that a later item takes), so the same payload pushed twice gets the same answer. On a clash
  //    the earlier pushed item wins; an identity this push does not touch always wins.
  interface PushedHolder {
    collection: PushCollection
    key: string
    name: string
    email: string | null
    phone: string | null
  }
  const pushedHolders: PushedHolder[] = []
  const holderOrder: (PushedHolder | PushItemResult)[] = [] // results keep the payload's order
  for (const collection of HOLDER_ORDER) {
    const field = PUSH_COLLECTIONS[collection].key
    for (const item of payload[collection] ?? []) {
      const k = (item as unknown as Record<string, string>)[field]!
      if (!firstTime('holder', k)) {
        holderOrder.push(duplicate(collection, k))
        continue
      }
      const h = { collection, key: k, name: item.name, email: normalizeEmail(item.email_address), phone: normalizePhone(item.phone_number) }
      pushedHolders.push(h)
      holderOrder.push(h)
    }
  }
  const refused = new Map<string, DomainError>()
  // Contacts indexed once (normalized), in the order a linear scan would meet them: identities this push
  // does not re-push (or whose re-push was refused), API identities without a key, then earlier pushed
  // holders not refused. Same answers as scanning every identity per holder, without the O(n²) scans.
  interface Contact { rank: number; rec: UserIdentityRecord; email: string | null; phone: string | null; identityKey?: string; pushedIndex?: number }
  const byEmail = new Map<string, Contact[]>()
  const byPhone = new Map<string, Contact[]>()
  let rank = 0
  const index = (c: Omit<Contact, 'rank'>) => {
    const entry = { ...c, rank: rank++ }
    if (entry.email) (byEmail.get(entry.email) ?? byEmail.set(entry.email, []).get(entry.email)!).push(entry)
    if (entry.phone) (byPhone.get(entry.phone) ?? byPhone.set(entry.phone, []).get(entry.phone)!).push(entry)
  }
  for (const [k, u] of ctx.identities) index({ rec: u, email: normalizeEmail(u.emailAddress), phone: normalizePhone(u.phoneNumber), identityKey: k })
  // Identities created through the API may have no key: push cannot touch them, so they always win.
  for (const u of ctx.unkeyedIdentities) index({ rec: u, email: normalizeEmail(u.emailAddress), phone: normalizePhone(u.phoneNumber) })
  pushedHolders.forEach((x, i) => index({ rec: { userIdentityId: `pending:${x.key}`, userIdentityKey: x.key, emailAddress: x.email, phoneNumber: x.phone }, email: x.email, phone: x.phone, pushedIndex: i }))
  const pushedKeys = new Set(pushedHolders.map((x) => x.key))
  const pushedKeyAt = pushedHolders.map((x) => x.key)
  for (let changed = true; changed; ) {
    changed = false
    pushedHolders.forEach((h, i) => {
      if (refused.has(h.key)) return
      const eligible = (c: Contact) =>
        c.identityKey !== undefined
          ? c.identityKey !== h.key && !(pushedKeys.has(c.identityKey) && !refused.has(c.identityKey))
          : c.pushedIndex !== undefined
            ? c.pushedIndex < i && !refused.has(pushedKeyAt[c.pushedIndex]!)
            : true
      const emailRule = h.email !== null && !config.allowSharedEmails
      const byMail = emailRule ? (byEmail.get(h.email!) ?? []).find(eligible) : undefined
      const byTel = h.phone !== null ? (byPhone.get(h.phone) ?? []).find(eligible) : undefined
      const first = byMail && (!byTel || byMail.rank <= byTel.rank) ? byMail : byTel
      if (!first) return
      const field = emailRule && first.email === h.email ? 'email_address' : 'phone_number'
      const clash: IdentityConflict = {
        field,
        value: field === 'email_address' ? h.email! : h.phone!,
        userIdentityId: first.rec.userIdentityId,
        userIdentityKey: first.rec.userIdentityKey,
      }
      refused.set(h.key, contactConflictError(clash))
      changed = true
    })
  }
  for (const h of holderOrder) {
    if ('status' in h) {
      results.push(h)
      continue
    }
    const e = refused.get(h.key)
    if (e) {
      ctx.rejectedHolders.set(h.key, e)
      results.push({ collection: h.collection, key: h.key, status: 'rejected', error: itemError(e) })
      continue
    }
    const existing = ctx.identities.get(h.key)
    const same =
      existing &&
      existing.fullName === h.name &&
      normalizeEmail(existing.emailAddress) === h.email &&
      normalizePhone(existing.phoneNumber) === h.phone &&
      existing.customerKey === customerKey
    if (same) {
      results.push({ collection: h.collection, key: h.key, status: 'applied', outcome: 'unchanged' })
      continue
    }
    changes.push({ kind: 'upsert_user_identity', create: !existing, userIdentityKey: h.key, fullName: h.name, emailAddress: h.email, phoneNumber: h.phone, customerKey })
    ctx.identities.set(h.key, { userIdentityId: existing?.userIdentityId ?? `pending:${h.key}`, userIdentityKey: h.key, fullName: h.name, emailAddress: h.email, phoneNumber: h.phone, customerKey })
    results.push({ collection: h.collection, key: h.key, status: 'applied', outcome: existing ? 'updated' : 'created' })
  }

  // 3. Grants.
  for (const collection of GRANT_ORDER) {
    const field = PUSH_COLLECTIONS[collection].key
    for (const item of payload[collection] ?? []) {
      const k = (item as unknown as Record<string, string>)[field]!
      if (!firstTime('grant', k)) {
        results.push(duplicate(collection, k))
        continue
      }
      const intent = toIntent(collection, k, item, customerKey, ctx)
      if (intent instanceof DomainError) {
        results.push({ collection, key: k, status: 'rejected', error: itemError(intent) })
        continue
      }
      const warnings = ignoredLocationWarnings(item)
      const { change, result } = evaluateGrant(intent, ctx, collection)
      if (change) changes.push(change)
      results.push(warnings.length && result.status !== 'rejected' ? { ...result, warnings: [...(result.warnings ?? []), ...warnings] } : result)
    }
  }

  // 4. Kinds we keep no state for.
  for (const collection of UNMODELLED_ORDER) {
    const field = PUSH_COLLECTIONS[collection].key
    for (const item of payload[collection] ?? []) {
      results.push({
        collection,
        key: String((item as Record<string, unknown>)[field]),
        status: 'rejected',
        error: { type: 'push_data_kind_not_supported', status: 400, message: `lockstep keeps no ${collection}; push spaces, holders and reservations instead.` },
      })
    }
  }
  return { changes, results }
}

/**
 * A space gained doors (spaces/create, spaces/update, add_devices, add_acs_entrances with a space_key):
 * re-evaluate the drafts waiting on it. Drafts whose spaces are all ready become active grants; the others
 * keep waiting (or are rejected by the reservation rules, and stay drafts in the store).
 */
export function planDraftActivation(spaceKey: string, snapshot: PushSnapshot): PushPlan {
  const ctx = new PlanningView(snapshot)
  const changes: PushChange[] = []
  const results: PushItemResult[] = []
  for (const draft of snapshot.grants) {
    if (draft.state !== 'draft' || !draft.spaceKeys.includes(spaceKey)) continue
    const { change, result } = evaluateGrant(intentOf(draft), ctx, draft.collection)
    if (change) changes.push(change)
    results.push(result)
  }
  return { changes, results }
}

function evaluateGrant(intent: GrantIntent, ctx: PlanningView, collection: GrantCollection): { change?: PushChange; result: PushItemResult } {
  const k = intent.accessGrantKey
  const existing = ctx.grants.get(k)
  const missing = intent.spaceKeys.filter((s) => !ctx.spaces.has(s))
  const empty = intent.spaceKeys.filter((s) => ctx.spaces.has(s) && !hasDoors(ctx.spaces.get(s)!))

  if (missing.length + empty.length > 0) {
    const waitingFor: WaitingFor = { missing_space_keys: missing, space_keys_without_doors: empty }
    const same = existing?.state === 'draft' && sameIntent(existing, intent)
    const outcome: Outcome = !existing ? 'created' : same ? 'unchanged' : 'updated'
    const change: PushChange | undefined = same
      ? undefined
      : { kind: 'upsert_access_grant', create: !existing, grant: intent, state: 'draft', reservationKey: null, requested: [], deviceIds: [], entranceIds: [], reservationEntranceIds: [], waitingFor }
    return { ...(change ? { change } : {}), result: { collection, key: k, status: 'waiting', outcome, waiting_for: waitingFor } }
  }

  const spaces = intent.spaceKeys.map((s) => ctx.spaces.get(s)!)
  const deviceIds = uniqueSorted(spaces.flatMap((s) => s.deviceIds))
  const entrances = uniqueBy(spaces.flatMap((s) => s.entrances), (e) => e.entranceId)
  const reservationKey = entrances.some((e) => e.canBelongToReservation) ? k : null
  const members = reservationKey === null ? [] : ctx.members.filter((m) => m.reservationKey === reservationKey)
  const check = checkReservation({
    reservationKey,
    ...(existing?.state === 'active' ? { accessGrantId: existing.accessGrantId } : {}),
    entrances,
    window: intent.window,
    members,
    requestsCard: entrances.some((e) => e.canUnlockWithCard),
    config: { reservationKeyRequiredForGuestCards: false },
  })
  if (!check.ok) return { result: { collection, key: k, status: 'rejected', error: itemError(check.error) } }

  const requested: RequestedAccessMethod[] = []
  if (deviceIds.length > 0) requested.push(intent.preferredCode ? { mode: 'code', code: intent.preferredCode } : { mode: 'code' })
  if (entrances.some((e) => e.canUnlockWithCard)) requested.push({ mode: 'card' })

  const same = existing?.state === 'active' && sameIntent(existing, intent) && existing.reservationKey === reservationKey
  const outcome: Outcome = !existing ? 'created' : same ? 'unchanged' : 'updated'
  if (same) return { result: { collection, key: k, status: 'applied', outcome } }
  const change: PushChange = {
    kind: 'upsert_access_grant',
    create: !existing,
    grant: intent,
    state: 'active',
    reservationKey,
    requested,
    deviceIds,
    entranceIds: entrances.map((e) => e.entranceId).sort(),
    reservationEntranceIds: check.decision.reservationEntranceIds,
  }
  // Later items of this push see the grant as a reservation member.
  if (reservationKey !== null) {
    const id = existing?.accessGrantId ?? `pending:${k}`
    ctx.members = [
      ...ctx.members.filter((m) => m.accessGrantId !== id),
      { reservationKey, accessGrantId: id, capableEntranceIds: check.decision.capableEntranceIds, reservationEntranceIds: check.decision.reservationEntranceIds, window: intent.window },
    ]
  }
  return { change, result: { collection, key: k, status: 'applied', outcome } }
}

function toIntent(collection: GrantCollection, k: string, item: GrantItem, customerKey: string, ctx: PlanningView): GrantIntent | DomainError {
  const holders = uniqueSorted(HOLDER_REFS.map((f) => item[f]).filter((v): v is string => v !== undefined))
  if (holders.length === 0) return invalidInput('A reservation needs its holder: give user_identity_key, guest_key, resident_key, tenant_key or user_key.', 'user_identity_key')
  if (holders.length > 1) return invalidInput(`A reservation has one holder; got ${holders.join(', ')}.`, 'user_identity_key')
  const holder = holders[0]!
  const holderError = ctx.rejectedHolders.get(holder)
  if (holderError) return holderError // seed 000: a holder's email conflict must not skip the stay silently
  if (!ctx.identities.has(holder)) return userIdentityNotFound(`user_identity_key ${holder}`)

  const spaceKeys = uniqueSorted([...(item.space_keys ?? []), ...(item.room_keys ?? []), ...(item.unit_keys ?? []), ...(item.common_area_keys ?? [])])
  if (spaceKeys.length === 0) return invalidInput('A reservation needs at least one space: give space_keys (or room_keys, unit_keys, common_area_keys).', 'space_keys')

  const existing = ctx.grants.get(k)
  // A missing starts_at keeps the stored one, so a re-push of the same payload stays `unchanged`.
  const startsAt = item.starts_at !== undefined ? Date.parse(item.starts_at) : existing?.window.startsAt ?? ctx.now
  const endsAt = item.ends_at !== undefined ? Date.parse(item.ends_at) : null
  if (endsAt !== null && endsAt <= startsAt) return invalidInput('ends_at must be after starts_at.', 'ends_at')
  return {
    accessGrantKey: k,
    collection,
    userIdentityKey: holder,
    spaceKeys,
    window: { startsAt, endsAt },
    name: item.name ?? null,
    preferredCode: item.preferred_code ?? null,
    customerKey,
  }
}

function ignoredLocationWarnings(item: GrantItem): string[] {
  const lists = (['property_keys', 'building_keys', 'facility_keys', 'listing_keys'] as const).filter((f) => (item[f] ?? []).length > 0)
  return lists.length ? [`Ignored ${lists.join(', ')}: access follows space_keys only.`] : []
}
