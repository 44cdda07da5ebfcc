// A client session token sees and changes only what it was granted, on every route. The test walks the
// daemon's route table: every route needs a decision in src/api/client-session-policy.ts and, unless it is
// forbidden, a probe below that names something out of scope (another guest's door, code, grant…) and
// expects the same 404 an unknown id gets — or, for lists, an answer holding only what is in scope.
// A route added without a decision or a probe fails here.
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { SeamHttp } from '@seamapi/http'
import { schemas } from 'seam-schemas'
import { registeredRoutes } from '../../src/api/route.js'
import { clientSessionAccess, GUARDED_PARAMETERS } from '../../src/api/client-session-policy.js'
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js'

let t: TestDaemon
let seam: SeamHttp
let token: string
const own: Record<string, string> = {}
const foreign: Record<string, string> = {}
const SINCE = '2000-01-01T00:00:00Z'

async function call(path: string, body: Record<string, unknown>, credential = token, headers: Record<string, string> = {}): Promise<{ status: number; body: any; headers: Headers }> {
  const r = await fetch(t.url + path, { method: 'POST', headers: { authorization: `Bearer ${credential}`, 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) })
  return { status: r.status, body: await r.json(), headers: r.headers }
}

beforeAll(async () => {
  t = await startTestDaemon()
  seam = SeamHttp.fromApiKey(t.apiKey, { endpoint: t.url })
  const devices = await seam.devices.list()
  const byName = (n: string) => devices.find((d) => d.display_name === n)!
  const [front, back, gym, office] = [byName('Front Door'), byName('Back Door'), byName('Gym'), byName('Office')]
  const anna = await seam.userIdentities.create({ full_name: 'Anna Smith', email_address: 'anna@example.com' })
  const bob = await seam.userIdentities.create({ full_name: 'Bob Jones', email_address: 'bob@example.com' })
  const annaGrant = await seam.accessGrants.create({ user_identity_id: anna.user_identity_id, device_ids: [front.device_id, back.device_id], requested_access_methods: [{ mode: 'code', code: '1357' }] })
  const bobGrant = await seam.accessGrants.create({ user_identity_id: bob.user_identity_id, device_ids: [gym.device_id, office.device_id], requested_access_methods: [{ mode: 'code', code: '2468' }] })
  // The front door is shared: Bob has a code there too, which Anna's portal must never see.
  await seam.accessGrants.create({ user_identity_id: bob.user_identity_id, device_ids: [front.device_id], requested_access_methods: [{ mode: 'code', code: '9753' }] })
  const space = await seam.spaces.create({ name: 'Gym wing', device_ids: [gym.device_id], customer_key: 'other-customer' })
  const entrance = (await seam.acs.entrances.list())[0]!
  const system = (await seam.acs.systems.list())[0]!
  const encoder = (await seam.acs.encoders.list({ acs_system_id: system.acs_system_id }))[0]!
  const attempt = await seam.locks.unlockDoor({ device_id: gym.device_id }, { waitForActionAttempt: false })
  const gymCode = (await seam.accessCodes.list({ device_id: gym.device_id }))[0]!
  const frontCodes = await seam.accessCodes.list({ device_id: front.device_id })
  const frontCode = frontCodes.find((c) => c.code === '1357')!
  const bobFrontCode = frontCodes.find((c) => c.code === '9753')!
  const gymEvent = (await seam.events.list({ since: SINCE, device_id: gym.device_id }))[0]!
  const bobSession = await seam.clientSessions.create({ user_identity_id: bob.user_identity_id })
  const session = await seam.clientSessions.create({ user_identity_id: anna.user_identity_id, user_identifier_key: 'anna-portal' })
  token = session.token
  Object.assign(own, {
    device: front.device_id, back: back.device_id, access_code: frontCode.access_code_id, user_identity: anna.user_identity_id,
    access_grant: annaGrant.access_grant_id, access_method: annaGrant.access_method_ids[0]!, client_session: session.client_session_id,
    connected_accounts: [...new Set([front.connected_account_id, back.connected_account_id])].join(','),
  })
  Object.assign(foreign, {
    device: gym.device_id, access_code: gymCode.access_code_id, user_identity: bob.user_identity_id, access_grant: bobGrant.access_grant_id,
    access_method: bobGrant.access_method_ids[0]!, shared_door_code: bobFrontCode.access_code_id, space: space.space_id, acs_entrance: entrance.acs_entrance_id, acs_system: system.acs_system_id,
    acs_encoder: encoder.acs_encoder_id, action_attempt: attempt.action_attempt_id, event: gymEvent.event_id, client_session: bobSession.client_session_id,
    connected_account: office.connected_account_id,
  })
}, 60_000)
afterAll(async () => t?.stop())

