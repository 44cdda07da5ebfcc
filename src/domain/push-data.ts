// customers/push_data and customers/delete_data, planned purely (seed 000). Seam answers `ok: true` and
// drops what it cannot use; we answer for EVERY pushed item: applied (created/updated/unchanged), waiting
// (a draft whose space is missing or has no doors) or rejected (with the error it would have raised).
// The store applies `changes` in one transaction and returns `results` beside `ok: true`.
//
// Decisions:
// - `reservations`, `bookings` and `access_grants` are one namespace of grant keys: an item's key is the
//   grant's access_grant_key, so delete_data finds it by reservation_keys, booking_keys or access_grant_keys.
// - The key is also the grant's reservation_key when at least one of its entrances can belong to a
//   reservation; otherwise the grant is standard access (seed 001, step 2: no key without capable doors).
// - `guests`, `residents`, `tenants`, `users`, `user_identities` are one namespace of user_identity_keys.
// - `spaces`, `rooms`, `units`, `common_areas` are one namespace of space keys. push_data records the space
//   (name, customer) but never its doors: doors come from spaces/create|update. A grant on a space that is
//   unknown or has no doors is kept as a draft and becomes real through `planDraftActivation`.
// - Kinds we do not model (properties, sites, buildings, facilities, listings, property_listings,
//   staff_members) are rejected item by item with `push_data_kind_not_supported`, never dropped silently.
import { z } from 'zod'
import { DomainError, invalidInput, type ValidationErrors } from './errors.js'
import type { RequestedAccessMethod } from './access-grant.js'
import { checkReservation, releaseReservationGrants, type ReservationMember, type ReservationWarning, type TimeWindow } from './reservation.js'
import { contactConflictError, findContactConflict, normalizeEmail, normalizePhone, userIdentityNotFound, type UserIdentityRecord } from './user-identity.js'

// ---------------------------------------------------------------- schema

const key = z.string().min(1, 'must be a non-empty string')
const keyList = z.array(key)
const isoDate = z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time' })

const spaceShape = {
  name: z.string().min(1),
  parent_site_key: key.optional(),
  duration_minutes: z.number().optional(),
  geolocation: z.object({ latitude: z.number(), longitude: z.number() }).optional(),
  customer_data: z
    .object({ address: z.string().optional(), default_checkin_time: z.string().optional(), default_checkout_time: z.string().optional(), time_zone: z.string().optional() })
    .optional(),
}
const holderShape = {
  name: z.string().min(1),
  email_address: z.email({ message: 'must be an email address' }).nullable().optional(),
  phone_number: z.string().nullable().optional(),
}
const grantShape = {
  name: z.string().nullable().optional(),
  starts_at: isoDate.optional(),
  ends_at: isoDate.optional(),
  preferred_code: z.string().regex(/^\d{4,9}$/, 'must be 4 to 9 digits').optional(),
  guest_key: key.optional(),
  resident_key: key.optional(),
  tenant_key: key.optional(),
  user_key: key.optional(),
  user_identity_key: key.optional(),
  space_keys: keyList.optional(),
  room_keys: keyList.optional(),
  unit_keys: keyList.optional(),
  common_area_keys: keyList.optional(),
  property_keys: keyList.optional(),
  building_keys: keyList.optional(),
  facility_keys: keyList.optional(),
  listing_keys: keyList.optional(),
  custom_metadata: z.record(z.string(), z.unknown()).optional(),
}
const grantItem = z.object(grantShape)
const named = (k: string) => z.array(z.object({ [k]: key, name: z.string().min(1) }).loose())

