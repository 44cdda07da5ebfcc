// What follows from a change, by name. A reaction to the app's own change is called by that use case in its
// transaction; one to a change made elsewhere (the reconciler's) is registered here, in registerReactions.
import type { Store } from '../store/store.js'
import { issueCodeMethods, reprovisionSpace, revokeCodeMethods } from './grant-provisioning.js'
import { activateDrafts } from './push-data.js'

/**
 * A code method is issued once all its codes are on their locks. Heard after the commit of the reconciler's
 * `access_code.set_on_device`, in a transaction of its own.
 */
export function issueCodeMethodsWhenCodeSet(store: Store): () => void {
  return store.events.subscribe((e) => {
    if (e.event_type === 'access_code.set_on_device' && typeof e.access_code_id === 'string') {
      const id = e.access_code_id
      store.tx(() => issueCodeMethods(store, id))
    }
  })
}

/**
 * A code method is revoked once all its codes are off their locks. Heard after the commit of the reconciler's
 * `access_code.removed_from_device`, in a transaction of its own.
 */
export function revokeCodeMethodsWhenCodeRemoved(store: Store): () => void {
  return store.events.subscribe((e) => {
    if (e.event_type === 'access_code.removed_from_device' && typeof e.access_code_id === 'string') {
      const id = e.access_code_id
      store.tx(() => revokeCodeMethods(store, id))
    }
  })
}

/**
 * A space's doors changed: grants on it follow, and push_data drafts waiting on its key become grants. Called
 * by the use cases that change doors (spaces.ts), inside their transaction.
 */
export function followSpaceDoors(store: Store, spaceId: string): void {
  reprovisionSpace(store, spaceId)
  const key = store.spaces.find(spaceId)?.spaceKey
  if (key) activateDrafts(store, key)
}

const wired = new WeakSet<Store>()

/** Registers every reaction once per store; returns what removes them. */
export function registerReactions(store: Store): () => void {
  if (wired.has(store)) return () => undefined
  wired.add(store)
  const off = [issueCodeMethodsWhenCodeSet(store), revokeCodeMethodsWhenCodeRemoved(store)]
  return () => {
    for (const f of off) f()
    wired.delete(store)
  }
}
