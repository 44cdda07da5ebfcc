// Design rule 11 against Seam's own OpenAPI (@seamapi/types): every parameter of every route lockstep serves
// is honoured or refused with a 400 naming it. HONOURED below says, per route and parameter, how it is
// honoured; REFUSED_PARAMS (src/api/refused-params.ts) says why the rest are refused. The walk checks:
//   - the two tables together cover exactly Seam's parameters of each implemented route;
//   - a refused parameter answers 400 invalid_input naming it, and changes nothing;
//   - an honoured parameter is read: a wrongly typed value is a 400 naming it (a dropped one would pass);
//   - a filter narrows on lab data (every item matches, fewer than without it); options take effect.
// Every resource the walk receives is validated with @seamapi/types; lockstep's additions may only sit under
// `lockstep_` keys (or be newer Seam fields), both listed in docs/seam-compatibility.md.
// Long on purpose: one table row per Seam parameter (about 280) is the point of the file.
import { randomUUID } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { SeamHttp } from '@seamapi/http'
import { schemas } from 'seam-schemas'
import { registeredRoutes } from '../../src/api/route.js'
import { REFUSED_PARAMS, refusalReason } from '../../src/api/refused-params.js'
import { LOCKSTEP_FIELDS, NEWER_SEAM_FIELDS, loadSeamOpenApi, seamParams } from '../../scripts/seam-compatibility.js'
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js'
import { eventually } from '../helpers/eventually.js'

type Body = Record<string, any>
type Ctx = Record<string, string>
interface Narrows {
  /** Parameters both calls carry (routes that need one filter). */
  base?: (c: Ctx) => Body
  value: (c: Ctx) => unknown
  match: (item: any, c: Ctx) => boolean
  /** The lab has nothing the filter keeps (one ACS system, every lock locks remotely): it must leave nothing. */
  empty?: boolean
}
type Row = string | { how: string; narrows?: Narrows }

const openapi = loadSeamOpenApi()
let t: TestDaemon
let seam: SeamHttp
const c: Ctx = {}
/** Every 2xx body the walk received, by route, for the schema check. */
const seen: { path: string; body: Body }[] = []

