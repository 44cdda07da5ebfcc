// Access grants: what doors a grant reaches and which access methods carry it there. Pure planning — the
// store writes the rows, the reconciler programs codes and the encoder writes cards.
//
// Doors come in two kinds on a lockstep site:
// - devices: online locks (Zigbee, Nuki…) that take PIN codes → mode `code`, one managed code per lock;
// - acs entrances: offline card locks → mode `card`; an entrance may belong to a reservation.
// Spaces group both; a grant may name spaces, devices and entrances at once.
import { DomainError, invalidInput, notFound } from './errors.js'
import { assertReservation, checkReservation, type ReservationDecision, type ReservationMember, type ReservationSiteConfig, type TimeWindow } from './reservation.js'

export type AccessMode = 'code' | 'card' | 'mobile_key' | 'cloud_key'

export interface RequestedAccessMethod {
  readonly mode: AccessMode
  /** Preferred PIN for `code` (4–9 digits per Seam's schema). */
  readonly code?: string
}

export interface DeviceInfo {
  readonly deviceId: string
  /** False for a lock that has no keypad or whose driver cannot program codes. */
  readonly canProgramAccessCodes: boolean
}

export interface EntranceInfo {
  readonly entranceId: string
  readonly canBelongToReservation: boolean
  readonly canUnlockWithCard: boolean
}

export interface SpaceDoors {
  readonly spaceId: string
  readonly deviceIds: readonly string[]
  readonly entranceIds: readonly string[]
}

/** Read-only view of the site the store hands in. */
export interface TargetLookup {
  space(spaceId: string): SpaceDoors | undefined
  spaceByKey?(spaceKey: string): SpaceDoors | undefined
  device(deviceId: string): DeviceInfo | undefined
  entrance(entranceId: string): EntranceInfo | undefined
}

export interface GrantTargets {
  readonly spaceIds?: readonly string[]
  /** Resolved through `lookup.spaceByKey`; the API may also resolve keys itself and pass ids. */
  readonly spaceKeys?: readonly string[]
  readonly deviceIds?: readonly string[]
  readonly acsEntranceIds?: readonly string[]
}

export interface ResolvedTargets {
  readonly spaceIds: readonly string[]
  readonly devices: readonly DeviceInfo[]
  readonly entrances: readonly EntranceInfo[]
}

/** Union of the doors named directly and through spaces; duplicates collapse; unknown ids → 404. */
export function resolveTargets(targets: GrantTargets, lookup: TargetLookup): ResolvedTargets {
  const spaces: SpaceDoors[] = []
  for (const id of targets.spaceIds ?? []) {
    const s = lookup.space(id)
    if (!s) throw notFound('space', id)
    spaces.push(s)
  }
  for (const key of targets.spaceKeys ?? []) {
    const s = lookup.spaceByKey?.(key)
    if (!s) throw new DomainError('space_not_found', `Space not found: space_key ${key}`, 404)
    spaces.push(s)
  }
  const deviceIds = new Set([...(targets.deviceIds ?? []), ...spaces.flatMap((s) => s.deviceIds)])
  const entranceIds = new Set([...(targets.acsEntranceIds ?? []), ...spaces.flatMap((s) => s.entranceIds)])
  const devices = [...deviceIds].sort().map((id) => lookup.device(id) ?? throwError(notFound('device', id)))
  const entrances = [...entranceIds].sort().map((id) => lookup.entrance(id) ?? throwError(notFound('acs_entrance', id)))
  return { spaceIds: [...new Set(spaces.map((s) => s.spaceId))].sort(), devices, entrances }
}

// ---- access methods ----

export interface PlannedAccessCode {
  readonly deviceId: string
  /** Same preferred code on every lock of the grant when the caller asked for one. */
  readonly code?: string
}

export type PlannedAccessMethod =
  | { readonly mode: 'code'; readonly code?: string; readonly accessCodes: readonly PlannedAccessCode[] }
  | {
      readonly mode: 'card'
      readonly entranceIds: readonly string[]
      /** A new card waits for the encoder: Seam's `is_encoding_required` / `is_ready_for_encoding`. */
      readonly isEncodingRequired: true
      readonly isIssued: false
    }

export interface GrantError {
  readonly error_code: 'cannot_create_requested_access_methods'
  readonly message: string
  readonly missing_device_ids?: readonly string[]
}

export interface GrantWarning {
  readonly warning_code: 'device_does_not_support_access_codes' | 'underprovisioned_access' | 'encoding_required'
  readonly message: string
  readonly device_ids?: readonly string[]
  readonly acs_entrance_ids?: readonly string[]
  readonly access_method_ids?: readonly string[]
}

export interface AccessMethodPlan {
  readonly methods: readonly PlannedAccessMethod[]
  readonly errors: readonly GrantError[]
  readonly warnings: readonly GrantWarning[]
}

export const UNSUPPORTED_MODE_ERROR = 'access_method_mode_not_supported'

