// Issue 15 §2/§3 through the official SDK 2.32: routes that hand out ids can look them up, access codes
// behave as Seam promises. Every resource is parsed with @seamapi/types' zod schemas; every parameter
// lockstep does not implement is refused with a 400 naming it. Over 400 lines on purpose: one lab daemon serves
// every group (each file starts its own, with simulators), and the groups share its helpers.
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { SeamHttp, SeamHttpApiError, SeamHttpInvalidInputError } from '@seamapi/http'
import { schemas, SeamHttpV1 } from 'seam-schemas'
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js'
import { labClient } from '../helpers/lab-client.js'
import { eventually } from '../helpers/eventually.js'

const WAIT = { waitForActionAttempt: { pollingInterval: 100, timeout: 20_000 } } as const
const HOUR = 3_600_000
const DAY = 24 * HOUR
const iso = (ms: number) => new Date(ms).toISOString()

let t: TestDaemon
let seam: SeamHttp
let lab: ReturnType<typeof labClient>
let devices: Record<string, string>
const ent: Record<string, string> = {}
let encoder: string

/** A raw call (the SDK hides extra fields and top-level keys). */
async function raw(method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE', path: string, params: Record<string, unknown> = {}): Promise<{ status: number; body: any }> {
  const query = method === 'GET' || method === 'DELETE'
  const url = query ? `${t.url}${path}?${new URLSearchParams(params as Record<string, string>)}` : `${t.url}${path}`
  const res = await fetch(url, {
    method,
    headers: { authorization: `Bearer ${t.apiKey}`, ...(query ? {} : { 'content-type': 'application/json' }) },
    ...(query ? {} : { body: JSON.stringify(params) }),
  })
  return { status: res.status, body: await res.json() }
}

/** A 400 invalid_input whose message names `param`. */
async function expectRefused(call: Promise<unknown>, param: string): Promise<void> {
  const err = await call.then(() => undefined, (e: unknown) => e)
  expect(err, `expected ${param} to be refused`).toBeInstanceOf(SeamHttpInvalidInputError)
  expect((err as SeamHttpApiError).statusCode).toBe(400)
  expect((err as Error).message).toContain(param)
}

beforeAll(async () => {
  t = await startTestDaemon({ daemon: { encoderCardWaitMs: 1500 } })
  seam = SeamHttp.fromApiKey(t.apiKey, { endpoint: t.url })
  lab = labClient(t.url, t.apiKey)
  devices = Object.fromEntries((await seam.devices.list()).map((d) => [d.display_name, d.device_id]))
  for (const e of await seam.acs.entrances.list()) ent[e.display_name] = e.acs_entrance_id
  encoder = (await seam.acs.encoders.list())[0]!.acs_encoder_id
})
afterAll(async () => t?.stop())

