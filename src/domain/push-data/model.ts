// What the push and delete planners read (a snapshot of spaces, identities and grants) and what they
// answer (changes for the store to apply, one result per item), plus the helpers both planners share.
import type { DomainError } from '../errors.js'
import type { RequestedAccessMethod } from '../access-grant.js'
import type { ReservationMember, TimeWindow } from '../reservation.js'
import type { UserIdentityRecord } from '../user-identity.js'
import type { PushCollection } from './schema.js'

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

// ---------------------------------------------------------------- shared helpers

/** Mutable view of the snapshot while one push is planned: later items see earlier ones. */
export class PlanningView {
  readonly now: number
  readonly spaces: Map<string, SpaceSnapshot>
  readonly identities: Map<string, IdentitySnapshot>
  readonly grants: Map<string, GrantSnapshot>
  readonly rejectedHolders = new Map<string, DomainError>()
  readonly unkeyedIdentities: readonly IdentitySnapshot[]
  members: (ReservationMember & { readonly reservationKey: string })[]
  constructor(s: PushSnapshot) {
    this.now = s.now
    this.spaces = new Map(s.spaces.map((x) => [x.spaceKey, x]))
    this.identities = new Map(s.userIdentities.filter((u) => u.userIdentityKey).map((u) => [u.userIdentityKey!, u]))
    this.unkeyedIdentities = s.userIdentities.filter((u) => !u.userIdentityKey)
    this.grants = new Map(s.grants.map((g) => [g.accessGrantKey, g]))
    this.members = [...s.reservationMembers]
  }
}

export function intentOf(g: GrantSnapshot): GrantIntent {
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

export function sameIntent(g: GrantSnapshot, i: GrantIntent): boolean {
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

export function hasDoors(s: SpaceSnapshot): boolean {
  return s.deviceIds.length > 0 || s.entrances.length > 0
}

export function itemError(e: DomainError): ItemError {
  return { type: e.type, message: e.message, status: e.status }
}

export function uniqueSorted(xs: readonly string[]): string[] {
  return [...new Set(xs)].sort()
}

export function uniqueBy<T>(xs: readonly T[], k: (x: T) => string): T[] {
  const m = new Map<string, T>()
  for (const x of xs) if (!m.has(k(x))) m.set(k(x), x)
  return [...m.values()]
}
