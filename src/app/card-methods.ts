// Card access methods and the encoder: what to write on a method's card, and what follows once it is written.
import { DomainError, notFound } from '../domain/errors.js'
import type { TimeWindow } from '../domain/reservation.js'
import { windowOf, type AccessGrant, type AccessMethodView } from '../store/access-grants.js'
import type { Store } from '../store/store.js'
import { announceAllDoors, methodEvent } from './grant-provisioning.js'

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

/** What to write on the card of a card method (grant window, doors, reservation). */
export function cardEncodingJob(store: Store, accessMethodId: string): CardEncodingJob {
  const method = store.accessGrants.getMethod(accessMethodId)
  if (method.mode !== 'card') throw new DomainError('access_method_not_a_card', `Access method ${accessMethodId} is not a card (mode ${method.mode})`, 400)
  const grant = store.accessGrants.find(method.accessGrantId)
  if (!grant) throw notFound('access_grant', method.accessGrantId)
  const u = store.userIdentities.find(grant.userIdentityId)
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
 * The encoder wrote (and read back) a card, inside the caller's transaction: the method is issued with what
 * is on the plastic. The grant's `encoding_required` clears once the encoded window and doors match the grant.
 */
export function markCardEncoded(
  store: Store,
  accessMethodId: string,
  e: { cardUid: string; credentialId: string; window: TimeWindow; entranceIds: readonly string[]; at?: number },
): AccessMethodView {
  const repo = store.accessGrants
  const m = repo.getMethod(accessMethodId)
  if (m.mode !== 'card') throw new DomainError('access_method_not_a_card', `Access method ${accessMethodId} is not a card (mode ${m.mode})`, 400)
  repo.recordCardEncoded(accessMethodId, { ...e, at: e.at ?? store.ctx.clock.now() })
  const g = repo.find(m.accessGrantId)
  methodEvent(store, m.isIssued ? 'access_method.reissued' : 'access_method.issued', accessMethodId, g)
  // The card now opens these doors: the ones it did not open before are news for the grant.
  const before = new Set(m.isIssued ? (m.encoded?.entranceIds ?? []) : [])
  if (g) for (const id of e.entranceIds) if (!before.has(id)) store.events.append({ event_type: 'access_grant.access_granted_to_door', access_grant_id: g.accessGrantId, acs_entrance_id: id })
  if (g && !m.isIssued) announceAllDoors(store, g.accessGrantId)
  return repo.getMethod(accessMethodId)
}
