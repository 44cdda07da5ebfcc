// events/list filters that name a scope rather than a field of the event: a space, a customer, a user
// identity, an ACS system, a connected account. Each becomes the set of resource ids inside that scope; an
// event is in scope when one of the ids it carries is in the set (a lock event on a door of the space, an
// access-code event of the person's grant…). Reads only; the ids come from the use cases.
import type { UseCases } from '../../app/index.js'

/** The id fields an event may carry (single ids or arrays of ids). */
const ID_FIELDS = [
  'device_id', 'access_code_id', 'access_grant_id', 'access_grant_ids', 'access_method_id', 'access_method_ids', 'acs_entrance_id',
  'acs_entrance_ids', 'acs_encoder_id', 'acs_system_id', 'acs_credential_id', 'space_id', 'space_ids', 'user_identity_id', 'connected_account_id',
] as const

export function eventIds(body: Record<string, unknown>): string[] {
  return ID_FIELDS.flatMap((f) => {
    const v = body[f]
    return typeof v === 'string' ? [v] : Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []
  })
}

export function inScope(body: Record<string, unknown>, scope: ReadonlySet<string>): boolean {
  return eventIds(body).some((id) => scope.has(id))
}

export interface ScopeFilters {
  spaceIds?: string[]
  userIdentityId?: string
  customerKey?: string
  acsSystemIds?: string[]
  connectedAccountId?: string
}

/** One id set per scope filter given (an event must be in every one). */
export function eventScopes(uc: UseCases, f: ScopeFilters): Set<string>[] {
  const scopes: Set<string>[] = []
  const grantsWithMethods = (grantIds: string[]) => grantIds.flatMap((id) => [
    id,
    ...uc.accessGrants.methodsOf(id).flatMap((m) => [m.accessMethodId, ...m.accessCodes.map((c) => c.accessCodeId), ...(m.acsCredentialId ? [m.acsCredentialId] : [])]),
  ])
  const spaceContents = (spaces: { spaceId: string; deviceIds: string[]; acsEntranceIds: string[] }[]) => spaces.flatMap((s) => [
    s.spaceId, ...s.deviceIds, ...s.acsEntranceIds,
    ...grantsWithMethods(uc.accessGrants.list({ spaceId: s.spaceId }).map((g) => g.accessGrantId)),
  ])
  if (f.spaceIds?.length) {
    const spaces = uc.spaces.list({}).filter((s) => f.spaceIds!.includes(s.spaceId))
    scopes.push(new Set([...f.spaceIds, ...spaceContents(spaces)]))
  }
  if (f.userIdentityId) {
    scopes.push(new Set([f.userIdentityId, ...grantsWithMethods(uc.accessGrants.list({ userIdentityId: f.userIdentityId }).map((g) => g.accessGrantId))]))
  }
  if (f.customerKey) {
    scopes.push(new Set([
      ...spaceContents(uc.spaces.list({ customerKey: f.customerKey })),
      ...grantsWithMethods(uc.accessGrants.list({ customerKey: f.customerKey }).map((g) => g.accessGrantId)),
      ...uc.userIdentities.list({ customerKey: f.customerKey }).map((u) => u.userIdentityId),
    ]))
  }
  if (f.acsSystemIds?.length) {
    const systems = new Set(f.acsSystemIds)
    scopes.push(new Set([
      ...systems,
      ...uc.acs.entrances().filter((e) => systems.has(e.acsSystemId)).map((e) => e.acsEntranceId),
      ...uc.acs.encoders().filter((e) => systems.has(e.acsSystemId)).map((e) => e.acsEncoderId),
    ]))
  }
  if (f.connectedAccountId) {
    const id = f.connectedAccountId
    const acs = id === uc.acs.connectedAccountId
      ? [...uc.acs.systems().map((s) => s.acsSystemId), ...uc.acs.entrances().map((e) => e.acsEntranceId), ...uc.acs.encoders().map((e) => e.acsEncoderId)]
      : []
    scopes.push(new Set([id, ...uc.devices.list().filter((d) => d.connectedAccountId === id).map((d) => d.deviceId), ...acs]))
  }
  return scopes
}