export const pushDataSchema = z.object({
  customer_key: key,
  spaces: z.array(z.object({ ...spaceShape, space_key: key })).optional(),
  rooms: z.array(z.object({ ...spaceShape, room_key: key })).optional(),
  units: z.array(z.object({ ...spaceShape, unit_key: key })).optional(),
  common_areas: z.array(z.object({ ...spaceShape, common_area_key: key })).optional(),
  guests: z.array(z.object({ ...holderShape, guest_key: key })).optional(),
  residents: z.array(z.object({ ...holderShape, resident_key: key })).optional(),
  tenants: z.array(z.object({ ...holderShape, tenant_key: key })).optional(),
  users: z.array(z.object({ ...holderShape, user_key: key })).optional(),
  user_identities: z.array(z.object({ ...holderShape, user_identity_key: key })).optional(),
  reservations: z.array(z.object({ ...grantShape, reservation_key: key })).optional(),
  bookings: z.array(z.object({ ...grantShape, booking_key: key })).optional(),
  access_grants: z.array(z.object({ ...grantShape, access_grant_key: key })).optional(),
  properties: named('property_key').optional(),
  sites: named('site_key').optional(),
  buildings: named('building_key').optional(),
  facilities: named('facility_key').optional(),
  listings: named('listing_key').optional(),
  property_listings: named('property_listing_key').optional(),
  staff_members: z.array(z.object({ staff_member_key: key }).loose()).optional(),
})
export type PushDataPayload = z.infer<typeof pushDataSchema>

export const DELETE_KEY_LISTS = [
  'customer_keys', 'space_keys', 'property_keys', 'room_keys', 'common_area_keys', 'unit_keys', 'facility_keys', 'building_keys',
  'listing_keys', 'property_listing_keys', 'guest_keys', 'tenant_keys', 'resident_keys', 'user_keys', 'user_identity_keys',
  'reservation_keys', 'booking_keys', 'access_grant_keys', 'staff_member_keys',
] as const
export type DeleteKeyList = (typeof DELETE_KEY_LISTS)[number]

// 2.32 sends delete_data as a query string, so a single value may arrive as a plain string.
const oneOrMany = z.union([key, keyList]).transform((v) => (typeof v === 'string' ? [v] : v))
export const deleteDataSchema = z.object(Object.fromEntries(DELETE_KEY_LISTS.map((k) => [k, oneOrMany.optional()])) as Record<DeleteKeyList, z.ZodOptional<typeof oneOrMany>>)
export type DeleteDataPayload = z.infer<typeof deleteDataSchema>

/** Parses a body; throws 400 invalid_input with Seam-shaped validation_errors. */
export function parsePushData(body: unknown): PushDataPayload {
  return parseWith(pushDataSchema, body)
}
export function parseDeleteData(body: unknown): DeleteDataPayload {
  return parseWith(deleteDataSchema, body)
}

function parseWith<T>(schema: z.ZodType<T>, body: unknown): T {
  const r = schema.safeParse(body)
  if (r.success) return r.data
  const validationErrors: ValidationErrors = { _errors: [] }
  const lines: string[] = []
  for (const issue of r.error.issues) {
    const path = issue.path.map(String).join('.')
    lines.push(path ? `${path}: ${issue.message}` : issue.message)
    if (path) {
      const slot = (validationErrors[path] as { _errors: string[] } | undefined) ?? { _errors: [] }
      slot._errors.push(issue.message)
      validationErrors[path] = slot
    } else validationErrors._errors.push(issue.message)
  }
  return throwError(new DomainError('invalid_input', `Invalid input: ${lines.join('; ')}`, 400, undefined, validationErrors))
}

// ---------------------------------------------------------------- snapshot and results

export interface PushEntrance {
  readonly entranceId: string
  readonly canBelongToReservation: boolean
  readonly canUnlockWithCard: boolean
}

export interface SpaceSnapshot {
  readonly spaceKey: string
  readonly name: string
  readonly customerKey: string | null
  readonly deviceIds: readonly string[]
  readonly entrances: readonly PushEntrance[]
}

export interface IdentitySnapshot extends UserIdentityRecord {
  readonly fullName: string | null
  readonly customerKey: string | null
}

export type GrantCollection = 'reservations' | 'bookings' | 'access_grants'