describe('the site: workspace, connected accounts, action attempts', () => {
  test('workspaces.get is the site', async () => {
    const w = schemas.workspace.parse(await seam.workspaces.get())
    expect(w).toMatchObject({ name: 'lockstep lab property', is_sandbox: true, is_suspended: false })
    await expectRefused(seam.workspaces.get({ nonsense: 1 } as any), 'nonsense')
  })

  test('each driver of the box is a connected account; every device and entrance names one that exists', async () => {
    const accounts = await seam.connectedAccounts.list()
    for (const a of accounts) schemas.connected_account.parse(a)
    expect(accounts.map((a) => a.display_name).sort()).toEqual(['Nuki Bluetooth LE', 'PN532 card encoder and offline card locks', 'Zigbee2MQTT broker'])
    const ids = new Set(accounts.map((a) => a.connected_account_id))
    for (const d of await seam.devices.list()) expect(ids.has(d.connected_account_id)).toBe(true)
    for (const e of await seam.acs.entrances.list()) expect(ids.has(e.connected_account_id)).toBe(true)
    const nuki = (await seam.devices.get({ device_id: devices.Office! })).connected_account_id
    const got = schemas.connected_account.parse(await seam.connectedAccounts.get({ connected_account_id: nuki }))
    expect(got.display_name).toBe('Nuki Bluetooth LE')
    const missing = await seam.connectedAccounts.get({ connected_account_id: '00000000-0000-4000-8000-000000000000' }).catch((e) => e)
    expect(missing).toMatchObject({ statusCode: 404, code: 'connected_account_not_found' })
  })

  test('connected_accounts.list filters narrow and unknown parameters are refused by name', async () => {
    expect((await seam.connectedAccounts.list({ search: 'nuki' })).map((a) => a.display_name)).toEqual(['Nuki Bluetooth LE'])
    expect(await seam.connectedAccounts.list({ custom_metadata_has: { unit: '12' } })).toEqual([])
    const space = await seam.spaces.create({ name: `Only the office ${Date.now()}`, device_ids: [devices.Office!] })
    expect((await seam.connectedAccounts.list({ space_id: space.space_id })).map((a) => a.display_name)).toEqual(['Nuki Bluetooth LE'])
    const page = await seam.connectedAccounts.list({ limit: 1 }).fetchResponse() as any
    expect(page.connected_accounts).toHaveLength(1)
    expect(page.pagination.has_next_page).toBe(true)
    await expectRefused(seam.connectedAccounts.list({ customer_key: 'c1' }), 'customer_key')
    await expectRefused(seam.connectedAccounts.list({ user_identifier_key: 'u1' }), 'user_identifier_key')
    await expectRefused(seam.connectedAccounts.get({ email: 'a@example.com' } as any), 'email')
  })

  test('action_attempts.list lists a device\'s attempts, valid, filtered by id', async () => {
    const a = await seam.locks.unlockDoor({ device_id: devices['Front Door']! }, WAIT)
    const b = await seam.locks.lockDoor({ device_id: devices['Front Door']! }, WAIT)
    const listed = await seam.actionAttempts.list({ device_id: devices['Front Door']! })
    for (const x of listed) schemas.action_attempt.parse(x)
    expect(listed.map((x) => x.action_attempt_id)).toEqual(expect.arrayContaining([a.action_attempt_id, b.action_attempt_id]))
    expect((await seam.actionAttempts.list({ device_id: devices.Gym! }))).toEqual([])
    expect((await seam.actionAttempts.list({ action_attempt_ids: [b.action_attempt_id] })).map((x) => x.action_attempt_id)).toEqual([b.action_attempt_id])
    const err = await seam.actionAttempts.list({ device_id: '00000000-0000-4000-8000-000000000000' }).catch((e) => e)
    expect(err).toMatchObject({ statusCode: 404, code: 'device_not_found' })
  })
})