type Probe = { params: Record<string, unknown>; notFound?: string; list?: [key: string, idField: string, expected: () => string[]] }
// An unknown user identity is a 400 everywhere in lockstep (as in Seam's fake); every other unknown id a 404.
const statusOf = (type: string) => (type === 'user_identity_not_found' ? 400 : 404)
// One or more probes per route the session may use. `notFound`: the error type expected (as for an unknown id).
const PROBES: Record<string, (() => Probe[])> = {
  '/devices/list': () => [{ params: {}, list: ['devices', 'device_id', () => [own.device!, own.back!]] }, { params: { device_ids: [foreign.device] }, list: ['devices', 'device_id', () => []] }],
  '/devices/get': () => [{ params: { device_id: foreign.device }, notFound: 'device_not_found' }, { params: { name: 'Gym' }, notFound: 'device_not_found' }],
  '/locks/list': () => [{ params: {}, list: ['locks', 'device_id', () => [own.device!, own.back!]] }],
  '/locks/get': () => [{ params: { device_id: foreign.device }, notFound: 'device_not_found' }],
  '/locks/lock_door': () => [{ params: { device_id: foreign.device }, notFound: 'device_not_found' }],
  '/locks/unlock_door': () => [{ params: { device_id: foreign.device }, notFound: 'device_not_found' }],
  '/access_codes/list': () => [{ params: { device_id: foreign.device }, notFound: 'device_not_found' }, { params: { device_id: own.device }, list: ['access_codes', 'access_code_id', () => [own.access_code!]] }, { params: { access_code_ids: [foreign.access_code, own.access_code] }, list: ['access_codes', 'access_code_id', () => [own.access_code!]] }],
  '/access_codes/get': () => [{ params: { access_code_id: foreign.access_code }, notFound: 'access_code_not_found' }, { params: { access_code_id: foreign.shared_door_code }, notFound: 'access_code_not_found' }, { params: { device_id: foreign.device, code: '2468' }, notFound: 'device_not_found' }],
  '/access_codes/generate_code': () => [{ params: { device_id: foreign.device }, notFound: 'device_not_found' }],
  '/access_codes/create': () => [{ params: { device_id: foreign.device, code: '5555', name: 'intruder' }, notFound: 'device_not_found' }],
  '/access_codes/create_multiple': () => [{ params: { device_ids: [own.device, foreign.device], code: '5556' }, notFound: 'device_not_found' }],
  '/access_codes/update': () => [{ params: { access_code_id: foreign.access_code, name: 'intruder' }, notFound: 'access_code_not_found' }],
  '/access_codes/delete': () => [{ params: { access_code_id: foreign.access_code }, notFound: 'access_code_not_found' }, { params: { access_code_id: foreign.shared_door_code }, notFound: 'access_code_not_found' }],
  '/access_codes/unmanaged/list': () => [{ params: { device_id: foreign.device }, notFound: 'device_not_found' }],
  '/access_codes/unmanaged/get': () => [{ params: { device_id: foreign.device, code: '2468' }, notFound: 'device_not_found' }],
  '/access_codes/unmanaged/convert_to_managed': () => [{ params: { access_code_id: foreign.access_code }, notFound: 'access_code_not_found' }],
  '/access_codes/unmanaged/delete': () => [{ params: { access_code_id: foreign.access_code }, notFound: 'access_code_not_found' }],
  '/events/list': () => [{ params: { since: SINCE, device_id: foreign.device }, notFound: 'device_not_found' }, { params: { since: SINCE, event_ids: [foreign.event] }, list: ['events', 'event_id', () => []] }],
  '/events/get': () => [{ params: { event_id: foreign.event }, notFound: 'event_not_found' }],
  '/action_attempts/get': () => [{ params: { action_attempt_id: foreign.action_attempt }, notFound: 'action_attempt_not_found' }],
  '/acs/systems/list': () => [{ params: {}, list: ['acs_systems', 'acs_system_id', () => []] }],
  '/acs/systems/get': () => [{ params: { acs_system_id: foreign.acs_system }, notFound: 'acs_system_not_found' }],
  '/acs/entrances/list': () => [{ params: {}, list: ['acs_entrances', 'acs_entrance_id', () => []] }],
  '/acs/entrances/get': () => [{ params: { acs_entrance_id: foreign.acs_entrance }, notFound: 'acs_entrance_not_found' }],
  '/spaces/list': () => [{ params: {}, list: ['spaces', 'space_id', () => []] }],
  '/spaces/get': () => [{ params: { space_id: foreign.space }, notFound: 'space_not_found' }],
  '/user_identities/list': () => [{ params: {}, list: ['user_identities', 'user_identity_id', () => [own.user_identity!]] }],
  '/user_identities/get': () => [{ params: { user_identity_id: foreign.user_identity }, notFound: 'user_identity_not_found' }],
  '/access_grants/list': () => [{ params: {}, list: ['access_grants', 'access_grant_id', () => [own.access_grant!]] }, { params: { user_identity_id: foreign.user_identity }, notFound: 'user_identity_not_found' }],
  '/access_grants/get': () => [{ params: { access_grant_id: foreign.access_grant }, notFound: 'access_grant_not_found' }],
  '/access_methods/list': () => [{ params: { access_grant_id: foreign.access_grant }, notFound: 'access_grant_not_found' }, { params: { device_id: own.device }, list: ['access_methods', 'access_method_id', () => [own.access_method!]] }],
  '/access_methods/get': () => [{ params: { access_method_id: foreign.access_method }, notFound: 'access_method_not_found' }],
  '/client_sessions/get': () => [{ params: { client_session_id: foreign.client_session }, notFound: 'client_session_not_found' }],
  '/devices/update': () => [{ params: { device_id: foreign.device, name: 'intruder' }, notFound: 'device_not_found' }],
  '/access_codes/unmanaged/update': () => [{ params: { access_code_id: foreign.access_code, is_managed: true }, notFound: 'access_code_not_found' }],
  '/action_attempts/list': () => [{ params: { device_id: foreign.device }, notFound: 'device_not_found' }, { params: { action_attempt_ids: [foreign.action_attempt] }, list: ['action_attempts', 'action_attempt_id', () => []] }],
  '/connected_accounts/list': () => [{ params: {}, list: ['connected_accounts', 'connected_account_id', () => own.connected_accounts!.split(',')] }],
  '/connected_accounts/get': () => [{ params: { connected_account_id: foreign.connected_account }, notFound: 'connected_account_not_found' }],
  '/user_identities/list_accessible_devices': () => [{ params: { user_identity_id: foreign.user_identity }, notFound: 'user_identity_not_found' }, { params: { user_identity_id: own.user_identity }, list: ['devices', 'device_id', () => [own.device!, own.back!]] }],
  '/user_identities/list_accessible_entrances': () => [{ params: { user_identity_id: foreign.user_identity }, notFound: 'user_identity_not_found' }],
}

