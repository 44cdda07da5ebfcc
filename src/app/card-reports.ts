// What lockstep says about a card: an issued card as Seam's `acs_credential` (plus lockstep's own fields), and a
// scanned card compared with what lockstep issued. Pure reads of the store; the encoder attempts call them.
import { isoUtc } from '../kernel/clock.js'
import type { CardFields, Stamp } from '../protocols/lockstep-card/card.js'
import { reservationTag } from '../domain/card-image-plan.js'
import type { IssuedCard } from '../store/card-credentials.js'
import type { Store } from '../store/store.js'
import { cardEncodingJob } from './card-methods.js'

/** u32 seconds cannot say "never": an open-ended grant's card ends at the last second the format holds. */
export const OPEN_END_SEC = 0xffffffff

/** An issued card as Seam's `acs_credential` (plus lockstep's own fields, which Seam's schema strips). */
export function credentialWire(store: Store, card: IssuedCard): Record<string, unknown> {
  return {
    acs_credential_id: card.acsCredentialId,
    ...(card.userIdentityId ? { user_identity_id: card.userIdentityId } : {}),
    connected_account_id: store.acs.connectedAccountId,
    acs_system_id: store.acs.systemId,
    display_name: `${card.level === 'guest' ? 'Guest' : 'Staff'} card ${card.credentialNumber}`,
    code: null,
    card_number: String(card.credentialNumber),
    is_issued: true,
    issued_at: isoUtc(card.issuedAt),
    is_one_time_use: false,
    access_method: 'card',
    external_type_display_name: 'lockstep offline card',
    created_at: isoUtc(card.issuedAt),
    workspace_id: store.workspaceId,
    starts_at: isoUtc(card.startsAt),
    ...(card.endsAt !== null ? { ends_at: isoUtc(card.endsAt) } : {}),
    errors: [],
    warnings: [],
    is_managed: true,
    // Beyond Seam's schema:
    access_method_id: card.accessMethodId,
    acs_entrance_ids: card.acsEntranceIds,
    lockstep_metadata: {
      card_uid: card.cardUid,
      credential_number: card.credentialNumber,
      level: card.level,
      is_joiner: card.joiner,
      reservation_key: card.reservationKey,
      stamp: stampWire(card.stamp),
    },
  }
}


/** What a scanned card is, compared with what lockstep issued: Seam's scan result plus lockstep's card facts. */
export function scanReport(store: Store, kMac: Buffer, cardUid: string, f: CardFields): Record<string, unknown> {
  const now = store.ctx.clock.now()
  const issued = store.cardCredentials.byCredentialNumber(f.credentialId)
  const known = issued !== undefined && issued.cardUid === cardUid
  const method = known && issued.accessMethodId ? store.accessGrants.findMethod(issued.accessMethodId) : undefined
  const grant = method ? store.accessGrants.find(method.accessGrantId) : undefined
  const live = known && method !== undefined && grant !== undefined
  const endsAtMs = f.endsAt === OPEN_END_SEC ? null : f.endsAt * 1000
  const warnings: Record<string, unknown>[] = []
  if (!live) {
    warnings.push({ warning_code: 'acs_credential_on_seam_not_found', warning_message: known ? 'The access grant or method of this card was deleted.' : 'lockstep has no record of this card.' })
  } else {
    const job = cardEncodingJob(store, method.accessMethodId)
    const sameWindow = Math.floor(job.window.startsAt / 1000) === f.startsAt && (job.window.endsAt === null ? endsAtMs === null : Math.ceil(job.window.endsAt / 1000) === f.endsAt)
    const sameDoors = [...job.entranceIds].sort().join() === [...issued.acsEntranceIds].sort().join()
    if (!sameWindow || !sameDoors) {
      warnings.push({ warning_code: 'acs_credential_on_encoder_out_of_sync', warning_message: 'The card carries an old time frame or door set; re-encode it.' })
    }
  }
  const addressToEntrance = new Map(store.acs.entrances().map((e) => [e.seq, e]))
  const capable = f.entrances.filter((a) => addressToEntrance.get(a)?.canBelongToReservation)
  const newer = f.level === 'guest' ? store.cardCredentials.newerGuestCardsAt(capable, f.stamp) : []
  const overriddenAt = [...new Set(newer.flatMap((c) => c.entranceAddresses.filter((a) => capable.includes(a))))]
  const latestOnMethod = known && issued.accessMethodId ? store.cardCredentials.latestForMethod(issued.accessMethodId) : undefined
  return {
    acs_credential_on_encoder: {
      created_at: known ? isoUtc(issued.issuedAt) : null,
      is_issued: true,
      starts_at: isoUtc(f.startsAt * 1000),
      ends_at: endsAtMs === null ? null : isoUtc(endsAtMs),
      card_number: String(f.credentialId),
    },
    acs_credential_on_seam: live ? credentialWire(store, issued) : null,
    warnings,
    lockstep_card_metadata: {
      card_uid: cardUid,
      card_status: 'valid',
      credential_number: f.credentialId,
      acs_credential_id: known ? issued.acsCredentialId : null,
      level: f.level,
      type: f.type,
      is_joiner: f.flags.joiner,
      stamp: stampWire(f.stamp),
      reservation_key: known ? issued.reservationKey : null,
      reservation_tag_matches_key: known && issued.reservationKey !== null ? reservationTag(kMac, issued.reservationKey).equals(f.reservationTag) : null,
      starts_at: isoUtc(f.startsAt * 1000),
      ends_at: endsAtMs === null ? null : isoUtc(endsAtMs),
      entrance_addresses: f.entrances,
      acs_entrance_ids: f.entrances.map((a) => addressToEntrance.get(a)?.acsEntranceId ?? null),
      access_method_id: known ? issued.accessMethodId : null,
      access_grant_id: known ? issued.accessGrantId : null,
      user_identity_id: known ? issued.userIdentityId : null,
      /** A newer reservation was encoded for these doors: this card stops there at that card's first use. */
      is_overridden: overriddenAt.length > 0,
      overridden_at_acs_entrance_ids: overriddenAt.map((a) => addressToEntrance.get(a)?.acsEntranceId ?? null),
      is_expired: endsAtMs !== null && now >= endsAtMs,
      /** Its grant or access method was deleted (an offline lock still opens for it until overridden or expired). */
      is_cancelled: known && !live,
      /** The method was encoded again on another card since. */
      is_superseded: known && latestOnMethod !== undefined && latestOnMethod.acsCredentialId !== issued.acsCredentialId,
    },
  }
}


function stampWire(s: Stamp): Record<string, unknown> {
  return { time: isoUtc(s.time * 1000), seq: s.seq }
}