export interface GrantSnapshot {
  readonly accessGrantId: string
  readonly accessGrantKey: string
  readonly collection: GrantCollection
  readonly reservationKey: string | null
  readonly userIdentityKey: string
  readonly spaceKeys: readonly string[]
  readonly window: TimeWindow
  readonly name: string | null
  readonly preferredCode: string | null
  readonly customerKey: string | null
  readonly state: 'active' | 'draft'
  /** Cards of this grant already encoded and handed out (for delete warnings). */
  readonly issuedCardAccessMethodIds?: readonly string[]
}

export interface PushSnapshot {
  readonly now: number
  readonly spaces: readonly SpaceSnapshot[]
  readonly userIdentities: readonly IdentitySnapshot[]
  /** Grants that came from push_data, by key (active and draft). */
  readonly grants: readonly GrantSnapshot[]
  /** Every live (non-draft) grant holding a reservation_key, pushed or created through the API. */
  readonly reservationMembers: readonly (ReservationMember & { readonly reservationKey: string })[]
}

export interface PushConfig {
  readonly allowSharedEmails: boolean
}

export type PushCollection = keyof Omit<PushDataPayload, 'customer_key'>

export interface WaitingFor {
  readonly missing_space_keys: readonly string[]
  readonly space_keys_without_doors: readonly string[]
}

export interface ItemError {
  readonly type: string
  readonly message: string
  readonly status: number
}

export type PushItemResult =
  | { readonly collection: PushCollection; readonly key: string; readonly status: 'applied'; readonly outcome: Outcome; readonly warnings?: readonly string[] }
  | { readonly collection: PushCollection; readonly key: string; readonly status: 'waiting'; readonly outcome: Outcome; readonly waiting_for: WaitingFor; readonly warnings?: readonly string[] }
  | { readonly collection: PushCollection; readonly key: string; readonly status: 'rejected'; readonly error: ItemError }

export type Outcome = 'created' | 'updated' | 'unchanged'

export interface GrantIntent {
  readonly accessGrantKey: string
  readonly collection: GrantCollection
  readonly userIdentityKey: string
  readonly spaceKeys: readonly string[]
  readonly window: TimeWindow
  readonly name: string | null
  readonly preferredCode: string | null
  readonly customerKey: string | null
}

export type PushChange =
  | { readonly kind: 'upsert_space'; readonly create: boolean; readonly spaceKey: string; readonly name: string; readonly customerKey: string }
  | {
      readonly kind: 'upsert_user_identity'
      readonly create: boolean
      readonly userIdentityKey: string
      readonly fullName: string
      readonly emailAddress: string | null
      readonly phoneNumber: string | null
      readonly customerKey: string
    }
  | {
      readonly kind: 'upsert_access_grant'
      readonly create: boolean
      readonly grant: GrantIntent
      readonly state: 'active' | 'draft'
      /** Present when active: the key to store, the doors to provision and the set to record. */
      readonly reservationKey: string | null
      readonly requested: readonly RequestedAccessMethod[]
      readonly deviceIds: readonly string[]
      readonly entranceIds: readonly string[]
      readonly reservationEntranceIds: readonly string[]
      readonly waitingFor?: WaitingFor
    }
  | { readonly kind: 'delete_access_grant'; readonly accessGrantKey: string; readonly accessGrantId: string }
  | { readonly kind: 'delete_user_identity'; readonly userIdentityKey: string; readonly userIdentityId: string }
  | { readonly kind: 'delete_space'; readonly spaceKey: string }

export interface PushPlan {
  readonly changes: readonly PushChange[]
  readonly results: readonly PushItemResult[]
}

// ---------------------------------------------------------------- push_data

