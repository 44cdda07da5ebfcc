// User identities: the people grants belong to. Deleting one deletes their grants.
import type { ReservationWarning } from '../domain/reservation.js'
import type { Store } from '../store/store.js'
import type { UserIdentity, UserIdentityInput } from '../store/user-identities.js'
import { deleteGrants } from './grant-provisioning.js'

export interface IdentityPolicy {
  allowSharedEmails: boolean
}

export class UserIdentitiesApp {
  constructor(private readonly store: Store, private readonly policy: IdentityPolicy) {}

  create(input: UserIdentityInput): UserIdentity {
    return this.store.tx(() => this.store.userIdentities.create(input, this.policy))
  }

  update(userIdentityId: string, input: UserIdentityInput): UserIdentity {
    return this.store.tx(() => this.store.userIdentities.update(userIdentityId, input, this.policy))
  }

  /**
   * Deleting a person deletes their grants (codes removed, cards reported). An unknown id is a repeated
   * delete whose answer was lost: ok.
   */
  delete(userIdentityId: string): ReservationWarning[] {
    const store = this.store
    return store.tx(() => {
      if (!store.userIdentities.find(userIdentityId)) return []
      const grants = store.accessGrants.all({ includeDrafts: true }).filter((g) => g.userIdentityId === userIdentityId).map((g) => g.accessGrantId)
      const w = grants.length ? deleteGrants(store, grants) : []
      store.userIdentities.remove(userIdentityId)
      return w
    })
  }

  get(ref: { id?: string | null; key?: string | null }): UserIdentity {
    return this.store.userIdentities.getByIdOrKey(ref)
  }

  list(f: Parameters<Store['userIdentities']['list']>[0]): UserIdentity[] {
    return this.store.userIdentities.list(f)
  }
}