describe('every route has a client-session decision and a probe', () => {
  test('the route table is fully classified', () => {
    const paths = [...new Set(registeredRoutes(t.daemon.app).map((r) => r.path))]
    expect(paths.length).toBeGreaterThan(50)
    const undecided = paths.filter((p) => clientSessionAccess(p) === undefined)
    expect(undecided, 'routes without a decision in src/api/client-session-policy.ts').toEqual([])
    const unprobed = paths.filter((p) => clientSessionAccess(p) !== 'forbidden' && !PROBES[p])
    expect(unprobed, 'routes a client session may use without a probe in this test').toEqual([])
  })

  test('write routes name resources only through parameters the guard checks', () => {
    // A write route that took a resource by some other parameter (a key, a name) would act before the answer
    // could be checked: only guarded id parameters, or plain values, may reach a write handler.
    const reference = /(_id|_ids|_key|_keys)$/
    const plainValues = new Set(['common_code_key'])
    for (const r of registeredRoutes(t.daemon.app)) {
      if (clientSessionAccess(r.path) !== 'write') continue
      const shape = (r.params as any)._zod?.def?.shape ?? (r.params as any)._zod?.def?.in?._zod?.def?.shape ?? {}
      const refs = Object.keys(shape).filter((k) => reference.test(k) && !plainValues.has(k) && !GUARDED_PARAMETERS.includes(k))
      expect(refs, r.path).toEqual([])
    }
  })

  test('forbidden routes answer 403 forbidden and do nothing', async () => {
    const forbiddenPaths = [...new Set(registeredRoutes(t.daemon.app).map((r) => r.path))].filter((p) => clientSessionAccess(p) === 'forbidden')
    expect(forbiddenPaths).toEqual(expect.arrayContaining(['/access_grants/create', '/client_sessions/create', '/customers/push_data', '/lab/clock/advance']))
    const spacesBefore = (await seam.spaces.list()).length
    for (const path of forbiddenPaths) {
      const r = await call(path, path === '/spaces/create' ? { name: 'sneaky' } : {})
      expect([path, r.status, r.body.error?.type]).toEqual([path, 403, 'forbidden'])
    }
    expect((await seam.spaces.list()).length).toBe(spacesBefore)
  })

  test('out of scope is answered as if it did not exist', async () => {
    const gymCodesBefore = (await seam.accessCodes.list({ device_id: foreign.device! })).map((c) => c.access_code_id).sort()
    const frontCodesBefore = (await seam.accessCodes.list({ device_id: own.device! })).length
    for (const [path, probes] of Object.entries(PROBES)) {
      if (!registeredRoutes(t.daemon.app).some((r) => r.path === path)) continue
      for (const probe of probes()) {
        const r = await call(path, probe.params)
        if (probe.notFound) {
          expect([path, probe.params, r.status, r.body.error?.type]).toEqual([path, probe.params, statusOf(probe.notFound), probe.notFound])
        } else {
          const [key, field, expected] = probe.list!
          expect([path, r.status]).toEqual([path, 200])
          expect([path, (r.body[key] as any[]).map((x) => x[field]).sort()]).toEqual([path, expected().sort()])
        }
      }
    }
    // Nothing changed behind the 404s: the other guest's code is still there, no code was added anywhere.
    expect((await seam.accessCodes.list({ device_id: foreign.device! })).map((c) => c.access_code_id).sort()).toEqual(gymCodesBefore)
    expect((await seam.accessCodes.list({ device_id: own.device! })).length).toBe(frontCodesBefore)
  })

  test('an unknown id answers exactly like another guest\'s, and like an unknown id for an API key', async () => {
    const nobody = '00000000-0000-4000-8000-000000000000'
    for (const [path, field, other] of [['/devices/get', 'device_id', 'device'], ['/user_identities/get', 'user_identity_id', 'user_identity'], ['/access_grants/get', 'access_grant_id', 'access_grant']] as const) {
      const unknown = await call(path, { [field]: nobody })
      const foreignOne = await call(path, { [field]: foreign[other] })
      const withKey = await call(path, { [field]: nobody }, t.apiKey)
      expect([path, unknown.status, unknown.body.error.type]).toEqual([path, foreignOne.status, foreignOne.body.error.type])
      expect([path, unknown.status, unknown.body.error.type]).toEqual([path, withKey.status, withKey.body.error.type])
    }
  })
})

