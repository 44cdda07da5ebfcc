// Reservation rules (seed 001, "Reservation Access Grants"). Pure: the caller passes the live grants that
// share a reservation_key and the new grant's resolved entrances; we answer with a role or a DomainError.
//
// Model, as we apply it:
// - Only entrances with `canBelongToReservation` take part. Online locks (devices) and common doors are
//   provisioned as standard access and never count in the checks below.
// - The first grant of a key fixes the reservation door set (its capable entrances). The set stays fixed as
//   long as one grant of the key is alive; deleting every grant frees the key (room move / relocation).
//   Every grant records the set it joined (`reservationEntranceIds`), so the store can rebuild it from grants.
// - Updates are checked like joiners against that fixed set, the updated grant itself excluded — this holds
//   for the establishing grant too: it cannot move or widen the set in place, even when it is the only grant
//   of the key (the seed's answer to a door change is "delete, then re-issue"). It may narrow its own doors;
//   the reservation keeps its set, so the other guests' cards are not affected.
// - Two different keys on the same room at once are legal (back-to-back stays): the newer one overrides on
//   first use at the lock. Nothing here compares different keys.
// - Staff grants carry no key: they neither override nor are overridden, so no rule applies to them; the
//   guest-card requirement only concerns guests and residents.
import { DomainError } from './errors.js'

export type ReservationKey = string

/** A validity window in epoch milliseconds; `endsAt: null` means open-ended. Half-open: [startsAt, endsAt). */
export interface TimeWindow {
  readonly startsAt: number
  readonly endsAt: number | null
}

/** An entrance a grant targets, resolved from spaces / acs_entrance_ids. */
export interface TargetEntrance {
  readonly entranceId: string
  readonly canBelongToReservation: boolean
}

/** A live grant that belongs to a reservation. */
export interface ReservationMember {
  readonly accessGrantId: string
  /** The grant's own reservation-capable entrances (a subset of the reservation door set). */
  readonly capableEntranceIds: readonly string[]
  /** The reservation door set recorded when the grant was created (equal across the live members). */
  readonly reservationEntranceIds: readonly string[]
  readonly window: TimeWindow
}

export interface ReservationSiteConfig {
  /** Visionline-style providers refuse guest cards without a reservation_key. */
  readonly reservationKeyRequiredForGuestCards: boolean
}

export interface ReservationCheckInput {
  readonly reservationKey: ReservationKey | null
  /** Set when an existing grant is updated: it is left out of the reservation it is checked against. */
  readonly accessGrantId?: string
  readonly entrances: readonly TargetEntrance[]
  readonly window: TimeWindow
  /** The live grants sharing `reservationKey` (may include the grant being updated; it is skipped). */
  readonly members: readonly ReservationMember[]
  /** Whether the grant asks for a card method (the guest-card requirement only concerns cards). */
  readonly requestsCard: boolean
  /** Staff credentials are outside the reservation model; default false (a guest or resident). */
  readonly isStaff?: boolean
  readonly config: ReservationSiteConfig
}

/**
 * - `standard`: no reservation_key; every entrance is provisioned as standard access.
 * - `establishes`: first live grant of the key; its capable set becomes the reservation door set.
 * - `same_set`: joins with exactly the reservation door set.
 * - `joiner`: joins with a strict subset of it.
 */
export type ReservationRole = 'standard' | 'establishes' | 'same_set' | 'joiner'

export interface ReservationDecision {
  readonly role: ReservationRole
  /** The grant's capable entrances (empty for `standard`). Sorted. */
  readonly capableEntranceIds: readonly string[]
  /** Entrances that ignore the key (provisioned as standard access). Sorted. */
  readonly standardEntranceIds: readonly string[]
  /** The reservation door set the grant must record (empty for `standard`). Sorted. */
  readonly reservationEntranceIds: readonly string[]
}

export type ReservationCheck = { ok: true; decision: ReservationDecision } | { ok: false; error: DomainError }

// Stable error types. Titles and sentences are the seed's wording: a contract with Seam's clients.
export const RESERVATION_ERRORS = {
  reservation_key_not_supported: {
    status: 400,
    title: 'reservation_key not supported.',
    sentence:
      'No targeted entrances support reservation behavior. Remove reservation_key or include at least one reservation-capable entrance.',
  },
  reservation_key_required_for_guest_cards: {
    status: 400,
    title: 'reservation_key required for guest cards.',
    sentence: 'Add a reservation_key when issuing guest credentials for these entrances.',
  },
  reservation_entrance_change_requires_cleanup: {
    status: 409,
    title: 'Reservation entrance change requires cleanup.',
    sentence: 'To change the doors for this reservation, delete the existing access grants first.',
  },
  reservation_joiner_entrance_set_conflict: {
    status: 409,
    title: 'Reservation joiner entrance set conflict.',
    sentence: 'Joiner access grants must use the same or a subset of the reservation-capable doors.',
  },
  reservation_time_frames_must_overlap: {
    status: 409,
    title: 'Reservation time frames must overlap.',
    sentence: 'Access grants in the same reservation must have overlapping time frames.',
  },
} as const

export type ReservationErrorType = keyof typeof RESERVATION_ERRORS

export function reservationError(type: ReservationErrorType, data: Record<string, unknown> = {}): DomainError {
  const { status, title, sentence } = RESERVATION_ERRORS[type]
  return new DomainError(type, `${title} ${sentence}`, status, { title, ...data })
}