describe('acs credentials: the cards the encoder issued', () => {
  const now = async () => Date.parse((await lab('clock/get')).clock.now)
  async function cardFor(room: string, key: string, from: number, to: number) {
    const u = await seam.userIdentities.create({ full_name: `Guest ${key}`, email_address: `${key}@example.com` })
    const g = await seam.accessGrants.create({
      user_identity_id: u.user_identity_id, acs_entrance_ids: [ent[room]!], starts_at: iso(from), ends_at: iso(to),
      requested_access_methods: [{ mode: 'card' }], reservation_key: key,
    })
    const method = (await seam.accessMethods.list({ access_grant_id: g.access_grant_id })).find((m) => m.mode === 'card')!.access_method_id
    const cardId = (await lab('cards/create')).card.card_id
    await lab('encoders/place_card', { acs_encoder_id: encoder, card_id: cardId })
    try {
      const attempt = await seam.accessMethods.encode({ access_method_id: method, acs_encoder_id: encoder }, WAIT)
      return { user: u.user_identity_id, credential: (attempt.result as any).acs_credential_id as string }
    } finally {
      await lab('encoders/remove_card', { acs_encoder_id: encoder })
    }
  }

  test('list/get show validity, doors and override; delete forgets only a card that opens nothing', async () => {
    const T = await now()
    const first = await cardFor('Room 102', `cred-a-${T}`, T - HOUR, T + DAY)
    const got = await seam.acs.credentials.get({ acs_credential_id: first.credential })
    schemas.acs_credential.parse(got)
    const body = (await raw('GET', '/acs/credentials/get', { acs_credential_id: first.credential })).body
    expect(body.acs_credential.lockstep_metadata).toMatchObject({ acs_entrance_ids: [ent['Room 102']], is_valid: true, is_overridden: false, level: 'guest' })
    expect(got).toMatchObject({ access_method: 'card', is_issued: true, user_identity_id: first.user })

    // Still valid: the box cannot revoke an offline card, and says so.
    const refusedDelete = await seam.acs.credentials.delete({ acs_credential_id: first.credential }).catch((e) => e)
    expect(refusedDelete).toMatchObject({ statusCode: 409, code: 'cannot_revoke_offline_card' })

    // The next reservation for the room overrides it.
    const second = await cardFor('Room 102', `cred-b-${T}`, T - HOUR, T + 2 * DAY)
    const after = (await raw('GET', '/acs/credentials/get', { acs_credential_id: first.credential })).body.acs_credential
    expect(after.lockstep_metadata).toMatchObject({ is_valid: false, is_overridden: true, overridden_by_acs_credential_ids: [second.credential] })

    const all = await seam.acs.credentials.list()
    for (const c of all) schemas.acs_credential.parse(c)
    expect(all.map((c) => c.acs_credential_id)).toEqual(expect.arrayContaining([first.credential, second.credential]))
    expect((await seam.acs.credentials.list({ user_identity_id: second.user })).map((c) => c.acs_credential_id)).toEqual([second.credential])
    expect(await seam.acs.credentials.list({ created_before: iso(T - DAY) })).toEqual([])
    expect(await seam.acs.credentials.list({ is_multi_phone_sync_credential: true })).toEqual([])
    expect((await seam.acs.credentials.list({ search: `cred-b-${T}` })).map((c) => c.acs_credential_id)).toEqual([second.credential])
    await expectRefused(seam.acs.credentials.list({ acs_user_id: '00000000-0000-4000-8000-000000000000' }), 'acs_user_id')

    await seam.acs.credentials.delete({ acs_credential_id: first.credential })
    await seam.acs.credentials.delete({ acs_credential_id: first.credential }) // a repeat is fine
    expect((await seam.acs.credentials.list()).map((c) => c.acs_credential_id)).not.toContain(first.credential)
    expect(await seam.acs.credentials.get({ acs_credential_id: first.credential }).catch((e) => e)).toMatchObject({ statusCode: 404, code: 'acs_credential_not_found' })
    const events = await seam.events.list({ since: iso(T - DAY), event_type: 'acs_credential.deleted' })
    expect(events.map((e: any) => e.acs_credential_id)).toContain(first.credential)
    for (const e of events) schemas.seam_event.parse(e)
  })
})

describe('devices.update: name and custom_metadata on devices', () => {
  test('custom_metadata is stored, merged, and custom_metadata_has filters devices.list and locks.list', async () => {
    const gym = devices.Gym!
    await seam.devices.update({ device_id: gym, custom_metadata: { unit: '12', vip: true, gone: 'x' } })
    await seam.devices.update({ device_id: gym, custom_metadata: { gone: null } as any })
    const d = schemas.device.parse(await seam.devices.get({ device_id: gym }))
    expect(d.custom_metadata).toEqual({ unit: '12', vip: true })
    expect((await seam.devices.list({ custom_metadata_has: { unit: '12' } })).map((x) => x.device_id)).toEqual([gym])
    expect((await seam.devices.list({ custom_metadata_has: { unit: '12', vip: true } })).map((x) => x.device_id)).toEqual([gym])
    expect(await seam.devices.list({ custom_metadata_has: { unit: '12', vip: false } })).toEqual([])
    expect(await seam.devices.list({ custom_metadata_has: { gone: 'x' } })).toEqual([])
    expect((await seam.locks.list({ custom_metadata_has: { vip: true } } as any)).map((x) => x.device_id)).toEqual([gym])
    expect((await seam.devices.list({ custom_metadata_has: {} })).length).toBe(4)
  })

  test('a name shows as display_name and finds the device; null gives the configured name back', async () => {
    const back = devices['Back Door']!
    await seam.devices.update({ device_id: back, name: 'Service entrance' })
    expect(schemas.device.parse(await seam.devices.get({ device_id: back })).display_name).toBe('Service entrance')
    expect((await seam.devices.get({ name: 'Service entrance' })).device_id).toBe(back)
    // The driver rediscovering the lock (or a restart registering config) keeps the given name.
    const store = t.daemon.store
    const d = store.devices.get(back)
    store.tx(() => store.devices.upsert({ nativeId: d.nativeId, driver: d.driver, displayName: 'Back Door', manufacturer: d.manufacturer, model: d.model, deviceType: d.deviceType, constraints: d.constraints, online: true }))
    expect((await seam.devices.get({ device_id: back })).display_name).toBe('Service entrance')
    const events = await seam.events.list({ device_id: back, since: '2000-01-01T00:00:00Z', event_type: 'device.name_changed' })
    expect(events.at(-1)).toMatchObject({ device_name: 'Service entrance' })
    for (const e of events) schemas.seam_event.parse(e)
    await seam.devices.update({ device_id: back, properties: { name: null } })
    expect((await seam.devices.get({ device_id: back })).display_name).toBe('Back Door')
  })

  test('is_managed: false and unknown keys are refused by name; nothing changes', async () => {
    const gym = devices.Gym!
    await expectRefused(seam.devices.update({ device_id: gym, is_managed: false }), 'is_managed')
    await expectRefused(seam.devices.update({ device_id: gym, name: 'x', colour: 'red' } as any), 'colour')
    await expectRefused(seam.devices.update({ device_id: gym, custom_metadata: { k: 'v'.repeat(501) } }), 'custom_metadata')
    expect((await seam.devices.get({ device_id: gym })).display_name).toBe('Gym')
    await seam.devices.update({ device_id: gym, is_managed: true })
  })
})