const SPACE_LISTS = [['spaces', 'space_key'], ['rooms', 'room_key'], ['units', 'unit_key'], ['common_areas', 'common_area_key']] as const
const HOLDER_LISTS = [['user_identities', 'user_identity_key'], ['guests', 'guest_key'], ['residents', 'resident_key'], ['tenants', 'tenant_key'], ['users', 'user_key']] as const
const GRANT_LISTS = [['reservations', 'reservation_key'], ['access_grants', 'access_grant_key'], ['bookings', 'booking_key']] as const
const UNMODELLED = [
  ['properties', 'property_key'], ['sites', 'site_key'], ['buildings', 'building_key'], ['facilities', 'facility_key'],
  ['listings', 'listing_key'], ['property_listings', 'property_listing_key'], ['staff_members', 'staff_member_key'],
] as const
const HOLDER_REFS = ['user_identity_key', 'guest_key', 'resident_key', 'tenant_key', 'user_key'] as const

export function planPushData(payload: PushDataPayload, snapshot: PushSnapshot, config: PushConfig): PushPlan {
  const ctx = new Working(snapshot)
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
  for (const [collection, field] of SPACE_LISTS) {
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
  for (const [collection, field] of HOLDER_LISTS) {
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
  for (let changed = true; changed; ) {
    changed = false
    pushedHolders.forEach((h, i) => {
      if (refused.has(h.key)) return
      const laterAccepted = new Set(pushedHolders.slice(i + 1).filter((x) => !refused.has(x.key)).map((x) => x.key))
      const others: UserIdentityRecord[] = []
      for (const [k, u] of ctx.identities) if (k !== h.key && !laterAccepted.has(k) && !pushedHolders.some((x) => x.key === k && !refused.has(k))) others.push(u)
      for (const x of pushedHolders.slice(0, i)) {
        if (!refused.has(x.key)) others.push({ userIdentityId: `pending:${x.key}`, userIdentityKey: x.key, emailAddress: x.email, phoneNumber: x.phone })
      }
      const clash = findContactConflict({ userIdentityKey: h.key, emailAddress: h.email, phoneNumber: h.phone }, others, config)
      if (clash) {
        refused.set(h.key, contactConflictError(clash))
        changed = true
      }
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
  for (const [collection, field] of GRANT_LISTS) {
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
  for (const [collection, field] of UNMODELLED) {
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
  const ctx = new Working(snapshot)
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

function evaluateGrant(intent: GrantIntent, ctx: Working, collection: GrantCollection): { change?: PushChange; result: PushItemResult } {
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

function toIntent(collection: GrantCollection, k: string, item: z.infer<typeof grantItem>, customerKey: string, ctx: Working): GrantIntent | DomainError {
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

function ignoredLocationWarnings(item: z.infer<typeof grantItem>): string[] {
  const lists = (['property_keys', 'building_keys', 'facility_keys', 'listing_keys'] as const).filter((f) => (item[f] ?? []).length > 0)
  return lists.length ? [`Ignored ${lists.join(', ')}: access follows space_keys only.`] : []
}

// ---------------------------------------------------------------- delete_data

export type DeleteItemResult = {
  readonly list: DeleteKeyList
  readonly key: string
  readonly status: 'deleted' | 'not_found'
  /** Grants removed with a holder or customer, and grants parked as drafts when their space went away. */
  readonly cascade?: { readonly deleted_access_grant_keys?: readonly string[]; readonly drafted_access_grant_keys?: readonly string[]; readonly deleted_user_identity_keys?: readonly string[]; readonly deleted_space_keys?: readonly string[] }
  readonly warnings?: readonly ReservationWarning[]
}

export interface DeletePlan {
  readonly changes: readonly PushChange[]
  readonly results: readonly DeleteItemResult[]
}

export function planDeleteData(payload: DeleteDataPayload, snapshot: PushSnapshot): DeletePlan {
  const changes: PushChange[] = []
  const results: DeleteItemResult[] = []
  const deletedGrants = new Set<string>()
  const deletedIdentities = new Set<string>()
  const deletedSpaces = new Set<string>()
  const draftedGrants = new Set<string>()

  const deleteGrant = (g: GrantSnapshot): ReservationWarning[] => {
    if (deletedGrants.has(g.accessGrantKey)) return []
    deletedGrants.add(g.accessGrantKey)
    changes.push({ kind: 'delete_access_grant', accessGrantKey: g.accessGrantKey, accessGrantId: g.accessGrantId })
    if (g.reservationKey === null || g.state !== 'active') return []
    const members = snapshot.reservationMembers.filter((m) => m.reservationKey === g.reservationKey)
    return [...releaseReservationGrants({ reservationKey: g.reservationKey, members, deletedAccessGrantIds: [g.accessGrantId], issuedCardAccessMethodIds: g.issuedCardAccessMethodIds ?? [] }).warnings]
  }
  const deleteIdentity = (u: IdentitySnapshot) => {
    if (deletedIdentities.has(u.userIdentityKey!)) return { grants: [] as string[], warnings: [] as ReservationWarning[] }
    deletedIdentities.add(u.userIdentityKey!)
    changes.push({ kind: 'delete_user_identity', userIdentityKey: u.userIdentityKey!, userIdentityId: u.userIdentityId })
    const grants = snapshot.grants.filter((g) => g.userIdentityKey === u.userIdentityKey && !deletedGrants.has(g.accessGrantKey))
    const warnings = grants.flatMap(deleteGrant)
    return { grants: grants.map((g) => g.accessGrantKey), warnings }
  }
  const deleteSpace = (s: SpaceSnapshot) => {
    if (deletedSpaces.has(s.spaceKey)) return [] as string[]
    deletedSpaces.add(s.spaceKey)
    changes.push({ kind: 'delete_space', spaceKey: s.spaceKey })
    // Grants on the space go back to waiting; they come back if the space is pushed and given doors again.
    const parked: string[] = []
    for (const g of snapshot.grants) {
      if (!g.spaceKeys.includes(s.spaceKey) || deletedGrants.has(g.accessGrantKey) || draftedGrants.has(g.accessGrantKey)) continue
      draftedGrants.add(g.accessGrantKey)
      parked.push(g.accessGrantKey)
      const missing = g.spaceKeys.filter((k) => deletedSpaces.has(k) || !snapshot.spaces.some((x) => x.spaceKey === k))
      changes.push({
        kind: 'upsert_access_grant', create: false, grant: intentOf(g), state: 'draft', reservationKey: null, requested: [], deviceIds: [], entranceIds: [], reservationEntranceIds: [],
        waitingFor: { missing_space_keys: missing, space_keys_without_doors: [] },
      })
    }
    return parked
  }

  const byList = (list: DeleteKeyList) => uniqueSorted(payload[list] ?? [])
  const push = (r: DeleteItemResult) => results.push(r)

  for (const list of ['reservation_keys', 'booking_keys', 'access_grant_keys'] as const) {
    for (const k of byList(list)) {
      const g = snapshot.grants.find((x) => x.accessGrantKey === k)
      if (!g || deletedGrants.has(k)) {
        push({ list, key: k, status: g ? 'deleted' : 'not_found' })
        continue
      }
      const warnings = deleteGrant(g)
      push({ list, key: k, status: 'deleted', ...(warnings.length ? { warnings } : {}) })
    }
  }
  for (const list of ['user_identity_keys', 'guest_keys', 'resident_keys', 'tenant_keys', 'user_keys'] as const) {
    for (const k of byList(list)) {
      const u = snapshot.userIdentities.find((x) => x.userIdentityKey === k)
      if (!u) {
        push({ list, key: k, status: 'not_found' })
        continue
      }
      const { grants, warnings } = deleteIdentity(u)
      push({ list, key: k, status: 'deleted', ...(grants.length ? { cascade: { deleted_access_grant_keys: grants } } : {}), ...(warnings.length ? { warnings } : {}) })
    }
  }
  for (const list of ['space_keys', 'room_keys', 'unit_keys', 'common_area_keys'] as const) {
    for (const k of byList(list)) {
      const s = snapshot.spaces.find((x) => x.spaceKey === k)
      if (!s) {
        push({ list, key: k, status: 'not_found' })
        continue
      }
      const parked = deleteSpace(s)
      push({ list, key: k, status: 'deleted', ...(parked.length ? { cascade: { drafted_access_grant_keys: parked } } : {}) })
    }
  }
  for (const k of byList('customer_keys')) {
    const grants = snapshot.grants.filter((g) => g.customerKey === k && !deletedGrants.has(g.accessGrantKey))
    const identities = snapshot.userIdentities.filter((u) => u.customerKey === k && !deletedIdentities.has(u.userIdentityKey ?? ''))
    const spaces = snapshot.spaces.filter((s) => s.customerKey === k && !deletedSpaces.has(s.spaceKey))
    if (grants.length + identities.length + spaces.length === 0) {
      push({ list: 'customer_keys', key: k, status: 'not_found' })
      continue
    }
    const warnings = grants.flatMap(deleteGrant)
    for (const u of identities) warnings.push(...deleteIdentity(u).warnings)
    for (const s of spaces) deleteSpace(s)
    push({
      list: 'customer_keys',
      key: k,
      status: 'deleted',
      cascade: {
        deleted_access_grant_keys: grants.map((g) => g.accessGrantKey),
        deleted_user_identity_keys: identities.map((u) => u.userIdentityKey!),
        deleted_space_keys: spaces.map((s) => s.spaceKey),
      },
      ...(warnings.length ? { warnings } : {}),
    })
  }
  // Kinds we never store can only be absent.
  for (const list of ['property_keys', 'facility_keys', 'building_keys', 'listing_keys', 'property_listing_keys', 'staff_member_keys'] as const) {
    for (const k of byList(list)) push({ list, key: k, status: 'not_found' })
  }
  return { changes, results }
}

// ---------------------------------------------------------------- helpers

/** Mutable view of the snapshot while one push is planned: later items see earlier ones. */
class Working {
  readonly now: number
  readonly spaces: Map<string, SpaceSnapshot>
  readonly identities: Map<string, IdentitySnapshot>
  readonly grants: Map<string, GrantSnapshot>
  readonly rejectedHolders = new Map<string, DomainError>()
  members: (ReservationMember & { readonly reservationKey: string })[]
  constructor(s: PushSnapshot) {
    this.now = s.now
    this.spaces = new Map(s.spaces.map((x) => [x.spaceKey, x]))
    this.identities = new Map(s.userIdentities.filter((u) => u.userIdentityKey).map((u) => [u.userIdentityKey!, u]))
    this.grants = new Map(s.grants.map((g) => [g.accessGrantKey, g]))
    this.members = [...s.reservationMembers]
  }
}

function intentOf(g: GrantSnapshot): GrantIntent {
  return {
    accessGrantKey: g.accessGrantKey,
    collection: g.collection,
    userIdentityKey: g.userIdentityKey,
    spaceKeys: g.spaceKeys,
    window: g.window,
    name: g.name,
    preferredCode: g.preferredCode,
    customerKey: g.customerKey,
  }
}

function sameIntent(g: GrantSnapshot, i: GrantIntent): boolean {
  return (
    g.userIdentityKey === i.userIdentityKey &&
    g.window.startsAt === i.window.startsAt &&
    g.window.endsAt === i.window.endsAt &&
    g.name === i.name &&
    g.preferredCode === i.preferredCode &&
    g.customerKey === i.customerKey &&
    uniqueSorted(g.spaceKeys).join('\u0000') === i.spaceKeys.join('\u0000')
  )
}

function hasDoors(s: SpaceSnapshot): boolean {
  return s.deviceIds.length > 0 || s.entrances.length > 0
}

function itemError(e: DomainError): ItemError {
  return { type: e.type, message: e.message, status: e.status }
}

function uniqueSorted(xs: readonly string[]): string[] {
  return [...new Set(xs)].sort()
}

function uniqueBy<T>(xs: readonly T[], k: (x: T) => string): T[] {
  const m = new Map<string, T>()
  for (const x of xs) if (!m.has(k(x))) m.set(k(x), x)
  return [...m.values()]
}

function throwError(e: DomainError): never {
  throw e
}