/** Refuses requests no transport here can honour; call before writing anything. */
export function validateRequestedAccessMethods(requested: readonly RequestedAccessMethod[]): void {
  if (requested.length === 0) throw invalidInput('At least one requested access method is required.', 'requested_access_methods')
  const seen = new Set<AccessMode>()
  for (const r of requested) {
    if (r.mode === 'mobile_key' || r.mode === 'cloud_key') {
      throw new DomainError(
        UNSUPPORTED_MODE_ERROR,
        `Access method mode "${r.mode}" is not supported on this site: no transport delivers it yet. Request "code" or "card".`,
        400,
        { mode: r.mode },
      )
    }
    if (seen.has(r.mode)) throw invalidInput(`Access method mode "${r.mode}" is requested twice.`, 'requested_access_methods')
    seen.add(r.mode)
    if (r.code !== undefined) {
      if (r.mode !== 'code') throw invalidInput('A code can only be given for mode "code".', 'requested_access_methods')
      if (!/^\d{4,9}$/.test(r.code)) throw invalidInput('code must be 4 to 9 digits.', 'requested_access_methods')
    }
  }
}

/**
 * code → one managed access code per lock that can take codes; card → one card method over every entrance
 * that reads cards, waiting for encoding. Doors no method reaches are reported, never dropped silently.
 */
export function planAccessMethods(requested: readonly RequestedAccessMethod[], targets: ResolvedTargets): AccessMethodPlan {
  validateRequestedAccessMethods(requested)
  const methods: PlannedAccessMethod[] = []
  const errors: GrantError[] = []
  const warnings: GrantWarning[] = []
  const coveredDevices = new Set<string>()
  const coveredEntrances = new Set<string>()

  for (const r of requested) {
    if (r.mode === 'code') {
      const able = targets.devices.filter((d) => d.canProgramAccessCodes)
      const unable = targets.devices.filter((d) => !d.canProgramAccessCodes).map((d) => d.deviceId)
      if (unable.length > 0) {
        warnings.push({ warning_code: 'device_does_not_support_access_codes', message: 'Some locks of this grant cannot take access codes.', device_ids: unable })
      }
      if (able.length === 0) {
        errors.push({
          error_code: 'cannot_create_requested_access_methods',
          message: 'No lock of this grant can take an access code.',
          missing_device_ids: targets.devices.map((d) => d.deviceId),
        })
        continue
      }
      able.forEach((d) => coveredDevices.add(d.deviceId))
      const accessCodes = able.map((d) => (r.code === undefined ? { deviceId: d.deviceId } : { deviceId: d.deviceId, code: r.code }))
      methods.push(r.code === undefined ? { mode: 'code', accessCodes } : { mode: 'code', code: r.code, accessCodes })
    } else if (r.mode === 'card') {
      const readers = targets.entrances.filter((e) => e.canUnlockWithCard).map((e) => e.entranceId)
      if (readers.length === 0) {
        errors.push({ error_code: 'cannot_create_requested_access_methods', message: 'No entrance of this grant reads cards.' })
        continue
      }
      readers.forEach((id) => coveredEntrances.add(id))
      methods.push({ mode: 'card', entranceIds: readers, isEncodingRequired: true, isIssued: false })
    }
  }

  const missedDevices = targets.devices.map((d) => d.deviceId).filter((id) => !coveredDevices.has(id))
  const missedEntrances = targets.entrances.map((e) => e.entranceId).filter((id) => !coveredEntrances.has(id))
  if (missedDevices.length + missedEntrances.length > 0 && methods.length > 0) {
    warnings.push({
      warning_code: 'underprovisioned_access',
      message: 'Some doors of this grant are reached by none of the requested access methods.',
      ...(missedDevices.length ? { device_ids: missedDevices } : {}),
      ...(missedEntrances.length ? { acs_entrance_ids: missedEntrances } : {}),
    })
  }
  return { methods, errors, warnings }
}

// ---- the whole of access_grants/create and /update, for the API ----

export interface GrantCreation {
  readonly targets: ResolvedTargets
  readonly reservation: ReservationDecision
  readonly methods: AccessMethodPlan
}

/**
 * access_grants/create in one call, in the order errors should surface: request shape (400), unknown
 * targets (404), reservation rules (400/409), then methods. `members` are the live grants holding
 * `reservationKey` (the store's query); the decision's `reservationEntranceIds` must be stored on the grant.
 */
export function planGrantCreation(
  input: {
    readonly requested: readonly RequestedAccessMethod[]
    readonly targets: GrantTargets
    readonly reservationKey: string | null
    readonly window: TimeWindow
    readonly members: readonly ReservationMember[]
    readonly isStaff?: boolean
    readonly config: ReservationSiteConfig
  },
  lookup: TargetLookup,
): GrantCreation {
  validateRequestedAccessMethods(input.requested)
  assertWindow(input.window)
  const targets = resolveTargets(input.targets, lookup)
  const reservation = assertReservation({
    reservationKey: input.reservationKey,
    entrances: targets.entrances,
    window: input.window,
    members: input.members,
    requestsCard: input.requested.some((r) => r.mode === 'card'),
    ...(input.isStaff === undefined ? {} : { isStaff: input.isStaff }),
    config: input.config,
  })
  return { targets, reservation, methods: planAccessMethods(input.requested, targets) }
}

