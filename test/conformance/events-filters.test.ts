// /events/list with the SDK: every documented filter filters (space, user identity, customer, ids), unknown
// parameters are refused by name, and lockstep-only events stay out of /events/list and /events/get unless
// asked for by type.
import { afterAll, beforeAll, expect, test } from 'vitest'
import { SeamHttp } from '@seamapi/http'
import { schemas } from 'seam-schemas'
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js'

let t: TestDaemon
let seam: SeamHttp
const since = '2000-01-01T00:00:00Z'
const lock = (name: string, native: string) => ({
  name, driver: 'zigbee2mqtt' as const, native_id: native, manufacturer: 'Yale', model: 'YRD256', device_type: 'yale_lock', slots: 250,
  code_length: [4, 8] as [number, number], alphabet: '0123456789', no_leading_zero: false,
  name_rules: { max_length: 16, charset: 'printable_ascii' as const, unique: false }, expose_pin: true,
})
let a: string
let b: string
let grantCodeId: string
let plainCodeId: string
let userIdentityId: string
let spaceA: string

beforeAll(async () => {
  t = await startTestDaemon({ mode: 'serve', patch: (c) => ({ ...c, locks: [lock('Room 1', 'r1'), lock('Room 2', 'r2')] }) })
  seam = SeamHttp.fromApiKey(t.apiKey, { endpoint: t.url })
  const devices = await seam.devices.list()
  a = devices.find((d) => d.display_name === 'Room 1')!.device_id
  b = devices.find((d) => d.display_name === 'Room 2')!.device_id
  spaceA = (await seam.spaces.create({ name: 'Unit 1', device_ids: [a] })).space_id
  await seam.spaces.create({ name: 'Unit 2', device_ids: [b], customer_key: 'cust-7' })
  const grant = await seam.accessGrants.create({ user_identity: { full_name: 'Guest One' }, device_ids: [a], requested_access_methods: [{ mode: 'code', code: '7391' }] })
  userIdentityId = grant.user_identity_id
  grantCodeId = (await seam.accessCodes.list({ device_id: a }))[0]!.access_code_id
  plainCodeId = (await seam.accessCodes.create({ device_id: b, code: '5511', name: 'staff' })).access_code_id
})
afterAll(async () => t?.stop())

const codesIn = (events: object[]) => new Set(events.map((e) => (e as { access_code_id?: string }).access_code_id).filter(Boolean))

test('space_id and space_ids: the events of the space\'s locks', async () => {
  const events = await seam.events.list({ since, space_id: spaceA })
  expect(events.length).toBeGreaterThan(0)
  for (const e of events) expect((e as { device_id?: string }).device_id).toBe(a)
  expect(codesIn(events)).toEqual(new Set([grantCodeId]))
  expect(await seam.events.list({ since, space_ids: [spaceA] })).toEqual(events)
})

test('user_identity_id: its grants, their methods and codes', async () => {
  const events = await seam.events.list({ since, user_identity_id: userIdentityId })
  const types = new Set(events.map((e) => e.event_type))
  expect(types).toContain('access_grant.created')
  expect(types).toContain('access_code.created')
  expect(codesIn(events)).toEqual(new Set([grantCodeId]))
  for (const e of events) schemas.seam_event.parse(e)
})

test('customer_key: what belongs to the customer (here a space and its lock)', async () => {
  const events = await seam.events.list({ since, customer_key: 'cust-7' })
  expect(codesIn(events)).toEqual(new Set([plainCodeId]))
  expect(await seam.events.list({ since, customer_key: 'nobody' })).toEqual([])
})

test('filters combine with AND; ids filter; connect_webview_id is refused by name (no Connect Webviews on a box)', async () => {
  const created = await seam.events.list({ since, device_ids: [a, b], event_type: 'access_code.created' })
  expect(codesIn(created)).toEqual(new Set([grantCodeId, plainCodeId]))
  expect(codesIn(await seam.events.list({ since, device_ids: [a, b], event_type: 'access_code.created', space_id: spaceA }))).toEqual(new Set([grantCodeId]))
  await expect(seam.events.list({ since, connect_webview_id: '00000000-0000-4000-8000-000000000001' })).rejects.toThrow(/connect_webview_id: not supported by lockstep/)
  const byAccount = await seam.events.list({ since, connected_account_id: (created[0] as { connected_account_id: string }).connected_account_id })
  expect(codesIn(byAccount)).toEqual(new Set([grantCodeId, plainCodeId]))
})

test('an unknown parameter is refused by name', async () => {
  const res = await fetch(`${t.url}/events/list`, {
    method: 'POST', headers: { authorization: `Bearer ${t.apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ since, room_number: '12' }),
  })
  expect(res.status).toBe(400)
  expect(JSON.stringify(await res.json())).toContain('room_number')
})

test('/events/get never returns a lockstep-only event unless asked for by type', async () => {
  const store = t.daemon.store
  const probe = store.tx(() => store.events.append({ event_type: 'lockstep.test_probe', device_id: a }))
  await expect(seam.events.get({ event_id: probe.event_id as string })).rejects.toMatchObject({ code: 'event_not_found' })
  const newest = await seam.events.get({ device_id: a })
  expect(newest?.event_type.startsWith('lockstep.')).toBe(false)
  const asked = (await seam.client.get('/events/get', { params: { event_id: probe.event_id, event_type: 'lockstep.test_probe' } })).data.event
  expect(asked.event_id).toBe(probe.event_id)
  expect((await seam.events.list({ since, device_id: a })).some((e) => e.event_type.startsWith('lockstep.'))).toBe(false)
})