/** Half-open overlap; an open end reaches forever. Touching windows (checkout 11:00, next start 11:00) do not overlap. */
export function windowsOverlap(a: TimeWindow, b: TimeWindow): boolean {
  const aEndsAfterBStarts = a.endsAt === null || a.endsAt > b.startsAt
  const bEndsAfterAStarts = b.endsAt === null || b.endsAt > a.startsAt
  return aEndsAfterBStarts && bEndsAfterAStarts
}

/** The reservation door set of the live members (union of what they recorded; equal sets when consistent). */
export function reservationDoorSet(members: readonly ReservationMember[]): string[] {
  const set = new Set<string>()
  for (const m of members) for (const id of m.reservationEntranceIds) set.add(id)
  return [...set].sort()
}

export function checkReservation(input: ReservationCheckInput): ReservationCheck {
  const capable = uniqueSorted(input.entrances.filter((e) => e.canBelongToReservation).map((e) => e.entranceId))
  const standard = uniqueSorted(input.entrances.filter((e) => !e.canBelongToReservation).map((e) => e.entranceId)).filter(
    (id) => !capable.includes(id),
  )
  const key = input.reservationKey

  if (key === null || key === undefined) {
    if (input.config.reservationKeyRequiredForGuestCards && input.requestsCard && !input.isStaff && capable.length > 0) {
      return fail('reservation_key_required_for_guest_cards', { reservation_capable_entrance_ids: capable })
    }
    return ok({ role: 'standard', capableEntranceIds: [], standardEntranceIds: uniqueSorted([...capable, ...standard]), reservationEntranceIds: [] })
  }

  // Rule 1.
  if (capable.length === 0) return fail('reservation_key_not_supported', { reservation_key: key })

  const others = input.members.filter((m) => m.accessGrantId !== input.accessGrantId)
  const isUpdate = input.accessGrantId !== undefined && input.members.some((m) => m.accessGrantId === input.accessGrantId)
  // An updated grant keeps the set it recorded even when it is the only member (see header).
  const fixedFrom = isUpdate ? input.members : others
  if (fixedFrom.length === 0) {
    return ok({ role: 'establishes', capableEntranceIds: capable, standardEntranceIds: standard, reservationEntranceIds: capable })
  }
  const established = reservationDoorSet(fixedFrom)

  // Rules 2 and 3: capable set must be the established set or a subset of it.
  const outside = capable.filter((id) => !established.includes(id))
  if (outside.length > 0) {
    const coversAll = established.every((id) => capable.includes(id))
    const data = { reservation_key: key, reservation_entrance_ids: established, conflicting_entrance_ids: outside }
    return fail(coversAll ? 'reservation_joiner_entrance_set_conflict' : 'reservation_entrance_change_requires_cleanup', data)
  }

  // Rule 4: pairwise overlap with every other live grant (pairwise overlap of intervals ⇒ a common instant).
  const disjoint = others.filter((m) => !windowsOverlap(m.window, input.window)).map((m) => m.accessGrantId)
  if (disjoint.length > 0) {
    return fail('reservation_time_frames_must_overlap', { reservation_key: key, non_overlapping_access_grant_ids: disjoint })
  }

  const role: ReservationRole = capable.length === established.length ? 'same_set' : 'joiner'
  return ok({ role, capableEntranceIds: capable, standardEntranceIds: standard, reservationEntranceIds: established })
}

/** Throwing form for the API layer. */
export function assertReservation(input: ReservationCheckInput): ReservationDecision {
  const r = checkReservation(input)
  if (!r.ok) throw r.error
  return r.decision
}

export interface ReservationReleaseInput {
  readonly reservationKey: ReservationKey
  readonly members: readonly ReservationMember[]
  /** The grants being deleted. */
  readonly deletedAccessGrantIds: readonly string[]
  /** Cards of the deleted grants that were encoded and handed out (offline locks cannot be told to forget them). */
  readonly issuedCardAccessMethodIds: readonly string[]
}

export interface ReservationWarning {
  readonly warning_code: 'issued_cards_not_revoked'
  readonly message: string
  readonly access_method_ids: readonly string[]
}

export interface ReservationRelease {
  /** True when no grant of the key is left: the next grant with this key establishes a new door set. */
  readonly freed: boolean
  readonly remainingAccessGrantIds: readonly string[]
  readonly warnings: readonly ReservationWarning[]
}

/**
 * Deleting grants of a reservation. Offline locks keep honouring issued cards until a newer reservation's
 * card is used at the door (or a cancel card), so the caller must surface a warning when cards are out.
 */
export function releaseReservationGrants(input: ReservationReleaseInput): ReservationRelease {
  const deleted = new Set(input.deletedAccessGrantIds)
  const remaining = input.members.filter((m) => !deleted.has(m.accessGrantId)).map((m) => m.accessGrantId)
  const cards = uniqueSorted(input.issuedCardAccessMethodIds)
  const warnings: ReservationWarning[] =
    cards.length === 0
      ? []
      : [
          {
            warning_code: 'issued_cards_not_revoked',
            message:
              'Issued cards still open their doors until a newer reservation card is used at the lock. Collect the cards or issue a cancel card.',
            access_method_ids: cards,
          },
        ]
  return { freed: remaining.length === 0, remainingAccessGrantIds: remaining, warnings }
}

function ok(decision: ReservationDecision): ReservationCheck {
  return { ok: true, decision }
}

function fail(type: ReservationErrorType, data: Record<string, unknown>): ReservationCheck {
  return { ok: false, error: reservationError(type, data) }
}

function uniqueSorted(ids: readonly string[]): string[] {
  return [...new Set(ids)].sort()
}
