// What a client session token may do, decided in one place for every route. Each Seam route is `read`,
// `write` or `forbidden` for a client session; a route missing here is forbidden (deny by default) and
// test/integration/client-session-scope.test.ts fails until it is classified. For an allowed route:
//   - before the handler, every id parameter (device_id, access_code_id, …) must name something in scope,
//     else `<resource>_not_found` exactly as for an unknown id (404; 400 for user identities, as elsewhere) (on write routes, id lists too);
//   - after it, every resource in the answer is checked by its response key: a list keeps what is in scope,
//     a single resource out of scope becomes the same 404. An answer key with no rule fails closed (403).
import { eventVisible, type ClientScope } from '../domain/client-session.js'
import { DomainError, notFound } from '../domain/errors.js'
import { userIdentityNotFound } from '../domain/user-identity.js'

export type ClientSessionAccess = 'read' | 'write' | 'forbidden'

const read: ClientSessionAccess = 'read'
const write: ClientSessionAccess = 'write'
const forbidden: ClientSessionAccess = 'forbidden'

export const CLIENT_SESSION_ROUTES: Readonly<Record<string, ClientSessionAccess>> = {
  '/devices/list': read, '/devices/get': read, '/locks/list': read, '/locks/get': read,
  '/devices/update': write, '/locks/lock_door': write, '/locks/unlock_door': write,
  '/access_codes/list': read, '/access_codes/get': read, '/access_codes/generate_code': read,
  '/access_codes/create': write, '/access_codes/create_multiple': write, '/access_codes/update': write, '/access_codes/delete': write,
  '/access_codes/unmanaged/list': read, '/access_codes/unmanaged/get': read,
  '/access_codes/unmanaged/convert_to_managed': write, '/access_codes/unmanaged/delete': write,
  '/events/list': read, '/events/get': read, '/action_attempts/get': read, '/action_attempts/list': read,
  '/acs/systems/list': read, '/acs/systems/get': read, '/acs/entrances/list': read, '/acs/entrances/get': read,
  '/spaces/list': read, '/spaces/get': read,
  '/user_identities/list': read, '/user_identities/get': read,
  '/access_grants/list': read, '/access_grants/get': read, '/access_methods/list': read, '/access_methods/get': read,
  // The driver behind a session's own doors (Seam's device details show it); the workspace is the operator's.
  '/connected_accounts/list': read, '/connected_accounts/get': read, '/workspaces/get': forbidden,
  '/user_identities/list_accessible_devices': read, '/user_identities/list_accessible_entrances': read,
  '/access_codes/unmanaged/update': write,
  // A session reads itself (client_sessions/get without parameters); managing sessions takes an API key.
  '/client_sessions/get': read,
  '/client_sessions/create': forbidden, '/client_sessions/get_or_create': forbidden, '/client_sessions/list': forbidden,
  '/client_sessions/grant_access': forbidden, '/client_sessions/revoke': forbidden, '/client_sessions/delete': forbidden,
  // Who gets access, to which doors, is the backend's decision: grants, identities, spaces, customers.
  '/access_grants/create': forbidden, '/access_grants/update': forbidden, '/access_grants/delete': forbidden,
  '/access_methods/delete': forbidden, '/access_methods/encode': forbidden,
  '/user_identities/create': forbidden, '/user_identities/update': forbidden, '/user_identities/delete': forbidden,
  '/spaces/create': forbidden, '/spaces/update': forbidden, '/spaces/delete': forbidden,
  '/spaces/add_devices': forbidden, '/spaces/remove_devices': forbidden, '/spaces/add_acs_entrances': forbidden, '/spaces/remove_acs_entrances': forbidden,
  '/customers/push_data': forbidden, '/customers/delete_data': forbidden, '/customers/automation_runs/list': forbidden,
  // The card encoder stands at the front desk.
  '/acs/encoders/list': forbidden, '/acs/encoders/get': forbidden, '/acs/encoders/encode_credential': forbidden, '/acs/encoders/scan_credential': forbidden,
  // Issued cards are the front desk's records (a card may hold other guests' doors as joiner or override).
  '/acs/credentials/list': forbidden, '/acs/credentials/get': forbidden, '/acs/credentials/delete': forbidden,
  '/user_identities/grant_access_to_device': forbidden, '/user_identities/revoke_access_to_device': forbidden,
  '/access_grants/request_access_methods': forbidden,
  // Batches across spaces and grants: a portal reads its own through list/get.
  '/spaces/get_related': forbidden, '/access_grants/get_related': forbidden,
  // The backup pool and a lock's code rules are the operator's; a common code key spans other guests' codes.
  '/access_codes/pull_backup_access_code': forbidden, '/access_codes/report_device_constraints': forbidden,
  '/access_codes/update_multiple': forbidden,
  // Webhooks deliver every event of the site to the operator's backend.
  '/webhooks/create': forbidden, '/webhooks/get': forbidden, '/webhooks/list': forbidden, '/webhooks/update': forbidden, '/webhooks/delete': forbidden,
  '/lockstep/webhooks/attempts/list': forbidden, '/lockstep/webhooks/resend': forbidden,
  // Radio budgets are the operator's diagnostics.
  '/lockstep/devices/radio': forbidden,
}

/** The lab drives the simulated property: never for a client session. */
const FORBIDDEN_PREFIXES = ['/lab/']


/** The decision for a route; undefined when nobody decided (then the route is forbidden to sessions). */
export function clientSessionAccess(path: string): ClientSessionAccess | undefined {
  if (FORBIDDEN_PREFIXES.some((p) => path.startsWith(p))) return forbidden
  return CLIENT_SESSION_ROUTES[path]
}