describe('user identity access helpers, more access methods, get_related', () => {
  const grantSchema = schemas.batch.shape.access_grants.unwrap().element
  const batchSchema = schemas.batch

  test('grant_access_to_device gives the identity a code on that lock (a repeat changes nothing); revoke takes it away', async () => {
    const u = await seam.userIdentities.create({ full_name: 'Dana Staff', email_address: `dana-${Date.now()}@example.com` })
    const gym = devices.Gym!
    expect(await seam.userIdentities.listAccessibleDevices({ user_identity_id: u.user_identity_id })).toEqual([])
    await seam.userIdentities.grantAccessToDevice({ user_identity_id: u.user_identity_id, device_id: gym })
    await seam.userIdentities.grantAccessToDevice({ user_identity_id: u.user_identity_id, device_id: gym })
    const grants = await seam.accessGrants.list({ user_identity_id: u.user_identity_id })
    expect(grants).toHaveLength(1)
    grantSchema.parse(grants[0])
    const codes = await seam.accessCodes.list({ device_id: gym })
    const methods = await seam.accessMethods.list({ access_grant_id: grants[0]!.access_grant_id })
    expect(methods.map((m) => m.mode)).toEqual(['code'])
    expect(codes.some((c) => c.name === 'Dana Staff')).toBe(true)
    const body = (await seam.userIdentities.listAccessibleDevices({ user_identity_id: u.user_identity_id }).fetchResponse()) as any
    expect(body.devices.map((d: any) => schemas.device.parse(d).device_id)).toEqual([gym])
    expect(body.accessible_devices).toEqual(body.devices)

    await seam.userIdentities.revokeAccessToDevice({ user_identity_id: u.user_identity_id, device_id: gym })
    await seam.userIdentities.revokeAccessToDevice({ user_identity_id: u.user_identity_id, device_id: gym })
    expect(await seam.accessGrants.list({ user_identity_id: u.user_identity_id })).toEqual([])
    expect(await seam.userIdentities.listAccessibleDevices({ user_identity_id: u.user_identity_id })).toEqual([])
    expect((await seam.accessCodes.list({ device_id: gym })).some((c) => c.name === 'Dana Staff')).toBe(false)
  })

  test('revoke refuses, naming them, when other grants also open the lock; unknown ids are 404', async () => {
    const u = await seam.userIdentities.create({ full_name: 'Eli Guest', email_address: `eli-${Date.now()}@example.com` })
    const stay = await seam.accessGrants.create({ user_identity_id: u.user_identity_id, device_ids: [devices['Front Door']!], requested_access_methods: [{ mode: 'code' }] })
    const err = await seam.userIdentities.revokeAccessToDevice({ user_identity_id: u.user_identity_id, device_id: devices['Front Door']! }).catch((e: any) => e)
    expect(err).toMatchObject({ statusCode: 409, code: 'access_granted_by_other_access_grants' })
    expect(err.message).toContain(stay.access_grant_id)
    expect(await seam.userIdentities.grantAccessToDevice({ user_identity_id: u.user_identity_id, device_id: '00000000-0000-4000-8000-000000000000' }).catch((e) => e))
      .toMatchObject({ statusCode: 404, code: 'device_not_found' })
    await expectRefused(seam.userIdentities.grantAccessToDevice({ user_identity_id: u.user_identity_id, device_id: devices.Gym!, note: 'x' } as any), 'note')
  })

  test('list_accessible_entrances and request_access_methods: a card added to a code grant', async () => {
    const u = await seam.userIdentities.create({ full_name: 'Fay Guest', email_address: `fay-${Date.now()}@example.com` })
    const g = await seam.accessGrants.create({
      user_identity_id: u.user_identity_id, device_ids: [devices.Gym!], acs_entrance_ids: [ent.Pool!], requested_access_methods: [{ mode: 'code' }],
    })
    const entrances = await seam.userIdentities.listAccessibleEntrances({ user_identity_id: u.user_identity_id })
    expect(entrances.map((e) => schemas.acs_entrance.parse(e).acs_entrance_id)).toEqual([ent.Pool])
    const more = await seam.accessGrants.requestAccessMethods({ access_grant_id: g.access_grant_id, requested_access_methods: [{ mode: 'card' }] })
    grantSchema.parse(more)
    expect(more.requested_access_methods.map((r) => r.mode)).toEqual(['code', 'card'])
    expect(more.access_method_ids).toHaveLength(2)
    const card = (await seam.accessMethods.list({ access_grant_id: g.access_grant_id })).find((m) => m.mode === 'card')!
    expect(card).toMatchObject({ is_encoding_required: true, is_issued: false })
    const again = await seam.accessGrants.requestAccessMethods({ access_grant_id: g.access_grant_id, requested_access_methods: [{ mode: 'code' }] }).catch((e) => e)
    expect(again).toMatchObject({ statusCode: 409, code: 'access_method_already_requested' })
    await expectRefused(seam.accessGrants.requestAccessMethods({ access_grant_id: g.access_grant_id, requested_access_methods: [{ mode: 'card', instant_key_max_use_count: 2 }] }), 'instant_key_max_use_count')
  })

  test('spaces.getRelated and accessGrants.getRelated answer one valid batch; include/exclude narrow it', async () => {
    const space = await seam.spaces.create({ name: `Suite ${Date.now()}`, space_key: `suite-${Date.now()}`, device_ids: [devices.Gym!], acs_entrance_ids: [ent['Room 103']!] })
    const u = await seam.userIdentities.create({ full_name: 'Gus Guest', email_address: `gus-${Date.now()}@example.com` })
    const g = await seam.accessGrants.create({ user_identity_id: u.user_identity_id, space_ids: [space.space_id], requested_access_methods: [{ mode: 'code' }, { mode: 'card' }] })

    const related = batchSchema.parse(await seam.spaces.getRelated({ space_ids: [space.space_id] }))
    expect(related.spaces!.map((s) => s.space_id)).toEqual([space.space_id])
    expect(related.devices!.map((d) => d.device_id)).toEqual([devices.Gym])
    expect(related.acs_entrances!.map((e) => e.acs_entrance_id)).toEqual([ent['Room 103']])
    expect(related.connected_accounts!.map((a) => a.display_name).sort()).toEqual(['PN532 card encoder and offline card locks', 'Zigbee2MQTT broker'])
    expect(related.acs_systems).toHaveLength(1)
    expect(related.access_methods!.map((m) => m.mode).sort()).toEqual(['card', 'code'])
    const onlyDevices = await seam.spaces.getRelated({ space_keys: [space.space_key!], include: ['devices'] })
    expect(Object.keys(onlyDevices)).toEqual(['devices'])
    const noMethods = await seam.spaces.getRelated({ space_ids: [space.space_id], exclude: ['access_methods'] })
    expect(Object.keys(noMethods)).not.toContain('access_methods')

    const byGrant = batchSchema.parse(await seam.accessGrants.getRelated({ access_grant_ids: [g.access_grant_id] }))
    expect(byGrant.user_identities!.map((x) => x.user_identity_id)).toEqual([u.user_identity_id])
    expect(byGrant.spaces!.map((s) => s.space_id)).toEqual([space.space_id])
    expect(byGrant.devices!.map((d) => d.device_id)).toEqual([devices.Gym])
    expect(byGrant.access_methods).toHaveLength(2)
    expect(await seam.spaces.getRelated({ space_ids: ['00000000-0000-4000-8000-000000000000'] }).catch((e) => e)).toMatchObject({ statusCode: 404 })
    await expectRefused(seam.spaces.getRelated({ space_ids: [space.space_id], include: ['thermostats' as any] }), 'include')
  })
})