describe('what the session may do', () => {
  test('reads and changes its own doors', async () => {
    const got = await call('/devices/get', { device_id: own.device })
    expect(schemas.device.parse(got.body.device).device_id).toBe(own.device)
    const created = await call('/access_codes/create', { device_id: own.device, code: '8642', name: 'Portal' })
    expect(created.status).toBe(200)
    expect(schemas.access_code.parse(created.body.access_code).device_id).toBe(own.device)
    const events = await call('/events/list', { since: SINCE })
    expect(events.status).toBe(200)
    expect(events.body.events.length).toBeGreaterThan(0)
    for (const e of events.body.events) expect([own.device, own.back]).toContain(e.device_id ?? own.device)
    expect(events.body.events.some((e: any) => e.access_code_id === created.body.access_code.access_code_id)).toBe(true)
    // Bob's code on the shared front door: none of its events either.
    expect(events.body.events.filter((e: any) => e.access_code_id === foreign.shared_door_code)).toEqual([])
    const deleted = await call('/access_codes/delete', { access_code_id: created.body.access_code.access_code_id })
    expect(deleted.status).toBe(200)
    // The official SDK (2.32, semantic verbs) with the token: the same scope.
    const asGuest = SeamHttp.fromClientSessionToken(token, { endpoint: t.url })
    expect((await asGuest.devices.list()).map((d) => d.device_id).sort()).toEqual([own.device, own.back].sort())
    const err = await asGuest.devices.get({ device_id: foreign.device! }).catch((e: any) => e)
    expect([err.statusCode, err.code]).toEqual([404, 'device_not_found'])
    const mine = await call('/client_sessions/get', {})
    expect(schemas.client_session.parse(mine.body.client_session)).toMatchObject({ client_session_id: own.client_session, device_count: 2, user_identity_id: own.user_identity })
  })
})

