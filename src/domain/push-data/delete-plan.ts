// The delete_data plan: grants, then holders (with their grants), then spaces (their grants go back to
// waiting as drafts), then whole customers. Pure: a snapshot in, changes and one result per key out.
import { releaseReservationGrants, type ReservationWarning } from '../reservation.js'
import { intentOf, uniqueSorted, type GrantSnapshot, type IdentitySnapshot, type PushChange, type PushSnapshot, type SpaceSnapshot } from './model.js'
import type { DeleteDataPayload, DeleteKeyList } from './schema.js'

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