async function post(path: string, body: Body): Promise<{ status: number; body: Body }> {
  const res = await fetch(t.url + path, {
    method: 'POST',
    headers: { authorization: `Bearer ${t.apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  const json = (await res.json()) as Body
  if (res.status < 300) seen.push({ path, body: json })
  return { status: res.status, body: json }
}
const ok = async (path: string, body: Body) => {
  const r = await post(path, body)
  expect(r.status, `${path} ${JSON.stringify(body)} → ${JSON.stringify(r.body)}`).toBe(200)
  return r.body
}

const SELECTS = 'selects the resource (an unknown one is 404)'
const PAGE = { limit: 'page size (limit=1 gives one item and a cursor)', page_cursor: 'the next page of the same query (a cursor of another query is 400)' }
const CODE_FIELDS = {
  name: 'stored and shown; the lock gets a name within its rules (appearance)',
  code: 'the PIN, checked against the lock\'s constraints',
  starts_at: 'time-bound code: set on the lock from then', ends_at: 'time-bound code: removed from the lock then',
  allow_external_modification: 'a change at the keypad is adopted instead of restored', is_external_modification_allowed: 'same as allow_external_modification',
  preferred_code_length: 'length of a generated PIN',
  prefer_native_scheduling: 'no lockstep driver has native schedules, so lockstep schedules (Seam\'s fallback) whatever the value',
  attempt_for_offline_device: 'false: an offline lock is refused (device_offline), nothing is queued',
}
const byId = (field: string, key: string) => (item: any, x: Ctx) => item[field] === x[key]
const has = (_list: string, field: string) => (id: (c: Ctx) => string) => ({ value: (x: Ctx) => [id(x)], match: (item: any, x: Ctx) => item[field] === id(x) })
const deviceFilters: Record<string, Row> = {
  device_ids: { how: 'only these devices', narrows: has('device_ids', 'device_id')((x) => x.frontDoor!) },
  device_type: { how: 'only this device type', narrows: { value: (x) => x.nukiType, match: (d, x) => d.device_type === x.nukiType } },
  device_types: { how: 'only these device types', narrows: { value: (x) => [x.nukiType], match: (d, x) => d.device_type === x.nukiType } },
  manufacturer: { how: 'only this manufacturer', narrows: { value: () => 'nuki', match: (d) => d.properties.manufacturer === 'nuki' } },
  search: { how: 'name contains (case-insensitive)', narrows: { value: () => 'door', match: (d) => /door/i.test(d.display_name) } },
  space_id: { how: 'devices of the space', narrows: { value: (x) => x.spaceA, match: (d, x) => d.space_ids.includes(x.spaceA) } },
  unstable_location_id: { how: 'Seam\'s deprecated name for space_id', narrows: { value: (x) => x.spaceA, match: (d, x) => d.space_ids.includes(x.spaceA) } },
  created_before: 'devices created before the instant',
  connected_account_id: { how: 'devices of the account (one per driver)', narrows: { value: (x) => x.nukiAccount, match: (d, x) => d.connected_account_id === x.nukiAccount } },
  connected_account_ids: { how: 'devices of these accounts', narrows: { value: (x) => [x.nukiAccount], match: (d, x) => d.connected_account_id === x.nukiAccount } },
  customer_key: { how: 'devices in a space of the customer', narrows: { value: () => 'cust-b', match: (d, x) => d.device_id === x.backDoor } },
  include_if: { how: 'devices whose every named capability flag is true', narrows: { value: () => ['can_remotely_lock', 'can_hvac_heat'], match: () => false, empty: true } },
  exclude_if: { how: 'drops devices with any named capability flag true', narrows: { value: () => ['can_remotely_lock'], match: () => false, empty: true } },
  ...PAGE,
}

const codeOfGrant = (grant: string) => (item: any, x: Ctx) => x[`codesOf:${grant}`]!.split(',').includes(item.access_code_id)

const HONOURED: Record<string, Record<string, Row>> = {
  '/access_codes/create': { device_id: 'the lock', ...CODE_FIELDS, common_code_key: 'codes sharing the key share the PIN', is_one_time_use: 'removed after first use', sync: 'false: the default (answer at once)', is_offline_access_code: 'false: the default (an online code)', use_offline_access_code: 'false: the default', max_time_rounding: 'validated; every valid value refused (offline codes only)' },
  '/access_codes/create_multiple': { device_ids: 'one code per lock, one PIN', behavior_when_code_cannot_be_shared: 'throw, or a random PIN where the shared one cannot go', ...CODE_FIELDS },
  '/access_codes/get': { access_code_id: SELECTS, device_id: 'with code: the code on that lock; with access_code_id: must be its lock', code: 'with device_id: selects by PIN' },
  '/access_codes/list': {
    device_id: { how: 'codes of the lock', narrows: { base: (x) => ({ access_code_ids: x.allCodes!.split(',') }), value: (x) => x.frontDoor, match: (a, x) => a.device_id === x.frontDoor } },
    access_code_ids: { how: 'only these codes', narrows: { base: (x) => ({ device_id: x.frontDoor }), value: (x) => [x.directCode], match: byId('access_code_id', 'directCode') } },
    access_grant_id: { how: 'codes of the grant\'s access methods', narrows: { base: (x) => ({ device_id: x.frontDoor }), value: (x) => x.grantA, match: codeOfGrant('grantA') } },
    access_grant_key: { how: 'codes of the grant with this key', narrows: { base: (x) => ({ device_id: x.frontDoor }), value: () => 'param-grant-a', match: codeOfGrant('grantA') } },
    access_method_id: { how: 'codes of the access method', narrows: { base: (x) => ({ device_id: x.frontDoor }), value: (x) => x.methodA, match: codeOfGrant('grantA') } },
    customer_key: { how: 'codes of the customer\'s grants (customers/push_data)', narrows: { base: (x) => ({ device_id: x.frontDoor }), value: () => 'cust-a', match: codeOfGrant('pushed') } },
    search: { how: 'name contains, or the PIN or id equals', narrows: { base: (x) => ({ device_id: x.frontDoor }), value: () => 'Direct param code', match: (a) => a.name === 'Direct param code' } },
    ...PAGE,
  },
  '/access_codes/update': { access_code_id: SELECTS, device_id: 'must be the code\'s lock (a code cannot move)', type: 'ongoing clears the time frame', is_managed: 'true only (managed codes)', ...CODE_FIELDS, is_one_time_use: 'removed after first use', sync: 'false: the default', is_offline_access_code: 'false: the default', use_offline_access_code: 'false: the default', max_time_rounding: 'validated; every valid value refused' },
  '/access_codes/delete': { access_code_id: SELECTS, device_id: 'must be the code\'s lock, else 404', sync: 'false: the default' },
  '/access_codes/generate_code': { device_id: 'a PIN that fits the lock and no code on it holds' },
  '/access_codes/unmanaged/list': {
    device_id: 'unmanaged codes read from the lock',
    search: 'name contains, or the PIN or id equals (the same search as managed codes)',
    ...PAGE,
  },
  '/access_codes/unmanaged/get': { access_code_id: SELECTS, device_id: 'with code: the code on that lock', code: 'with device_id: selects by PIN' },
  '/access_codes/unmanaged/convert_to_managed': { access_code_id: SELECTS, allow_external_modification: 'as on create', is_external_modification_allowed: 'as on create', force: 'false: the default', sync: 'false: the default' },
  '/access_codes/unmanaged/delete': { access_code_id: SELECTS, sync: 'false: the default' },
  '/devices/list': deviceFilters,
  '/locks/list': deviceFilters,
  '/devices/get': { device_id: SELECTS, name: 'selects by display name' },
  '/locks/get': { device_id: SELECTS, name: 'selects by display name' },
  '/locks/lock_door': { device_id: 'the lock', sync: 'false: the default (an action attempt to poll)' },
  '/locks/unlock_door': { device_id: 'the lock', sync: 'false: the default' },
  '/events/list': {
    since: { how: 'events created at or after', narrows: { value: (x) => x.midTime, match: (e, x) => Date.parse(e.created_at) >= Date.parse(x.midTime!) } },
    between: { how: 'events created strictly between the two instants', narrows: { value: (x) => [x.midTime, x.endTime], match: (e, x) => Date.parse(e.created_at) > Date.parse(x.midTime!) && Date.parse(e.created_at) < Date.parse(x.endTime!) } },
    device_id: { how: 'events of the lock', narrows: { value: (x) => x.frontDoor, match: (e, x) => e.device_id === x.frontDoor } },
    device_ids: { how: 'events of these locks', narrows: { value: (x) => [x.frontDoor], match: (e, x) => e.device_id === x.frontDoor } },
    access_code_id: { how: 'events of the code', narrows: { value: (x) => x.directCode, match: (e, x) => e.access_code_id === x.directCode } },
    access_code_ids: { how: 'events of these codes', narrows: { value: (x) => [x.directCode], match: (e, x) => e.access_code_id === x.directCode } },
    access_grant_id: { how: 'events of the grant', narrows: { value: (x) => x.grantA, match: (e, x) => e.access_grant_id === x.grantA || e.access_grant_ids?.includes(x.grantA) } },
    access_grant_ids: { how: 'events of these grants', narrows: { value: (x) => [x.grantA], match: (e, x) => e.access_grant_id === x.grantA || e.access_grant_ids?.includes(x.grantA) } },
    access_method_id: { how: 'events of the method', narrows: { value: (x) => x.methodA, match: (e, x) => e.access_method_id === x.methodA } },
    access_method_ids: { how: 'events of these methods', narrows: { value: (x) => [x.methodA], match: (e, x) => e.access_method_id === x.methodA } },
    acs_credential_id: { how: 'events naming the credential', narrows: { value: (x) => x.credential, match: (e, x) => e.acs_credential_id === x.credential } },
    acs_encoder_id: { how: 'events naming the encoder', narrows: { value: (x) => x.encoder, match: (e, x) => e.acs_encoder_id === x.encoder } },
    acs_entrance_id: { how: 'events naming the entrance', narrows: { value: (x) => x.room101, match: (e, x) => e.acs_entrance_id === x.room101 } },
    acs_system_id: { how: 'events of the system, its entrances and encoders', narrows: { value: (x) => x.acsSystem, match: (e, x) => [e.acs_system_id, e.acs_entrance_id, e.acs_encoder_id].some((id) => x.acsScope!.includes(id)) } },
    acs_system_ids: { how: 'same, several systems', narrows: { value: (x) => [x.acsSystem], match: (e, x) => [e.acs_system_id, e.acs_entrance_id, e.acs_encoder_id].some((id) => x.acsScope!.includes(id)) } },
    connected_account_id: { how: 'events of the account and its devices', narrows: { value: (x) => x.nukiAccount, match: (e, x) => e.connected_account_id === x.nukiAccount || e.device_id === x.office } },
    customer_key: { how: 'events of the customer\'s spaces, doors, grants, methods, codes and identities', narrows: { value: () => 'cust-b', match: (e, x) => [e.device_id, e.space_id, e.access_grant_id, ...(e.access_grant_ids ?? []), e.access_method_id, e.access_code_id, e.acs_entrance_id].some((id) => x.scopeB!.includes(id)) } },
    space_id: { how: 'events of the space\'s doors and of grants on it', narrows: { value: (x) => x.spaceB, match: (e, x) => [e.device_id, e.access_grant_id, ...(e.access_grant_ids ?? []), e.access_method_id, e.access_code_id, e.acs_entrance_id].some((id) => x.scopeB!.includes(id)) } },
    space_ids: { how: 'same, several spaces', narrows: { value: (x) => [x.spaceB], match: (e, x) => [e.device_id, e.access_grant_id, ...(e.access_grant_ids ?? []), e.access_method_id, e.access_code_id, e.acs_entrance_id].some((id) => x.scopeB!.includes(id)) } },
    user_identity_id: { how: 'events of the person\'s grants, methods and codes', narrows: { value: (x) => x.userB, match: (e, x) => [e.user_identity_id, e.access_grant_id, ...(e.access_grant_ids ?? []), e.access_method_id, e.access_code_id].some((id) => x.userBScope!.includes(id)) } },
    event_type: { how: 'only this type', narrows: { value: () => 'access_code.created', match: (e) => e.event_type === 'access_code.created' } },
    event_types: { how: 'only these types', narrows: { value: () => ['access_grant.created'], match: (e) => e.event_type === 'access_grant.created' } },
    event_ids: { how: 'only these events', narrows: { value: (x) => [x.someEvent], match: (e, x) => e.event_id === x.someEvent } },
    limit: 'page size', unstable_offset: 'skips that many events',
  },
  '/events/get': { event_id: SELECTS, event_type: 'newest event of the type', device_id: 'newest event of the lock' },
  '/action_attempts/get': { action_attempt_id: SELECTS },
  '/spaces/create': { name: 'stored', space_key: 'your key for the space', device_ids: 'doors of the space', acs_entrance_ids: 'doors of the space', customer_key: 'the customer owning it', customer_data: 'stored and returned' },
  '/spaces/get': { space_id: SELECTS, space_key: 'selects by key' },
  '/spaces/list': {
    search: { how: 'name contains', narrows: { value: () => 'Param space B', match: (s) => s.name === 'Param space B' } },
    space_key: { how: 'the space with the key', narrows: { value: () => 'param-a', match: (s) => s.space_key === 'param-a' } },
    customer_key: { how: 'spaces of the customer', narrows: { value: () => 'cust-b', match: (s) => s.customer_key === 'cust-b' } },
    ...PAGE,
  },
  '/spaces/update': { space_id: SELECTS, space_key: 'selects by key', name: 'renamed', device_ids: 'replaces the doors', acs_entrance_ids: 'replaces the doors', customer_data: 'replaced' },
  '/spaces/delete': { space_id: SELECTS },
  '/spaces/add_devices': { space_id: SELECTS, device_ids: 'added' },
  '/spaces/remove_devices': { space_id: SELECTS, device_ids: 'removed' },
  '/spaces/add_acs_entrances': { space_id: SELECTS, acs_entrance_ids: 'added' },
  '/spaces/remove_acs_entrances': { space_id: SELECTS, acs_entrance_ids: 'removed' },
  '/acs/systems/list': {
    connected_account_id: { how: 'the card system\'s account, else nothing', narrows: { value: (x) => x.nukiAccount, match: () => false, empty: true } },
    search: { how: 'name contains (the lab has one system: a search that misses it leaves nothing)', narrows: { value: () => 'no such system', match: () => false, empty: true } },
  },
  '/acs/systems/get': { acs_system_id: SELECTS },
  '/acs/entrances/list': {
    acs_system_id: 'entrances of the system',
    acs_entrance_ids: { how: 'only these', narrows: { value: (x) => [x.room101], match: byId('acs_entrance_id', 'room101') } },
    space_id: { how: 'entrances of the space', narrows: { value: (x) => x.spaceA, match: (e, x) => e.acs_entrance_id === x.room101 } },
    location_id: { how: 'Seam\'s deprecated name for space_id', narrows: { value: (x) => x.spaceA, match: (e, x) => e.acs_entrance_id === x.room101 } },
    acs_credential_id: { how: 'entrances the issued card opens', narrows: { value: (x) => x.credential, match: (e, x) => e.acs_entrance_id === x.room101 } },
    connected_account_id: { how: 'the card system\'s account, else nothing', narrows: { value: (x) => x.nukiAccount, match: () => false, empty: true } },
    customer_key: { how: 'entrances in a space of the customer', narrows: { value: () => 'cust-b', match: (e, x) => e.acs_entrance_id === x.room102 } },
    search: { how: 'name contains', narrows: { value: () => 'pool', match: (e) => e.display_name === 'Pool' } },
    ...PAGE,
  },
  '/acs/entrances/get': { acs_entrance_id: SELECTS },
  '/acs/encoders/list': { acs_system_id: 'encoders of the system', acs_system_ids: 'encoders of these systems', acs_encoder_ids: 'only these', ...PAGE },
  '/acs/encoders/get': { acs_encoder_id: SELECTS },
  '/user_identities/create': { full_name: 'stored', email_address: 'stored, unique on the site', phone_number: 'stored, unique on the site', user_identity_key: 'your key' },
  '/user_identities/get': { user_identity_id: SELECTS, user_identity_key: 'selects by key' },
  '/user_identities/list': {
    user_identity_ids: { how: 'only these', narrows: { value: (x) => [x.userB], match: byId('user_identity_id', 'userB') } },
    search: { how: 'name, email, phone or key contains', narrows: { value: () => 'Param Person B', match: (u) => u.full_name === 'Param Person B' } },
    created_before: { how: 'identities created before the instant', narrows: { value: (x) => x.midTime, match: (u, x) => Date.parse(u.created_at) < Date.parse(x.midTime!) } },
    ...PAGE,
  },
  '/user_identities/update': { user_identity_id: SELECTS, full_name: 'stored', email_address: 'stored', phone_number: 'stored', user_identity_key: 'stored' },
  '/user_identities/delete': { user_identity_id: SELECTS },
  '/access_grants/create': {
    user_identity_id: 'the person', user_identity: 'a person found by key or created', requested_access_methods: 'code and card methods (others 400)',
    space_ids: 'doors of these spaces', space_keys: 'doors of the spaces with these keys', device_ids: 'these locks', acs_entrance_ids: 'these entrances',
    starts_at: 'from', ends_at: 'until', name: 'stored', access_grant_key: 'your key', reservation_key: 'offline-lock reservation rules',
  },
  '/access_grants/get': { access_grant_id: SELECTS, access_grant_key: 'selects by key' },
  '/access_grants/list': {
    user_identity_id: { how: 'grants of the person', narrows: { value: (x) => x.userB, match: (g, x) => g.user_identity_id === x.userB } },
    space_id: { how: 'grants on the space', narrows: { value: (x) => x.spaceB, match: (g, x) => g.space_ids.includes(x.spaceB) } },
    location_id: { how: 'Seam\'s deprecated name for space_id', narrows: { value: (x) => x.spaceB, match: (g, x) => g.space_ids.includes(x.spaceB) } },
    device_id: { how: 'grants reaching the lock', narrows: { value: (x) => x.backDoor, match: (g, x) => g.lockstep_metadata.device_ids.includes(x.backDoor) } },
    acs_entrance_id: { how: 'grants reaching the entrance', narrows: { value: (x) => x.room101, match: (g, x) => g.lockstep_metadata.acs_entrance_ids.includes(x.room101) } },
    acs_system_id: 'grants reaching an entrance of the system',
    access_code_id: { how: 'the grant holding the code', narrows: { value: (x) => x.codesOf_grantA, match: (g, x) => g.access_grant_id === x.grantA } },
    access_grant_ids: { how: 'only these', narrows: { value: (x) => [x.grantA], match: byId('access_grant_id', 'grantA') } },
    access_grant_key: { how: 'the grant with the key', narrows: { value: () => 'param-grant-a', match: (g, x) => g.access_grant_id === x.grantA } },
    reservation_key: { how: 'grants of the reservation', narrows: { value: () => 'param-res-card', match: (g) => g.reservation_key === 'param-res-card' } },
    customer_key: { how: 'grants pushed for the customer', narrows: { value: () => 'cust-a', match: (g) => g.lockstep_metadata.customer_key === 'cust-a' } },
    ...PAGE,
  },
  '/access_grants/update': { access_grant_id: SELECTS, access_grant_key: 'selects by key', starts_at: 'moved; codes follow', ends_at: 'moved; codes follow', name: 'renamed' },
  '/access_grants/delete': { access_grant_id: SELECTS },
  '/access_methods/get': { access_method_id: SELECTS },
  '/access_methods/list': {
    access_grant_id: { how: 'methods of the grant', narrows: { base: (x) => ({ space_id: x.spaceA }), value: (x) => x.grantA, match: (m, x) => m.access_method_id === x.methodA } },
    access_grant_key: { how: 'methods of the grant with the key', narrows: { base: (x) => ({ space_id: x.spaceA }), value: () => 'param-grant-a', match: (m, x) => m.access_method_id === x.methodA } },
    device_id: 'methods whose codes are on the lock', acs_entrance_id: 'card methods for the entrance', space_id: 'methods of grants on the space',
    access_code_id: 'the method holding the code',
  },
  '/access_methods/delete': { access_method_id: SELECTS, access_grant_id: 'every method of the grant', reservation_key: 'every method of the reservation\'s grants' },
  '/access_methods/encode': { access_method_id: 'the card method to write', acs_encoder_id: 'the encoder' },
  '/acs/encoders/encode_credential': { acs_encoder_id: 'the encoder', access_method_id: 'the card method to write', acs_credential_id: 're-encode an issued card' },
  '/acs/encoders/scan_credential': { acs_encoder_id: 'the encoder that reads the card' },
  '/customers/push_data': Object.fromEntries(Object.keys(seamParams(openapi, '/customers/push_data')).map((k) => [k, k === 'customer_key' ? 'the customer owning what is pushed' : 'items applied or answered one by one (push results)'])),
  '/customers/delete_data': Object.fromEntries(Object.keys(seamParams(openapi, '/customers/delete_data')).map((k) => [k, 'deletes what was pushed under these keys (a result per key)'])),
}

/** Seam routes lockstep serves (lockstep extensions are not Seam's to check). */
function seamServed(): string[] {
  return registeredRoutes(t.daemon.app).map((r) => r.path).filter((p) => openapi.paths[p])
}

beforeAll(async () => {
  t = await startTestDaemon()
  seam = SeamHttp.fromApiKey(t.apiKey, { endpoint: t.url })
  const devices = await seam.devices.list()
  const dev = (name: string) => devices.find((d) => d.display_name === name)!
  Object.assign(c, {
    frontDoor: dev('Front Door').device_id, backDoor: dev('Back Door').device_id, gym: dev('Gym').device_id, office: dev('Office').device_id,
    nukiType: dev('Office').device_type, nukiAccount: dev('Office').connected_account_id,
  })
  const entrances = await seam.acs.entrances.list()
  const ent = (name: string) => entrances.find((e) => e.display_name === name)!.acs_entrance_id
  Object.assign(c, { room101: ent('Room 101'), room102: ent('Room 102'), acsSystem: entrances[0]!.acs_system_id })
  c.encoder = (await seam.acs.encoders.list())[0]!.acs_encoder_id
  c.acsScope = [c.acsSystem, ...entrances.map((e) => e.acs_entrance_id), c.encoder].join(',')

  c.spaceA = (await seam.spaces.create({ name: 'Param space A', space_key: 'param-a', customer_key: 'cust-a', device_ids: [c.frontDoor!], acs_entrance_ids: [c.room101!] })).space_id
  c.spaceB = (await seam.spaces.create({ name: 'Param space B', space_key: 'param-b', customer_key: 'cust-b', device_ids: [c.backDoor!], acs_entrance_ids: [c.room102!] })).space_id
  c.userA = (await seam.userIdentities.create({ full_name: 'Param Person A', email_address: 'param-a@example.com' })).user_identity_id
  // midTime: an instant strictly after what came before and strictly before what follows (a millisecond clock).
  await nextMillisecond()
  c.midTime = new Date().toISOString()
  await nextMillisecond()
  c.userB = (await seam.userIdentities.create({ full_name: 'Param Person B', email_address: 'param-b@example.com' })).user_identity_id
  const soon = new Date(Date.now() + 3_600_000).toISOString()
  const later = new Date(Date.now() + 86_400_000).toISOString()
  c.grantA = (await seam.accessGrants.create({ user_identity_id: c.userA, space_ids: [c.spaceA], requested_access_methods: [{ mode: 'code' }], access_grant_key: 'param-grant-a', starts_at: soon, ends_at: later })).access_grant_id
  c.grantB = (await seam.accessGrants.create({ user_identity_id: c.userB, space_ids: [c.spaceB], requested_access_methods: [{ mode: 'code' }], starts_at: soon, ends_at: later })).access_grant_id
  c.grantCard = (await seam.accessGrants.create({ user_identity_id: c.userB, acs_entrance_ids: [c.room101!], requested_access_methods: [{ mode: 'card' }], reservation_key: 'param-res-card', starts_at: soon, ends_at: later })).access_grant_id
  await seam.customers.pushData({
    customer_key: 'cust-a',
    guests: [{ guest_key: 'param-guest', name: 'Param Guest', email_address: 'param-guest@example.com' }],
    reservations: [{ reservation_key: 'param-pushed', guest_key: 'param-guest', space_keys: ['param-a'], starts_at: soon, ends_at: later }],
  } as any)
  c.pushed = (await seam.accessGrants.list({ access_grant_key: 'param-pushed' }))[0]!.access_grant_id
  c.directCode = (await seam.accessCodes.create({ device_id: c.frontDoor!, name: 'Direct param code', code: '5937' })).access_code_id
  await seam.accessCodes.create({ device_id: c.gym!, name: 'Gym param code', code: '7391' })
  for (const g of ['grantA', 'grantB', 'pushed'] as const) {
    const methods = await seam.accessMethods.list({ access_grant_id: c[g]! })
    c[`codesOf:${g}`] = methods.flatMap((m: any) => m.lockstep_metadata.access_code_ids).join(',')
    if (g === 'grantA') c.methodA = methods[0]!.access_method_id
  }
  c.codesOf_grantA = c['codesOf:grantA']!.split(',')[0]!
  c.allCodes = [...(await seam.accessCodes.list({ device_id: c.frontDoor! })), ...(await seam.accessCodes.list({ device_id: c.backDoor! }))].map((a) => a.access_code_id).join(',')
  const cardMethod = (await seam.accessMethods.list({ access_grant_id: c.grantCard }))[0]!.access_method_id

  // A card the encoder issued, and the ACS events that name it (as the encoder records them).
  const store = t.daemon.store
  c.credential = randomUUID()
  store.tx(() => {
    store.cardCredentials.record({
      acsCredentialId: c.credential!, credentialNumber: 9_001, cardUid: '04A1B2C3', accessMethodId: cardMethod, accessGrantId: c.grantCard!, userIdentityId: c.userB!,
      acsEncoderId: c.encoder!, level: 'guest', joiner: false, reservationKey: 'param-res-card', reservationDoorSet: [c.room101!], stamp: { time: 1, seq: 1 },
      startsAt: Date.now(), endsAt: null, acsEntranceIds: [c.room101!], entranceAddresses: [101], issuedAt: Date.now(),
    })
    store.events.append({ event_type: 'acs_credential.deleted', connected_account_id: store.acs.connectedAccountId, acs_system_id: c.acsSystem, acs_credential_id: c.credential })
    store.events.append({ event_type: 'acs_encoder.added', acs_system_id: c.acsSystem, acs_encoder_id: c.encoder })
    store.events.append({ event_type: 'access_grant.access_granted_to_door', access_grant_id: c.grantCard, acs_entrance_id: c.room101 })
  })
  // What belongs to customer cust-b / space B / person B, to check what the scope filters return.
  const methodsB = await seam.accessMethods.list({ access_grant_id: c.grantB })
  c.scopeB = [c.spaceB, c.backDoor, c.room102, c.grantB, ...methodsB.map((m) => m.access_method_id), ...c['codesOf:grantB']!.split(',')].join(',')
  const methodsCard = await seam.accessMethods.list({ access_grant_id: c.grantCard })
  c.userBScope = [c.userB, c.grantB, c.grantCard, ...methodsB.map((m) => m.access_method_id), ...methodsCard.map((m) => m.access_method_id), ...c['codesOf:grantB']!.split(','), c.credential].join(',')
  c.someEvent = (await seam.events.list({ since: '2000-01-01T00:00:00Z' }))[0]!.event_id
  await nextMillisecond()
  c.endTime = new Date().toISOString()
  await nextMillisecond()

})
afterAll(async () => t?.stop())

/** Waits (on the clock itself, no fixed sleep) until the millisecond changes. */
async function nextMillisecond(): Promise<void> {
  const now = Date.now()
  while (Date.now() <= now) await new Promise((r) => setImmediate(r))
}

/** A valid value of a Seam parameter (its OpenAPI schema), to send where the value does not matter. */
function sample(s: any): unknown {
  const one = s?.oneOf?.[0] ?? s?.anyOf?.[0] ?? s
  if (one.enum) return one.enum[0]
  switch (one.type) {
    case 'boolean': return true
    case 'number': case 'integer': return 1
    case 'array': return [sample(one.items ?? {})]
    case 'object': return { probe: 'x' }
    default: return one.format === 'uuid' ? randomUUID() : one.format === 'date-time' ? '2030-01-01T00:00:00Z' : 'probe'
  }
}
const isObjectParam = (s: any) => (s?.type ?? s?.oneOf?.[0]?.type ?? s?.anyOf?.[0]?.type) === 'object'

describe('every Seam parameter of every implemented route', () => {
  test('is in exactly one table: honoured (HONOURED) or refused (src/api/refused-params.ts)', () => {
    const problems: string[] = []
    for (const path of seamServed()) {
      const params = Object.keys(seamParams(openapi, path))
      for (const p of params) {
        const refusal = refusalReason(path, p)
        const honoured = HONOURED[path]?.[p] !== undefined
        if (!refusal && !honoured) problems.push(`${path} ${p}: neither honoured nor refused`)
        if (refusal && !refusal.conditional && honoured) problems.push(`${path} ${p}: both refused and honoured`)
        if (refusal?.conditional && !honoured) problems.push(`${path} ${p}: refused for some values; say how the others are honoured`)
      }
      for (const p of Object.keys(HONOURED[path] ?? {})) if (!params.includes(p)) problems.push(`${path} ${p}: not a Seam parameter`)
      for (const p of Object.keys(REFUSED_PARAMS[path] ?? {})) if (!params.includes(p)) problems.push(`${path} ${p}: refusal of a parameter Seam does not have`)
    }
    expect(problems).toEqual([])
    expect(seamServed().length).toBeGreaterThan(50)
  })

  test('a refused parameter answers 400 invalid_input naming it, and changes nothing', async () => {
    const before = (await seam.accessCodes.list({ device_id: c.frontDoor! })).length
    const failures: string[] = []
    for (const path of seamServed()) {
      const params = seamParams(openapi, path)
      for (const [p, rule] of Object.entries(REFUSED_PARAMS[path] ?? {})) {
        const conditional = typeof rule !== 'string' && rule.when
        // Value rules run after parsing: send a body that parses (a real lock, any UUID elsewhere).
        const base: Body = conditional ? requiredBase(path) : {}
        const value = conditional ? (p === 'max_time_rounding' ? '1d' : true) : sample(params[p])
        const r = await post(path, { ...base, [p]: value })
        if (r.status !== 400 || r.body.error?.type !== 'invalid_input' || !r.body.error.validation_errors?.[p]) {
          failures.push(`${path} ${p}=${JSON.stringify(value)} → ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`)
        }
      }
    }
    expect(failures).toEqual([])
    expect((await seam.accessCodes.list({ device_id: c.frontDoor! })).length).toBe(before)
  })

  test('an honoured parameter is read: a wrongly typed value is a 400 naming it', async () => {
    const failures: string[] = []
    for (const path of seamServed()) {
      const params = seamParams(openapi, path)
      for (const p of Object.keys(HONOURED[path] ?? {})) {
        const bad = isObjectParam(params[p]) ? 12345 : { lockstep_probe: 1 }
        const r = await post(path, { [p]: bad })
        if (r.status !== 400 || !r.body.error?.validation_errors?.[p]) failures.push(`${path} ${p} → ${r.status} ${JSON.stringify(r.body).slice(0, 160)}`)
      }
    }
    expect(failures).toEqual([])
  })

  test('an unknown parameter is refused by name, not dropped', async () => {
    const r = await post('/devices/list', { colour: 'red' })
    expect(r.status).toBe(400)
    expect(r.body.error.validation_errors.colour._errors[0]).toMatch(/unknown parameter/)
    const nested = await post('/access_grants/create', { user_identity: { full_name: 'X', nickname: 'x' }, requested_access_methods: [{ mode: 'code' }], device_ids: [c.frontDoor] })
    expect(nested.status).toBe(400)
    expect(nested.body.error.validation_errors.user_identity._errors[0]).toMatch(/user_identity.nickname/)
    // The SDK's query style: `_strict=true` is the SDK's own flag, anything else unknown is refused.
    const q = await fetch(`${t.url}/devices/list?colour=red&_strict=true`, { headers: { authorization: `Bearer ${t.apiKey}` } })
    expect(q.status).toBe(400)
  })
})

describe('filters narrow on lab data', () => {
  for (const [path, rows] of Object.entries(HONOURED)) {
    for (const [param, row] of Object.entries(rows)) {
      if (typeof row === 'string' || !row.narrows) continue
      const n = row.narrows
      test(`${path} ${param}`, async () => {
        const base = n.base?.(c) ?? {}
        const key = listKey(path)
        const all = (await ok(path, base))[key] as any[]
        const filtered = (await ok(path, { ...base, [param]: n.value(c) }))[key] as any[]
        if (n.empty) expect(filtered).toEqual([])
        else expect(filtered.length).toBeGreaterThan(0)
        for (const item of filtered) expect(n.match(item, c), JSON.stringify(item).slice(0, 300)).toBe(true)
        expect(filtered.length).toBeLessThan(all.length)
      })
    }
  }

  test('limit and page_cursor page through the same query', async () => {
    for (const path of ['/devices/list', '/locks/list', '/access_codes/list', '/spaces/list', '/acs/entrances/list', '/user_identities/list', '/access_grants/list', '/events/list', '/acs/encoders/list']) {
      const base: Body = path.startsWith('/access_codes/') ? { device_id: c.frontDoor } : path === '/events/list' ? { since: '2000-01-01T00:00:00Z' } : {}
      const first = await ok(path, { ...base, limit: 1 })
      expect(first[listKey(path)]).toHaveLength(1)
      if (first.pagination?.has_next_page) {
        const next = await ok(path, { ...base, limit: 1, page_cursor: first.pagination.next_page_cursor })
        expect(next[listKey(path)][0]).not.toEqual(first[listKey(path)][0])
        const wrong = await post(path, { ...base, limit: 1, page_cursor: first.pagination.next_page_cursor, search: 'zzz' })
        expect(wrong.status).toBe(400)
      }
    }
  })
})

describe('options take effect', () => {
  test('attempt_for_offline_device=false refuses an offline lock and queues nothing; true (the default) queues', async () => {
    await ok('/lab/devices/set_online', { device_id: c.office, online: false })
    try {
      await eventually(async () => expect((await seam.devices.get({ device_id: c.office! })).properties.online).toBe(false), 20_000)
      const before = (await seam.accessCodes.list({ device_id: c.office! })).length
      const refused = await post('/access_codes/create', { device_id: c.office, code: '246813', attempt_for_offline_device: false })
      expect(refused.status).toBe(400)
      expect(refused.body.error.type).toBe('device_offline')
      const multiple = await post('/access_codes/create_multiple', { device_ids: [c.office, c.gym], attempt_for_offline_device: false })
      expect(multiple.body.error.type).toBe('device_offline')
      expect((await seam.accessCodes.list({ device_id: c.office! })).length).toBe(before)
      const queued = await ok('/access_codes/create', { device_id: c.office, code: '246814', attempt_for_offline_device: true })
      expect(queued.access_code.status).toBe('setting')
      const update = await post('/access_codes/update', { access_code_id: queued.access_code.access_code_id, name: 'x', attempt_for_offline_device: false })
      expect(update.body.error.type).toBe('device_offline')
    } finally {
      await ok('/lab/devices/set_online', { device_id: c.office, online: true })
    }
  })

  test('prefer_native_scheduling either way: a time-bound code lockstep schedules; offline-code options refused only when asked for', async () => {
    const starts = new Date(Date.now() + 7_200_000).toISOString()
    const ends = new Date(Date.now() + 90_000_000).toISOString()
    for (const prefer of [true, false]) {
      const made = await ok('/access_codes/create', { device_id: c.gym, starts_at: starts, ends_at: ends, prefer_native_scheduling: prefer, is_offline_access_code: false, sync: false })
      expect(made.access_code).toMatchObject({ type: 'time_bound', is_offline_access_code: false })
      expect(Date.parse(made.access_code.starts_at)).toBe(Date.parse(starts))
    }
    const invalid = await post('/access_codes/create', { device_id: c.gym, max_time_rounding: '2d' })
    expect(invalid.status).toBe(400)
    expect(invalid.body.error.validation_errors.max_time_rounding._errors[0]).not.toMatch(/not supported/)
  })

  test('access_codes/delete with another lock\'s device_id is 404 and deletes nothing', async () => {
    const r = await post('/access_codes/delete', { access_code_id: c.directCode, device_id: c.gym })
    expect(r.status).toBe(404)
    expect((await seam.accessCodes.get({ access_code_id: c.directCode! })).access_code_id).toBe(c.directCode)
    const spare = await seam.accessCodes.create({ device_id: c.gym!, name: 'Spare param code' })
    await ok('/access_codes/delete', { access_code_id: spare.access_code_id, device_id: c.gym })
    await ok('/access_codes/delete', { access_code_id: spare.access_code_id, device_id: c.gym }) // a repeat answers ok
  })
})

// ------------------------------------------------------------------ schema-exact responses

const LIST_KEYS: Record<string, string> = {}
function listKey(path: string): string {
  if (LIST_KEYS[path]) return LIST_KEYS[path]
  const group = path.split('/').slice(1, -1).join('_')
  return { access_codes_unmanaged: 'access_codes', acs_entrances: 'acs_entrances', acs_systems: 'acs_systems', acs_encoders: 'acs_encoders' }[group] ?? (group === 'locks' ? 'devices' : group)
}

/** Minimal parameters that parse for a route (value rules are checked after parsing). */
function requiredBase(path: string): Body {
  const params = seamParams(openapi, path)
  const op = openapi.paths[path]!.post
  const required: string[] = op.requestBody?.content?.['application/json']?.schema?.required ?? []
  const body: Body = {}
  for (const r of required) body[r] = r === 'device_id' ? c.frontDoor : r === 'device_ids' ? [c.frontDoor] : sample(params[r])
  return body
}

const batch = (schemas.batch as any).shape
const RESOURCE: Record<string, { schema: any; kind: string }> = {
  device: { schema: schemas.device, kind: 'device' }, devices: { schema: schemas.device, kind: 'device' },
  lock: { schema: schemas.device, kind: 'device' }, locks: { schema: schemas.device, kind: 'device' },
  access_code: { schema: schemas.access_code, kind: 'access_code' }, access_codes: { schema: schemas.access_code, kind: 'access_code' },
  action_attempt: { schema: schemas.action_attempt, kind: 'action_attempt' },
  event: { schema: schemas.seam_event, kind: 'event' }, events: { schema: schemas.seam_event, kind: 'event' },
  space: { schema: batch.spaces.unwrap().element, kind: 'space' }, spaces: { schema: batch.spaces.unwrap().element, kind: 'space' },
  user_identity: { schema: schemas.user_identity, kind: 'user_identity' }, user_identities: { schema: schemas.user_identity, kind: 'user_identity' },
  access_grant: { schema: batch.access_grants.unwrap().element, kind: 'access_grant' }, access_grants: { schema: batch.access_grants.unwrap().element, kind: 'access_grant' },
  access_method: { schema: batch.access_methods.unwrap().element, kind: 'access_method' }, access_methods: { schema: batch.access_methods.unwrap().element, kind: 'access_method' },
  acs_entrance: { schema: schemas.acs_entrance, kind: 'acs_entrance' }, acs_entrances: { schema: schemas.acs_entrance, kind: 'acs_entrance' },
  acs_encoder: { schema: schemas.acs_encoder, kind: 'acs_encoder' }, acs_encoders: { schema: schemas.acs_encoder, kind: 'acs_encoder' },
  acs_system: { schema: schemas.acs_system, kind: 'acs_system' }, acs_systems: { schema: schemas.acs_system, kind: 'acs_system' },
  pagination: { schema: schemas.pagination, kind: 'pagination' },
}

/** Keys of `input` that the zod schema dropped (zod strips what it does not define), as dotted paths. */
function extraKeys(input: unknown, output: unknown, path: string): string[] {
  if (Array.isArray(input) && Array.isArray(output)) return input.flatMap((v, i) => extraKeys(v, output[i], path))
  if (!input || typeof input !== 'object' || !output || typeof output !== 'object') return []
  return Object.entries(input).flatMap(([k, v]) => {
    if (k.startsWith('lockstep_')) return [`${path}.${k}`]
    return Object.hasOwn(output, k) ? extraKeys(v, (output as Body)[k], `${path}.${k}`) : [`${path}.${k}`]
  })
}

describe('every resource every route returned is a Seam resource', () => {
  test('gets and lists of every kind, then everything the walk saw, validate with @seamapi/types', async () => {
    await ok('/access_codes/get', { access_code_id: c.directCode })
    await ok('/access_codes/unmanaged/list', { device_id: c.gym })
    await ok('/access_grants/get', { access_grant_id: c.grantCard })
    await ok('/access_methods/list', { access_grant_id: c.grantCard })
    await ok('/acs/systems/list', {})
    await ok('/acs/encoders/list', {})
    await ok('/events/list', { since: '2000-01-01T00:00:00Z' })
    await ok('/user_identities/get', { user_identity_id: c.userB })
    await ok('/spaces/get', { space_id: c.spaceA })
    await ok('/locks/get', { device_id: c.office })
    const problems: string[] = []
    const extras = new Set<string>()
    for (const { path, body } of seen) {
      if (path.startsWith('/lab/')) continue
      for (const [key, value] of Object.entries(body)) {
        if (key === 'ok') continue
        const r = RESOURCE[key]
        if (!r) {
          // Top-level additions to a Seam answer: only push_data's results (documented) and generate_code (issue 15 §2).
          if (!['automation_run_id', 'summary', 'results', 'generated_code'].includes(key)) problems.push(`${path}: unknown top-level key ${key}`)
          continue
        }
        const unmanaged = path.startsWith('/access_codes/unmanaged/')
        const schema = unmanaged && r.kind === 'access_code' ? schemas.unmanaged_access_code : r.schema
        for (const item of Array.isArray(value) ? value : [value]) {
          const parsed = schema.safeParse(item)
          if (!parsed.success) {
            problems.push(`${path} ${key}: ${parsed.error.issues.slice(0, 2).map((i: any) => `${i.path.join('.')} ${i.message}`).join('; ')}`)
            continue
          }
          for (const e of extraKeys(item, parsed.data, r.kind)) extras.add(e.replace(/\.\d+\./g, '.'))
        }
      }
    }
    expect(problems).toEqual([])
    const allowed = (e: string) => Object.hasOwn(NEWER_SEAM_FIELDS, e) || /\.lockstep_[a-z_]+$/.test(e) && Object.hasOwn(LOCKSTEP_FIELDS, e)
    expect([...extras].filter((e) => !allowed(e)).sort()).toEqual([])
  })
})