describe('card doors', () => {
  test('a guest with a card grant reaches that entrance and its system, not the other entrances; encoders stay forbidden', async () => {
    const entrances = await seam.acs.entrances.list()
    expect(entrances.length).toBeGreaterThan(1)
    const mine = entrances.find((e) => e.acs_entrance_id !== foreign.acs_entrance)!
    const cara = await seam.userIdentities.create({ full_name: 'Cara Diaz', email_address: 'cara@example.com' })
    const grant = await seam.accessGrants.create({ user_identity_id: cara.user_identity_id, acs_entrance_ids: [mine.acs_entrance_id], requested_access_methods: [{ mode: 'card' }] })
    const s = await seam.clientSessions.create({ user_identity_id: cara.user_identity_id })
    expect((await call('/acs/entrances/list', {}, s.token)).body.acs_entrances.map((e: any) => e.acs_entrance_id)).toEqual([mine.acs_entrance_id])
    expect((await call('/acs/systems/list', {}, s.token)).body.acs_systems.map((x: any) => x.acs_system_id)).toEqual([mine.acs_system_id])
    expect((await call('/acs/entrances/get', { acs_entrance_id: foreign.acs_entrance }, s.token)).status).toBe(404)
    expect((await call('/access_methods/get', { access_method_id: grant.access_method_ids[0] }, s.token)).status).toBe(200)
    expect((await call('/devices/list', {}, s.token)).body.devices).toEqual([])
    expect((await call('/access_methods/encode', { access_method_id: grant.access_method_ids[0], acs_encoder_id: foreign.acs_encoder }, s.token)).status).toBe(403)
  })
})

