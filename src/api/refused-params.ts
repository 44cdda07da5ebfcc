// Design rule 11: a documented Seam parameter that lockstep does not honour is refused by name (400), never
// dropped. This is the one table of such refusals, per route. An entry without `when` refuses the parameter
// whatever its value (it need not be in the route's zod schema); one with `when` refuses only those values
// (the parameter stays in the schema, which validates and types it first). Implementing a parameter means
// deleting its entry here; test/conformance/seam-parameters.test.ts then asks for proof that it is honoured.
import { DomainError, type ValidationErrors } from '../domain/errors.js'

export interface Refusal {
  reason: string
  /** Refuse only these values (of the parsed parameter); absent: any value. */
  when?: (value: unknown) => boolean
  /** The refused values in words, for the docs (with `when`). */
  values?: string
}

const isTrue = (v: unknown) => v === true

const NO_SYNC: Refusal = { when: isTrue, values: 'true', reason: 'lockstep answers at once and works in the background; follow the resource or its events instead of sync=true' }
const NO_OFFLINE_CODES: Refusal = { when: isTrue, values: 'true', reason: "lockstep's locks take codes over their radio; offline (algorithmic) access codes are not issued" }
const NO_TIME_ROUNDING: Refusal = { when: (v) => v !== undefined, values: 'any valid value (an invalid one is invalid_input)', reason: 'applies only to offline (algorithmic) access codes, which lockstep does not issue' }
const NO_CLIENT_SESSIONS = 'filtering by user_identifier_key is not implemented: a client session token scoped to that key sees only its devices and codes'
const NO_WEBVIEWS = 'an edge box has no Connect Webviews: its devices are configured on the box'
const NO_ACCESS_GROUPS = 'lockstep has no ACS access groups'
const NO_ACS_USERS = 'lockstep has no ACS users: cards belong to access grants'
const NO_PARENT_SPACES = 'lockstep spaces are flat (no parent spaces)'

const codeOptions = {
  is_offline_access_code: NO_OFFLINE_CODES,
  use_offline_access_code: NO_OFFLINE_CODES,
  max_time_rounding: NO_TIME_ROUNDING,
  sync: NO_SYNC,
}
const deviceListRefusals = {
  connect_webview_id: NO_WEBVIEWS,
  user_identifier_key: NO_CLIENT_SESSIONS,
}

export const REFUSED_PARAMS: Readonly<Record<string, Readonly<Record<string, string | Refusal>>>> = {
  '/access_codes/create': codeOptions,
  '/access_codes/update': codeOptions,
  '/access_codes/delete': { sync: NO_SYNC },
  '/access_codes/list': { user_identifier_key: NO_CLIENT_SESSIONS },
  '/access_codes/unmanaged/list': { user_identifier_key: NO_CLIENT_SESSIONS },
  '/access_codes/unmanaged/convert_to_managed': {
    sync: NO_SYNC,
    force: { when: isTrue, values: 'true', reason: 'one workspace per box: no other workspace manages the code, so there is nothing to take over by force' },
  },
  '/access_codes/unmanaged/delete': { sync: NO_SYNC },
  '/devices/list': deviceListRefusals,
  '/locks/list': deviceListRefusals,
  '/locks/lock_door': { sync: NO_SYNC },
  '/locks/unlock_door': { sync: NO_SYNC },
  '/events/list': {
    connect_webview_id: NO_WEBVIEWS,
    acs_access_group_id: NO_ACCESS_GROUPS,
    acs_user_id: NO_ACS_USERS,
  },
  '/spaces/create': { connected_account_ids: 'spaces group doors; lockstep has no connected accounts to attach to a space' },
  '/spaces/list': { connected_account_id: 'lockstep spaces are not attached to connected accounts', parent_space_id: NO_PARENT_SPACES, parent_space_key: NO_PARENT_SPACES },
  '/spaces/update': { parent_space_id: NO_PARENT_SPACES, parent_space_key: NO_PARENT_SPACES },
  '/acs/systems/list': { customer_key: 'ACS systems belong to the site, not to a customer; filter entrances by customer_key instead' },
  '/user_identities/create': { acs_system_ids: NO_ACS_USERS },
  '/user_identities/list': { credential_manager_acs_system_id: 'lockstep has no credential-manager ACS systems' },
  '/access_grants/create': {
    customization_profile_id: 'customization profiles (instant-key branding) are not implemented',
    location: 'deprecated: pass space_ids or a space created with spaces/create',
    location_ids: 'deprecated: pass space_ids',
  },
  '/acs/encoders/scan_credential': { salto_ks_metadata: 'lockstep encodes MIFARE cards for its own offline locks, not Salto KS tags' },
}

function refusal(path: string, param: string, reason: string): DomainError {
  const message = `not supported by lockstep: ${reason}`
  const validationErrors: ValidationErrors = { _errors: [], [param]: { _errors: [message] } }
  return new DomainError('invalid_input', `Invalid input: ${param}: ${message} (${path})`, 400, undefined, validationErrors)
}

/** Throws the 400 for the first refused parameter present in `raw` (before parsing) or, for value rules, in `parsed`. */
export function refuseUnsupported(path: string, raw: Record<string, unknown>, parsed?: Record<string, unknown>): void {
  const table = REFUSED_PARAMS[path]
  if (!table) return
  for (const [param, rule] of Object.entries(table)) {
    if (!Object.hasOwn(raw, param) && !Object.keys(raw).some((k) => k.startsWith(param + '.'))) continue
    if (typeof rule === 'string') throw refusal(path, param, rule)
    if (!rule.when) throw refusal(path, param, rule.reason)
    if (parsed && rule.when(parsed[param])) throw refusal(path, param, rule.reason)
  }
}

/** A refusal's reason for a route's parameter (docs and tests), or undefined when it is not refused. */
export function refusalReason(path: string, param: string): { reason: string; conditional: boolean } | undefined {
  const rule = REFUSED_PARAMS[path]?.[param]
  if (rule === undefined) return undefined
  return typeof rule === 'string' ? { reason: rule, conditional: false } : { reason: rule.reason, conditional: rule.when !== undefined }
}