describe('access codes as Seam promises them', () => {
  test('common_code_key gives the same PIN across separate creates on different locks, or a clear error', async () => {
    const key = `cleaner-${Date.now()}`
    const a = schemas.access_code.parse(await seam.accessCodes.create({ device_id: devices['Front Door']!, name: 'Cleaner', common_code_key: key }))
    const b = schemas.access_code.parse(await seam.accessCodes.create({ device_id: devices['Back Door']!, name: 'Cleaner', common_code_key: key }))
    expect(b.code).toBe(a.code)
    expect(b.common_code_key).toBe(key)
    const same = await seam.accessCodes.create({ device_id: devices["Back Door"]!, common_code_key: key }).catch((e: any) => e)
    expect(same).toMatchObject({ statusCode: 409, code: 'cannot_share_code' })
    expect(same.message).not.toContain(a.code!)
    await expectRefused(seam.accessCodes.create({ device_id: devices.Gym!, common_code_key: key, code: a.code === '482615' ? '482616' : '482615' }), 'code')

    // Nuki takes six digits 1-9 only: a PIN with a zero cannot be shared there.
    const zeroKey = `zero-${Date.now()}`
    await seam.accessCodes.create({ device_id: devices.Gym!, common_code_key: zeroKey, code: '305172' })
    const nuki = await seam.accessCodes.create({ device_id: devices.Office!, common_code_key: zeroKey }).catch((e: any) => e)
    expect(nuki).toMatchObject({ statusCode: 409, code: 'cannot_share_code' })
    expect(nuki.message).toMatch(/digits 123456789/)

    // create_multiple joins the key's PIN too.
    const more = await seam.accessCodes.createMultiple({ device_ids: [devices.Gym!], common_code_key: key } as any)
    expect(more[0]!.code).toBe(a.code)

    // One keyed code cannot change its PIN alone; update_multiple changes name and time frame of all.
    await expectRefused(seam.accessCodes.update({ access_code_id: a.access_code_id, code: '715937' }), 'code')
    const T = Date.parse((await lab('clock/get')).clock.now)
    await seam.accessCodes.updateMultiple({ common_code_key: key, name: 'Cleaner (weekdays)', starts_at: iso(T + DAY), ends_at: iso(T + 2 * DAY) })
    for (const id of [a.access_code_id, b.access_code_id, more[0]!.access_code_id]) {
      const c = schemas.access_code.parse(await seam.accessCodes.get({ access_code_id: id }))
      expect(c).toMatchObject({ name: 'Cleaner (weekdays)', type: 'time_bound', starts_at: iso(T + DAY), code: a.code })
    }
    expect(await seam.accessCodes.updateMultiple({ common_code_key: 'no-such-key', name: 'x' }).catch((e) => e)).toMatchObject({ statusCode: 404 })
    await expectRefused(seam.accessCodes.updateMultiple({ common_code_key: key, name: 'x', code: '1234' } as any), 'code')
  })

  test('generate_code answers a whole access code that fits the lock and is stored nowhere', async () => {
    const g = schemas.access_code.parse(await seam.accessCodes.generateCode({ device_id: devices.Office! }))
    expect(g.device_id).toBe(devices.Office)
    expect(g.code).toMatch(/^[1-9]{6}$/)
    expect(await seam.accessCodes.get({ access_code_id: g.access_code_id }).catch((e) => e)).toMatchObject({ statusCode: 404 })
  })

  test('report_device_constraints narrows the code lengths new codes are checked and generated against', async () => {
    const gym = devices.Gym!
    await seam.accessCodes.reportDeviceConstraints({ device_id: gym, supported_code_lengths: [5] })
    const d = schemas.device.parse(await seam.devices.get({ device_id: gym }))
    expect(d.properties.supported_code_lengths).toEqual([5])
    expect((await seam.accessCodes.generateCode({ device_id: gym })).code).toMatch(/^\d{5}$/)
    await expectRefused(seam.accessCodes.create({ device_id: gym, code: '4321' }), 'code')
    await expectRefused(seam.accessCodes.reportDeviceConstraints({ device_id: gym, supported_code_lengths: [4, 6] }), 'supported_code_lengths')
    await expectRefused(seam.accessCodes.reportDeviceConstraints({ device_id: gym, supported_code_lengths: [10, 11] }), 'supported_code_lengths')
    await expectRefused(seam.accessCodes.reportDeviceConstraints({ device_id: gym, min_code_length: 6, max_code_length: 5 }), 'min_code_length')
    await expectRefused(seam.accessCodes.reportDeviceConstraints({ device_id: gym, min_code_length: 4, supported_code_lengths: [4] }), 'supported_code_lengths')
    await seam.accessCodes.reportDeviceConstraints({ device_id: gym, min_code_length: 4, max_code_length: 8 })
    expect((await seam.devices.get({ device_id: gym })).properties.supported_code_lengths).toEqual([4, 5, 6, 7, 8])
  })

  test('unmanaged/update converts with is_managed: true; false changes nothing; force is refused', async () => {
    // Planted in the store, not on the lock: plant it while the lock is out of radio range, where the
    // reconciler leaves it alone (between drift checks a pass would report it gone from the last readings).
    await t.daemon.reconciler.idle()
    const front = devices['Front Door']!
    const sim = t.daemon.lab!.control.lock(front)!
    const online = (want: boolean) => eventually(async () => expect((await seam.devices.get({ device_id: front })).properties.online).toBe(want), 10_000)
    await sim.setOnline(false)
    await online(false)
    const u = t.daemon.store.tx(() => t.daemon.store.accessCodes.createUnmanaged(front, 17, '864213', 'Owner'))
    await seam.accessCodes.unmanaged.update({ access_code_id: u.accessCodeId, is_managed: false })
    schemas.unmanaged_access_code.parse(await seam.accessCodes.unmanaged.get({ access_code_id: u.accessCodeId }))
    await expectRefused(seam.accessCodes.unmanaged.update({ access_code_id: u.accessCodeId, is_managed: false, allow_external_modification: true }), 'allow_external_modification')
    await expectRefused(seam.accessCodes.unmanaged.update({ access_code_id: u.accessCodeId, is_managed: true, force: true }), 'force')
    await seam.accessCodes.unmanaged.update({ access_code_id: u.accessCodeId, is_managed: true, is_external_modification_allowed: true })
    const managed = schemas.access_code.parse(await seam.accessCodes.get({ access_code_id: u.accessCodeId }))
    expect(managed).toMatchObject({ is_managed: true, is_external_modification_allowed: true })
    await sim.setOnline(true)
    await online(true)
  })
})

