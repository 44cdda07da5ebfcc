// Which events a filter of /events/list names: the ids an event carries, and the ids a scope stands for
// (a space → its locks and entrances; a user identity → its grants, their methods and codes; a customer →
// its spaces, identities and grants). Each accepted filter filters (rule 11); filters combine with AND,
// the values of one filter with OR.
import type { Store } from '../store/store.js'

export type Body = Record<string, unknown>
export type EventMatch = (body: Body) => boolean

function carries(body: Body, field: string, ids: ReadonlySet<string>): boolean {
  const one = body[field]
  if (typeof one === 'string' && ids.has(one)) return true
  const many = body[`${field}s`]
  return Array.isArray(many) && many.some((x) => typeof x === 'string' && ids.has(x))
}

/** Events carrying one of `ids` in `field` (or in its plural array, e.g. access_grant_ids). */
export function byField(field: string, ids: readonly string[]): EventMatch {
  const set = new Set(ids)
  return (b) => carries(b, field, set)
}

/** A set of related ids per field; an event matches if it carries any of them. */
class Scope {
  readonly ids: Record<string, Set<string>> = {}
  add(field: string, ...values: (string | null | undefined)[]): void {
    const set = (this.ids[field] ??= new Set())
    for (const v of values) if (v) set.add(v)
  }
  match(): EventMatch {
    const entries = Object.entries(this.ids).filter(([, s]) => s.size > 0)
    return (b) => entries.some(([field, set]) => carries(b, field, set))
  }
}

function addGrants(store: Store, scope: Scope, grantIds: Iterable<string>): void {
  for (const id of grantIds) {
    scope.add('access_grant_id', id)
    for (const m of store.accessGrants.methodsOf(id)) {
      scope.add('access_method_id', m.accessMethodId)
      for (const c of m.accessCodes) scope.add('access_code_id', c.accessCodeId)
    }
  }
}

function addSpaces(store: Store, scope: Scope, spaceIds: Iterable<string>): void {
  for (const id of spaceIds) {
    const space = store.spaces.find(id)
    if (!space) continue
    scope.add('space_id', id)
    scope.add('device_id', ...space.deviceIds)
    scope.add('acs_entrance_id', ...space.acsEntranceIds)
  }
}

export function bySpaces(store: Store, spaceIds: readonly string[]): EventMatch {
  const scope = new Scope()
  addSpaces(store, scope, spaceIds)
  return scope.match()
}

export function byUserIdentity(store: Store, userIdentityId: string): EventMatch {
  const scope = new Scope()
  scope.add('user_identity_id', userIdentityId)
  addGrants(store, scope, store.accessGrants.list({ userIdentityId }).map((g) => g.accessGrantId))
  return scope.match()
}

export function byCustomer(store: Store, customerKey: string): EventMatch {
  const scope = new Scope()
  scope.add('customer_key', customerKey)
  addSpaces(store, scope, store.spaces.list({ customerKey }).map((s) => s.spaceId))
  const identities = store.userIdentities.list({ customerKey }).map((u) => u.userIdentityId)
  scope.add('user_identity_id', ...identities)
  const grants = new Set(store.accessGrants.list({ customerKey }).map((g) => g.accessGrantId))
  for (const u of identities) for (const g of store.accessGrants.list({ userIdentityId: u })) grants.add(g.accessGrantId)
  addGrants(store, scope, grants)
  return scope.match()
}

/** The site's one ACS system stands for its entrances and encoders. */
export function byAcsSystems(store: Store, systemIds: readonly string[]): EventMatch {
  const scope = new Scope()
  scope.add('acs_system_id', ...systemIds)
  const wanted = new Set(systemIds)
  for (const e of store.acs.entrances()) if (wanted.has(e.acsSystemId)) scope.add('acs_entrance_id', e.acsEntranceId)
  for (const e of store.acs.encoders()) if (wanted.has(e.acsSystemId)) scope.add('acs_encoder_id', e.acsEncoderId)
  return scope.match()
}
