// Cards the encoder issued, as Seam's acs_credentials: their validity, their doors, and whether a newer
// guest card for one of their doors overrides them. A card on an offline lock cannot be revoked by the
// box, so deleting one that still opens a door is refused with what to do instead.
import { DomainError, notFound } from '../domain/errors.js'
import type { IssuedCard } from '../store/card-credentials.js'
import type { Store } from '../store/store.js'

export interface CardCredentialView {
  seq: number
  card: IssuedCard
  expired: boolean
  /** Newer guest cards issued for one of this guest card's reservation doors: each overrides it at first use there. */
  overriddenBy: string[]
  /** A later card was written for the same access method (a re-encode). */
  supersededBy: string | null
}

export interface CardCredentialFilter {
  acsSystemId?: string
  userIdentityId?: string
  createdBefore?: number
  search?: string
}

export class AcsCredentialsApp {
  constructor(private readonly store: Store) {}

  get acsSystemId(): string {
    return this.store.acs.systemId
  }

  get connectedAccountId(): string {
    return this.store.acs.connectedAccountId
  }

  list(f: CardCredentialFilter = {}): CardCredentialView[] {
    if (f.userIdentityId) this.store.userIdentities.get(f.userIdentityId)
    if (f.acsSystemId && f.acsSystemId !== this.store.acs.systemId) return []
    const q = f.search?.toLowerCase()
    return this.store.cardCredentials.listLive()
      .filter((c) =>
        (!f.userIdentityId || c.userIdentityId === f.userIdentityId) &&
        (f.createdBefore === undefined || c.issuedAt < f.createdBefore) &&
        (!q || String(c.credentialNumber) === q || c.cardUid.toLowerCase() === q || c.acsCredentialId === q || (c.reservationKey ?? '').toLowerCase().includes(q)))
      .map((c) => this.view(c))
  }

  get(acsCredentialId: string): CardCredentialView {
    const c = this.store.cardCredentials.byCredentialId(acsCredentialId)
    if (!c || c.deletedAt) throw notFound('acs_credential', acsCredentialId)
    return this.view(c)
  }

  /** Forgets a card that opens nothing any more (expired or overridden); a repeated delete is fine. */
  delete(acsCredentialId: string): void {
    const store = this.store
    store.tx(() => {
      const c = store.cardCredentials.byCredentialId(acsCredentialId)
      if (!c) throw notFound('acs_credential', acsCredentialId)
      if (c.deletedAt) return
      const v = this.view(c)
      if (!v.expired && v.overriddenBy.length === 0) {
        throw new DomainError(
          'cannot_revoke_offline_card',
          'This card still opens its doors: offline card locks cannot be told to refuse it. It stops working at its ends_at, or when a newer guest card for its room is used there (encode one, e.g. for the next reservation); delete it then.',
          409,
          { acs_credential_id: acsCredentialId },
        )
      }
      store.cardCredentials.markDeleted(acsCredentialId)
      store.events.append({ event_type: 'acs_credential.deleted', acs_credential_id: acsCredentialId, acs_system_id: store.acs.systemId, connected_account_id: store.acs.connectedAccountId })
    })
  }

  private view(card: IssuedCard): CardCredentialView {
    const store = this.store
    const now = store.ctx.clock.now()
    let overriddenBy: string[] = []
    if (card.level === 'guest') {
      // Only the reservation-capable doors follow the override rule.
      const capable = new Set(store.acs.entrances().filter((e) => e.canBelongToReservation).map((e) => e.seq))
      const mine = card.entranceAddresses.filter((a) => capable.has(a))
      overriddenBy = store.cardCredentials.newerGuestCardsAt(mine, card.stamp)
        .filter((n) => n.acsCredentialId !== card.acsCredentialId && n.entranceAddresses.some((a) => mine.includes(a)))
        .map((n) => n.acsCredentialId)
    }
    const latest = card.accessMethodId ? store.cardCredentials.latestForMethod(card.accessMethodId) : undefined
    return {
      seq: card.seq,
      card,
      expired: card.endsAt !== null && card.endsAt <= now,
      overriddenBy,
      supersededBy: latest && latest.acsCredentialId !== card.acsCredentialId ? latest.acsCredentialId : null,
    }
  }
}