describe('backup access codes', () => {
  const pool = (deviceId: string) => t.daemon.store.accessCodes.backupPool(deviceId)

  test('a pool kept set on the lock, shown nowhere, pulled when a code needs it, refilled at once', async () => {
    const gym = devices.Gym!
    const T = Date.parse((await lab('clock/get')).clock.now)
    const before = (await seam.accessCodes.list({ device_id: gym })).map((c) => c.access_code_id)
    const guest = schemas.access_code.parse(await seam.accessCodes.create({
      device_id: gym, name: 'Late guest', use_backup_access_code_pool: true, starts_at: iso(T - HOUR), ends_at: iso(T + DAY),
    }))
    // The reconciler sets the pool on the lock: then a backup is available.
    await eventually(async () => expect((await seam.accessCodes.get({ access_code_id: guest.access_code_id })).is_backup_access_code_available).toBe(true), 15_000)
    const waiting = pool(gym)
    expect(waiting).toHaveLength(2)
    expect(waiting.every((b) => b.status === 'set')).toBe(true)
    expect(schemas.device.parse(await seam.devices.get({ device_id: gym })).properties.supports_backup_access_code_pool).toBe(true)
    // Not shown as codes, not in events.
    const listed = (await seam.accessCodes.list({ device_id: gym })).map((c) => c.access_code_id)
    expect(listed.filter((id) => !before.includes(id))).toEqual([guest.access_code_id])
    expect(await seam.accessCodes.get({ access_code_id: waiting[0]!.accessCodeId }).catch((e: any) => e)).toMatchObject({ statusCode: 404 })
    const events = await seam.events.list({ device_id: gym, since: iso(T - DAY) })
    expect(events.filter((e: any) => waiting.some((b) => b.accessCodeId === e.access_code_id))).toEqual([])

    const body = (await seam.accessCodes.pullBackupAccessCode({ access_code_id: guest.access_code_id }).fetchResponse()) as any
    const original = schemas.access_code.parse(body.access_code)
    const backup = schemas.access_code.parse(body.backup_access_code)
    expect(waiting.map((b) => b.accessCodeId)).toContain(backup.access_code_id)
    expect(original).toMatchObject({ pulled_backup_access_code_id: backup.access_code_id, is_backup_access_code_available: false })
    expect(original.warnings.map((w) => w.warning_code)).toContain('using_backup_access_code')
    expect(backup).toMatchObject({ is_backup: true, status: 'set', ends_at: iso(T + DAY), name: 'Late guest' })
    // The PIN already works at the door.
    expect((await lab('locks/enter_code', { device_id: gym, code: backup.code })).result.granted).toBe(true)
    const pulled = await seam.events.list({ access_code_id: guest.access_code_id, since: iso(T - DAY), event_type: 'access_code.backup_access_code_pulled' } as any)
    expect(pulled.map((e: any) => schemas.seam_event.parse(e) && e.backup_access_code_id)).toEqual([backup.access_code_id])
    // A repeat answers the same backup; the pool is refilled with a fresh PIN.
    const again = await seam.accessCodes.pullBackupAccessCode({ access_code_id: guest.access_code_id })
    expect(again.access_code_id).toBe(guest.access_code_id)
    expect(pool(gym)).toHaveLength(2)
    expect(pool(gym).map((b) => b.code)).not.toContain(backup.code)

    // The backup follows the code's time frame.
    await seam.accessCodes.update({ access_code_id: guest.access_code_id, ends_at: iso(T + 2 * DAY) })
    expect((await seam.accessCodes.get({ access_code_id: backup.access_code_id })).ends_at).toBe(iso(T + 2 * DAY))

    // Deleting the guest's code takes its backup with it.
    await seam.accessCodes.delete({ access_code_id: guest.access_code_id })
    expect(await seam.accessCodes.get({ access_code_id: backup.access_code_id }).catch((e: any) => e)).toMatchObject({ statusCode: 404 })
    await eventually(async () => expect((await lab('locks/enter_code', { device_id: gym, code: backup.code })).result.granted).toBe(false), 15_000)
  })

  test('pull needs use_backup_access_code_pool; devices.update switches a pool off and on', async () => {
    const office = devices.Office!
    const plain = await seam.accessCodes.create({ device_id: office, name: 'No pool' })
    expect(plain.is_backup_access_code_available).toBe(false)
    await expectRefused(seam.accessCodes.pullBackupAccessCode({ access_code_id: plain.access_code_id }), 'access_code_id')
    await seam.devices.update({ device_id: office, backup_access_code_pool_enabled: true })
    expect(pool(office)).toHaveLength(2)
    await seam.accessCodes.update({ access_code_id: plain.access_code_id, use_backup_access_code_pool: true } as any)
    await eventually(async () => expect((await seam.accessCodes.get({ access_code_id: plain.access_code_id })).is_backup_access_code_available).toBe(true), 15_000)
    const pins = pool(office).map((b) => b.code!)
    await seam.devices.update({ device_id: office, backup_access_code_pool_enabled: false })
    expect(pool(office)).toEqual([])
    await eventually(async () => {
      for (const pin of pins) expect((await lab('locks/enter_code', { device_id: office, code: pin })).result.granted).toBe(false)
    }, 15_000)
    expect((await seam.accessCodes.get({ access_code_id: plain.access_code_id })).is_backup_access_code_available).toBe(false)
  })
})

describe('SDK 1.x (POST style) on the new routes', () => {
  test('the same routes answer POST with JSON bodies', async () => {
    const v1 = SeamHttpV1.fromApiKey(t.apiKey, { endpoint: t.url }) as any
    schemas.workspace.parse(await v1.workspaces.get())
    const accounts = await v1.connectedAccounts.list()
    for (const a of accounts) schemas.connected_account.parse(a)
    expect(accounts).toHaveLength(3)
    schemas.access_code.parse(await v1.accessCodes.generateCode({ device_id: devices.Gym! }))
    await v1.devices.update({ device_id: devices.Gym!, custom_metadata: { floor: '2' } })
    expect((await v1.devices.list({ custom_metadata_has: { floor: '2' } })).map((d: any) => d.device_id)).toEqual([devices.Gym])
  })
})
