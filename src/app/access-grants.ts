// Access grants and their access methods: create (with an inline user identity), update, delete; method reads
// and deletes. The pure domain (src/domain/access-grant.ts, reservation.ts) plans; the repository stores.
import { invalidInput } from '../domain/errors.js'
import type { RequestedAccessMethod, ResolvedTargets, GrantTargets } from '../domain/access-grant.js'
import type { ReservationWarning } from '../domain/reservation.js'
import type { AccessGrant, AccessMethodView, GrantFilter, MethodFilter } from '../store/access-grants.js'
import type { Store } from '../store/store.js'
import type { UserIdentityInput } from '../store/user-identities.js'
import { createGrant, deleteGrants, deleteMethods, updateGrant } from './grant-provisioning.js'

export interface GrantPolicy {
  reservationKeyRequiredForGuestCards: boolean
  /** For the inline user identity of a grant. */
  allowSharedEmails: boolean
}

export interface CreateGrantRequest {
  /** Exactly one of userIdentityId and userIdentity (found by key, else created). */
  userIdentityId?: string
  userIdentity?: UserIdentityInput
  requested: RequestedAccessMethod[]
  targets: GrantTargets
  startsAt?: number
  endsAt: number | null
  name: string | null
  accessGrantKey: string | null
  reservationKey: string | null
  /** Grants this one replaces (a room move, a new check-in): deleted in the same transaction, before it is made. */
  replacing?: string[]
}

export class AccessGrantsApp {
  constructor(
    private readonly store: Store,
    private readonly policy: GrantPolicy,
  ) {}

  create(r: CreateGrantRequest): AccessGrant {
    const store = this.store
    return store.tx(() => {
      if (r.replacing?.length) deleteGrants(store, r.replacing)
      const userIdentityId = r.userIdentity ? this.findOrCreateIdentity(r.userIdentity) : r.userIdentityId!
      const now = store.ctx.clock.now()
      return createGrant(store, {
        userIdentityId,
        requested: r.requested,
        targets: r.targets,
        window: { startsAt: r.startsAt ?? now, endsAt: r.endsAt },
        name: r.name,
        accessGrantKey: r.accessGrantKey,
        reservationKey: r.reservationKey,
        reservationKeyRequiredForGuestCards: this.policy.reservationKeyRequiredForGuestCards,
      })
    })
  }

  /** starts_at / ends_at / name of the grant with this id or key. */
  update(ref: { id?: string; key?: string }, input: { startsAt?: number; endsAt?: number | null; name?: string | null }): AccessGrant {
    const store = this.store
    return store.tx(() => {
      const current = store.accessGrants.getByIdOrKey(ref)
      if (input.startsAt === undefined && input.endsAt === undefined && input.name === undefined) throw invalidInput('nothing to update: give starts_at, ends_at or name')
      return updateGrant(store, current.accessGrantId, input)
    })
  }

  /** The identity with this key, else a new one. */
  private findOrCreateIdentity(input: UserIdentityInput): string {
    const identities = this.store.userIdentities
    const known = input.userIdentityKey ? identities.findByKey(input.userIdentityKey) : undefined
    return (known ?? identities.create(input, { allowSharedEmails: this.policy.allowSharedEmails })).userIdentityId
  }

  delete(accessGrantId: string): ReservationWarning[] {
    return this.store.tx(() => deleteGrants(this.store, [accessGrantId]))
  }

  /** Several grants in one transaction (a FIAS check-in ends the room's earlier reservations at once). */
  deleteMany(accessGrantIds: string[]): ReservationWarning[] {
    if (accessGrantIds.length === 0) return []
    return this.store.tx(() => deleteGrants(this.store, accessGrantIds))
  }

  /** Deletes one method, or every method of a grant or of a reservation. */
  deleteMethods(ref: { accessMethodId?: string; accessGrantId?: string; reservationKey?: string }): ReservationWarning[] {
    const grants = this.store.accessGrants
    return this.store.tx(() => {
      const ids = ref.accessMethodId
        ? [ref.accessMethodId]
        : grants.methodIdsOf(ref.accessGrantId ? { accessGrantId: ref.accessGrantId } : { reservationKey: ref.reservationKey! })
      return deleteMethods(this.store, ids)
    })
  }

  // ------------------------------------------------------------------ reads

  get(ref: { id?: string | null; key?: string | null }): AccessGrant {
    return this.store.accessGrants.getByIdOrKey(ref)
  }

  list(f: GrantFilter): AccessGrant[] {
    return this.store.accessGrants.list(f)
  }

  methodsOf(accessGrantId: string): AccessMethodView[] {
    return this.store.accessGrants.methodsOf(accessGrantId)
  }

  /** The grant's doors now. */
  resolve(g: AccessGrant): ResolvedTargets {
    return this.store.accessGrants.resolve(g)
  }

  /** Issued cards of the grant whose encoded window or doors lag behind it (they need re-encoding). */
  staleCardMethodIds(g: AccessGrant, methods?: AccessMethodView[]): string[] {
    return this.store.accessGrants.staleCardMethodIds(g, methods)
  }

  getMethod(accessMethodId: string): AccessMethodView {
    return this.store.accessGrants.getMethod(accessMethodId)
  }

  listMethods(f: MethodFilter): AccessMethodView[] {
    return this.store.accessGrants.listMethods(f)
  }

  /** Whether live grants target a space (it cannot be deleted then). */
  spaceInUse(spaceId: string): boolean {
    return this.store.accessGrants.spaceInUse(spaceId)
  }

  now(): number {
    return this.store.ctx.clock.now()
  }
}