/**
 * access_grants/update of starts_at/ends_at: re-checks rule 4 against the other grants of its reservation
 * (throws 409), then plans code retiming and card re-encoding (seed 001, scenario 4).
 */
export function planGrantTimeFrameUpdate(input: {
  readonly accessGrantId: string
  readonly reservationKey: string | null
  readonly entrances: readonly EntranceInfo[]
  readonly members: readonly ReservationMember[]
  readonly before: TimeWindow
  readonly after: TimeWindow
  readonly accessCodes: readonly AccessCodeState[]
  readonly cards: readonly CardMethodState[]
  readonly cardEntranceIds: readonly string[]
}): TimeFrameChangePlan {
  assertWindow(input.after)
  if (input.reservationKey !== null) {
    assertReservation({
      reservationKey: input.reservationKey,
      accessGrantId: input.accessGrantId,
      entrances: input.entrances,
      window: input.after,
      members: input.members,
      requestsCard: false,
      config: { reservationKeyRequiredForGuestCards: false },
    })
  }
  return planTimeFrameChange(input)
}

function assertWindow(w: TimeWindow): void {
  if (!Number.isFinite(w.startsAt)) throw invalidInput('starts_at must be a date-time.', 'starts_at')
  if (w.endsAt !== null && !(w.endsAt > w.startsAt)) throw invalidInput('ends_at must be after starts_at.', 'ends_at')
}

// ---- cards after changes: encoding_required ----

/** A card method as stored: what the grant wants vs what was last written on the plastic. */
export interface CardMethodState {
  readonly accessMethodId: string
  readonly isIssued: boolean
  /** Window and doors written on the card at its last encoding (null before the first one). */
  readonly encoded: { readonly window: TimeWindow; readonly entranceIds: readonly string[] } | null
}

/** A card needs (re-)encoding until what is on it matches the grant. */
export function cardNeedsEncoding(card: CardMethodState, window: TimeWindow, entranceIds: readonly string[]): boolean {
  if (!card.isIssued || card.encoded === null) return true
  return !sameWindow(card.encoded.window, window) || !sameSet(card.encoded.entranceIds, entranceIds)
}

/**
 * Grant warnings derived from state (level-triggered): `encoding_required` lists issued cards whose
 * window or doors lag behind the grant; it disappears once they are re-encoded. Cards never issued are
 * not a warning — they are simply waiting (`is_encoding_required`).
 */
export function cardWarnings(cards: readonly CardMethodState[], window: TimeWindow, entranceIds: readonly string[]): GrantWarning[] {
  const stale = cards.filter((c) => c.isIssued && cardNeedsEncoding(c, window, entranceIds)).map((c) => c.accessMethodId)
  if (stale.length === 0) return []
  return [
    {
      warning_code: 'encoding_required',
      message: 'Issued cards carry an old time frame or door set. Re-encode them to apply the change.',
      access_method_ids: stale,
    },
  ]
}

export interface AccessCodeState {
  readonly accessCodeId: string
  readonly deviceId: string
}

export interface TimeFrameChangePlan {
  readonly changed: boolean
  /** Online codes follow the grant: the reconciler reprograms them. */
  readonly accessCodeUpdates: readonly { accessCodeId: string; startsAt: number; endsAt: number | null }[]
  /** Issued cards that must be re-encoded (seed 001, scenario 4). */
  readonly cardsToReencode: readonly string[]
  readonly warnings: readonly GrantWarning[]
}

export function planTimeFrameChange(input: {
  readonly before: TimeWindow
  readonly after: TimeWindow
  readonly accessCodes: readonly AccessCodeState[]
  readonly cards: readonly CardMethodState[]
  readonly cardEntranceIds: readonly string[]
}): TimeFrameChangePlan {
  assertWindow(input.after)
  const changed = !sameWindow(input.before, input.after)
  const warnings = cardWarnings(input.cards, input.after, input.cardEntranceIds)
  return {
    changed,
    accessCodeUpdates: changed ? input.accessCodes.map((c) => ({ accessCodeId: c.accessCodeId, startsAt: input.after.startsAt, endsAt: input.after.endsAt })) : [],
    cardsToReencode: warnings.flatMap((w) => w.access_method_ids ?? []),
    warnings,
  }
}

function sameWindow(a: TimeWindow, b: TimeWindow): boolean {
  return a.startsAt === b.startsAt && a.endsAt === b.endsAt
}

/** Same members, whatever the order or repeats. */
export function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const sa = new Set(a)
  const sb = new Set(b)
  return sa.size === sb.size && [...sa].every((x) => sb.has(x))
}

function throwError(e: DomainError): never {
  throw e
}