export function forbiddenForClientSession(path: string): DomainError {
  return new DomainError('forbidden', `A client session token cannot call ${path}; use an API key from your backend`, 403)
}

type Check = (scope: ClientScope, id: string) => boolean

/** The error an unknown id of this resource gets anywhere else (user identities answer 400, as Seam's fake does). */
function missing(resource: string, id?: string): DomainError {
  return resource === 'user_identity' ? userIdentityNotFound(id ?? '') : notFound(resource, id)
}

/** Id parameters and the resource each names. */
const PARAMETERS: Record<string, [resource: string, check: Check]> = {
  device_id: ['device', (s, id) => s.device(id)],
  access_code_id: ['access_code', (s, id) => s.accessCode(id)],
  acs_entrance_id: ['acs_entrance', (s, id) => s.acsEntrance(id)],
  acs_system_id: ['acs_system', (s, id) => s.acsSystem(id)],
  space_id: ['space', (s, id) => s.space(id)],
  user_identity_id: ['user_identity', (s, id) => s.userIdentity(id)],
  access_grant_id: ['access_grant', (s, id) => s.accessGrant(id)],
  access_method_id: ['access_method', (s, id) => s.accessMethod(id)],
  connected_account_id: ['connected_account', (s, id) => s.connectedAccount(id)],
  action_attempt_id: ['action_attempt', (s, id) => s.actionAttempt(id)],
  event_id: ['event', (s, id) => s.event(id)],
  client_session_id: ['client_session', (s, id) => s.clientSession(id)],
  acs_encoder_id: ['acs_encoder', () => false],
  acs_credential_id: ['acs_credential', () => false],
}

/** Parameter names the guard understands (singular and plural); the route test checks write routes use only these. */
export const GUARDED_PARAMETERS: readonly string[] = Object.keys(PARAMETERS).flatMap((k) => [k, k + 's'])

/** Checks a request's id parameters against the scope before the handler runs. */
export function guardParams(access: ClientSessionAccess, params: unknown, scope: ClientScope): void {
  if (params === null || typeof params !== 'object') return
  for (const [key, value] of Object.entries(params as Record<string, unknown>)) {
    const single = PARAMETERS[key]
    if (single && typeof value === 'string' && !single[1](scope, value)) throw missing(single[0], value)
    // On read routes an id list is a filter: what is out of scope drops out of the answer like an unknown id.
    const plural = key.endsWith('s') ? PARAMETERS[key.slice(0, -1)] : undefined
    if (plural && access === 'write' && Array.isArray(value)) {
      for (const id of value) if (typeof id === 'string' && !plural[1](scope, id)) throw missing(plural[0], id)
    }
  }
}

type Item = Record<string, unknown>
const id = (field: string, check: Check) => (scope: ClientScope, item: Item) => typeof item[field] === 'string' && check(scope, item[field] as string)

/** Response keys and how to tell whether one resource is in scope. */
const RESOURCES: Record<string, [resource: string, visible: (scope: ClientScope, item: Item) => boolean]> = {
  device: ['device', id('device_id', (s, x) => s.device(x))],
  lock: ['device', id('device_id', (s, x) => s.device(x))],
  access_code: ['access_code', id('access_code_id', (s, x) => s.accessCode(x))],
  generated_code: ['device', id('device_id', (s, x) => s.device(x))],
  acs_entrance: ['acs_entrance', id('acs_entrance_id', (s, x) => s.acsEntrance(x))],
  acs_system: ['acs_system', id('acs_system_id', (s, x) => s.acsSystem(x))],
  space: ['space', id('space_id', (s, x) => s.space(x))],
  user_identity: ['user_identity', id('user_identity_id', (s, x) => s.userIdentity(x))],
  access_grant: ['access_grant', id('access_grant_id', (s, x) => s.accessGrant(x))],
  access_method: ['access_method', id('access_method_id', (s, x) => s.accessMethod(x))],
  action_attempt: ['action_attempt', id('action_attempt_id', (s, x) => s.actionAttempt(x))],
  event: ['event', (s, item) => eventVisible(item, s)],
  client_session: ['client_session', id('client_session_id', (s, x) => s.clientSession(x))],
  connected_account: ['connected_account', id('connected_account_id', (s, x) => s.connectedAccount(x))],
  workspace: ['workspace', () => true],
}
const PLURALS: Record<string, string> = {
  devices: 'device', locks: 'lock', access_codes: 'access_code', acs_entrances: 'acs_entrance', acs_systems: 'acs_system',
  spaces: 'space', user_identities: 'user_identity', access_grants: 'access_grant', access_methods: 'access_method',
  action_attempts: 'action_attempt', events: 'event', client_sessions: 'client_session', connected_accounts: 'connected_account',
  // list_accessible_devices answers under both keys, as Seam does.
  accessible_devices: 'device',
}
/** Answer keys that carry no resource. */
const PLAIN = new Set(['pagination'])

/** Keeps what is in scope; a single resource out of scope is a 404. Unknown answer keys fail closed. */
export function guardResponse(path: string, body: Record<string, unknown>, scope: ClientScope): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(body)) {
    if (PLAIN.has(key)) {
      out[key] = value
      continue
    }
    const single = RESOURCES[key]
    if (single) {
      if (value !== null && (typeof value !== 'object' || !single[1](scope, value as Item))) throw missing(single[0])
      out[key] = value
      continue
    }
    const element = PLURALS[key] && RESOURCES[PLURALS[key]]
    if (element && Array.isArray(value)) {
      out[key] = value.filter((item) => item !== null && typeof item === 'object' && element[1](scope, item as Item))
      continue
    }
    throw new DomainError('forbidden', `The answer of ${path} holds "${key}", which lockstep has not classified for client sessions`, 403)
  }
  return out
}