describe('client_sessions routes (API key)', () => {
  test('create, get, get_or_create, list, grant_access, revoke match Seam\'s schema and behave', async () => {
    const s = await seam.clientSessions.create({ user_identifier_key: 'kiosk-1' })
    schemas.client_session.parse(s)
    expect(s).toMatchObject({ user_identifier_key: 'kiosk-1', device_count: 0, connected_account_ids: [], user_identity_ids: [] })
    // Nothing granted yet: the token sees no door.
    expect((await call('/devices/list', {}, s.token)).body.devices).toEqual([])
    // get_or_create finds it by key and adds the connected account of the Office lock (Nuki).
    const again = await seam.clientSessions.getOrCreate({ user_identifier_key: 'kiosk-1', connected_account_ids: [foreign.connected_account!] })
    expect(again.client_session_id).toBe(s.client_session_id)
    expect(again.token).toBe(s.token)
    expect((await call('/devices/list', {}, s.token)).body.devices.map((d: any) => d.display_name)).toEqual(['Office'])
    // grant_access adds a user identity: its grant's doors join.
    await seam.clientSessions.grantAccess({ client_session_id: s.client_session_id, user_identity_id: own.user_identity })
    const got = await seam.clientSessions.get({ client_session_id: s.client_session_id })
    expect(got).toMatchObject({ user_identity_id: own.user_identity, device_count: 3 })
    expect((await seam.clientSessions.get({ user_identifier_key: 'kiosk-1' })).client_session_id).toBe(s.client_session_id)
    // A second user identity on one session is refused, by name.
    const second = await seam.clientSessions.grantAccess({ client_session_id: s.client_session_id, user_identity_id: foreign.user_identity }).catch((e: any) => e)
    expect(second.statusCode).toBe(400)
    // list filters.
    const listed = await seam.clientSessions.list({ user_identifier_key: 'kiosk-1' })
    expect(listed.map((x) => x.client_session_id)).toEqual([s.client_session_id])
    for (const x of await seam.clientSessions.list()) schemas.client_session.parse(x)
    expect((await seam.clientSessions.list({ without_user_identifier_key: true })).every((x) => x.user_identifier_key === null)).toBe(true)
    expect(await seam.clientSessions.list({ connect_webview_id: '00000000-0000-4000-8000-000000000000' })).toEqual([])
    // create with a taken key: use get_or_create.
    const dup = await seam.clientSessions.create({ user_identifier_key: 'kiosk-1' }).catch((e: any) => e)
    expect([dup.statusCode, dup.code]).toEqual([409, 'client_session_already_exists'])
    // Refused parameters are named.
    const webview = await seam.clientSessions.create({ connect_webview_ids: ['cw_1'] }).catch((e: any) => e)
    expect([webview.statusCode, webview.code, webview.message]).toEqual([400, 'invalid_input', expect.stringContaining('Connect Webviews')])
    expect(webview.getValidationErrorMessages('connect_webview_ids').join()).toMatch(/Connect Webviews/)
    const past = await seam.clientSessions.create({ expires_at: '2001-01-01T00:00:00Z' }).catch((e: any) => e)
    expect(past.statusCode).toBe(400)
    // revoke: the token stops working at once; get answers 404; a second revoke is ok.
    await seam.clientSessions.revoke({ client_session_id: s.client_session_id })
    const after = await call('/devices/list', {}, s.token)
    expect([after.status, after.body.error.type]).toEqual([401, 'unauthorized'])
    expect((await seam.clientSessions.get({ client_session_id: s.client_session_id }).catch((e: any) => e)).statusCode).toBe(404)
    await seam.clientSessions.revoke({ client_session_id: s.client_session_id })
    const deleted = await seam.events.list({ since: SINCE, event_type: 'client_session.deleted' })
    expect(deleted.filter((e: any) => e.client_session_id === s.client_session_id)).toHaveLength(1)
    for (const e of deleted) schemas.seam_event.parse(e)
  })

  test('a session for a customer_key reaches that customer\'s spaces and their doors', async () => {
    const s = await seam.clientSessions.create({ customer_key: 'other-customer' })
    expect(s).toMatchObject({ customer_key: 'other-customer', device_count: 1 })
    expect((await call('/devices/list', {}, s.token)).body.devices.map((d: any) => d.device_id)).toEqual([foreign.device])
    expect((await call('/spaces/list', {}, s.token)).body.spaces.map((x: any) => x.space_id)).toEqual([foreign.space])
    expect((await call('/devices/get', { device_id: own.device }, s.token)).status).toBe(404)
  })

  test('an expired token is refused; an unknown one too; a publishable key is refused in words', async () => {
    const now = Date.parse((await call('/lab/clock/get', {}, t.apiKey)).body.clock.now)
    const s = await seam.clientSessions.create({ user_identity_id: own.user_identity, expires_at: new Date(now + 60_000).toISOString() })
    expect((await call('/devices/list', {}, s.token)).status).toBe(200)
    // The lab clock moves past its expiry: the token is refused, the session still shows when it ended.
    expect((await call('/lab/clock/advance', { seconds: 120 }, t.apiKey)).status).toBe(200)
    expect((await call('/devices/list', {}, s.token)).status).toBe(401)
    expect((await seam.clientSessions.get({ client_session_id: s.client_session_id })).expires_at).toBe(new Date(now + 60_000).toISOString())
    const fresh = await seam.clientSessions.create({ user_identity_id: own.user_identity })
    expect((await call('/devices/list', {}, 'seam_cst_not_a_real_token')).status).toBe(401)
    const pk = await fetch(t.url + '/client_sessions/get_or_create', { method: 'POST', headers: { 'seam-publishable-key': 'seam_pk_123', 'content-type': 'application/json' }, body: '{"user_identifier_key":"x"}' })
    expect(pk.status).toBe(401)
    expect(((await pk.json()) as any).error.message).toMatch(/publishable/)
    // The client-session-token header alone works too (the SDK sends both).
    const r = await fetch(t.url + '/devices/list', { headers: { 'client-session-token': fresh.token } })
    expect(r.status).toBe(200)
  })
})

describe('CORS', () => {
  test('preflight allows the SDK\'s headers; answers are readable cross-origin only with a client session token', async () => {
    const origin = 'http://portal.example'
    const pre = await fetch(t.url + '/devices/list', {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,client-session-token,content-type,seam-sdk-name,seam-sdk-version' },
    })
    expect(pre.status).toBe(204)
    expect(pre.headers.get('access-control-allow-origin')).toBe(origin)
    expect(pre.headers.get('access-control-allow-headers')).toContain('client-session-token')
    const odd = await fetch(t.url + '/devices/list', { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'x-evil' } })
    expect(odd.headers.get('access-control-allow-origin')).toBeNull()
    const withSession = await call('/devices/list', {}, token, { origin })
    expect(withSession.headers.get('access-control-allow-origin')).toBe(origin)
    const withKey = await call('/devices/list', {}, t.apiKey, { origin })
    expect(withKey.status).toBe(200)
    expect(withKey.headers.get('access-control-allow-origin')).toBeNull()
  })
})
