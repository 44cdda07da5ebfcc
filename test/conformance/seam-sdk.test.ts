// The official SDK (2.32, and 1.x for the POST style) drives the daemon; every response body is checked
// against @seamapi/types' zod schemas.
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { z } from 'zod'
import {
  SeamHttp, SeamHttpApiError, SeamHttpInvalidInputError, SeamHttpUnauthorizedError,
} from '@seamapi/http'
import { schemas, SeamHttpV1 } from 'seam-schemas'
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js'
import { eventually } from '../helpers/eventually.js'

let t: TestDaemon
let seam: SeamHttp
let deviceId: string
let otherDeviceId: string

const envelope = (key: string) => z.object({ ok: z.literal(true), [key]: z.unknown() })
const listEnvelope = (key: string) =>
  z.object({ ok: z.literal(true), [key]: z.array(z.unknown()), pagination: z.object({ has_next_page: z.boolean(), next_page_cursor: z.string().nullable(), next_page_url: z.string().nullable() }) })

beforeAll(async () => {
  t = await startTestDaemon()
  seam = SeamHttp.fromApiKey(t.apiKey, { endpoint: t.url })
  const devices = await seam.devices.list()
  deviceId = devices[0]!.device_id
  otherDeviceId = devices[1]!.device_id
})
afterAll(async () => t?.stop())

describe('devices and locks', () => {
  test('devices.list and devices.get match the device schema', async () => {
    const body = (await seam.devices.list().fetchResponse()) as any
    listEnvelope('devices').parse(body)
    expect(body.devices.length).toBe(4) // three Zigbee locks and the Nuki Office
    for (const d of body.devices) schemas.device.parse(d)
    const one = (await seam.devices.get({ device_id: deviceId }).fetchResponse()) as any
    envelope('device').parse(one)
    expect(schemas.device.parse(one.device).device_id).toBe(deviceId)
    expect((await seam.devices.get({ name: 'Back Door' })).device_id).toBe(otherDeviceId)
  })

  test('the paginator walks devices one page at a time', async () => {
    const pages: string[][] = []
    const paginator = seam.createPaginator(seam.devices.list({ limit: 1 }))
    for await (const page of paginator) pages.push(page.map((d) => d.device_id))
    expect(pages).toHaveLength(4)
    expect(new Set(pages.flat()).size).toBe(4)
  })

  test('locks.list returns devices and locks; locks.get both keys', async () => {
    const body = (await seam.locks.list().fetchResponse()) as any
    expect(body.locks).toEqual(body.devices)
    const got = (await seam.locks.get({ device_id: deviceId }).fetchResponse()) as any
    schemas.device.parse(got.lock)
  })

  test('unlock and lock are action attempts the SDK waits for; the lock reports its state', async () => {
    const wait = { waitForActionAttempt: { pollingInterval: 50, timeout: 8000 } }
    const unlocked = await seam.locks.unlockDoor({ device_id: deviceId }, wait)
    expect(schemas.action_attempt.parse(unlocked)).toMatchObject({ status: 'success', action_type: 'UNLOCK_DOOR' })
    await eventually(async () => expect((await seam.locks.get({ device_id: deviceId })).properties.locked).toBe(false))
    await seam.locks.lockDoor({ device_id: deviceId }, wait)
    await eventually(async () => expect((await seam.locks.get({ device_id: deviceId })).properties.locked).toBe(true))
    const types = (await seam.events.list({ device_id: deviceId, since: '2000-01-01T00:00:00Z' })).map((e) => e.event_type)
    expect(types).toEqual(expect.arrayContaining(['lock.unlocked', 'lock.locked', 'action_attempt.unlock_door.succeeded']))
  })

  test('unknown device is 404 device_not_found', async () => {
    const err = await seam.devices.get({ device_id: '00000000-0000-4000-8000-000000000000' }).catch((e: any) => e)
    expect(err).toBeInstanceOf(SeamHttpApiError)
    expect(err.statusCode).toBe(404)
    expect(err.code).toBe('device_not_found')
  })
})

describe('access codes', () => {
  test('create, get, list, update, delete through the SDK', async () => {
    const created = (await seam.accessCodes.create({ device_id: deviceId, name: 'Anna Smith, Reservation-12345', code: '4826' }).fetchResponse()) as any
    envelope('access_code').parse(created)
    const code = schemas.access_code.parse(created.access_code)
    expect(code).toMatchObject({ code: '4826', status: 'setting', type: 'ongoing', is_managed: true, is_external_modification_allowed: false })
    expect(created.access_code.appearance).toEqual({ name: 'Anna Smith, Rese' }) // Yale in the lab config: 16 characters

    const got = (await seam.accessCodes.get({ access_code_id: code.access_code_id }).fetchResponse()) as any
    expect(schemas.access_code.parse(got.access_code).access_code_id).toBe(code.access_code_id)
    const byCode = await seam.accessCodes.get({ device_id: deviceId, code: '4826' })
    expect(byCode.access_code_id).toBe(code.access_code_id)

    await seam.accessCodes.update({ access_code_id: code.access_code_id, name: 'Anna S.', starts_at: '2030-01-01T15:00:00Z', ends_at: '2030-01-05T11:00:00.000Z' })
    const updated = schemas.access_code.parse(await seam.accessCodes.get({ access_code_id: code.access_code_id }))
    expect(updated).toMatchObject({ name: 'Anna S.', type: 'time_bound', starts_at: '2030-01-01T15:00:00.000Z', status: 'unset' })

    await seam.accessCodes.delete({ access_code_id: code.access_code_id })
    await seam.accessCodes.delete({ access_code_id: code.access_code_id }) // a retried delete is not an error
    const err = await seam.accessCodes.get({ access_code_id: code.access_code_id }).catch((e: any) => e)
    expect(err.code).toBe('access_code_not_found')
    expect(err.statusCode).toBe(404)
  })

  test('a generated code fits the device and lists paginate', async () => {
    const ids: string[] = []
    for (let i = 0; i < 5; i++) ids.push((await seam.accessCodes.create({ device_id: otherDeviceId, name: `Guest ${i}` })).access_code_id)
    const first = (await seam.accessCodes.get({ access_code_id: ids[0]! }))
    expect(first.code).toMatch(/^\d{6}$/)
    const walked: string[] = []
    for await (const page of seam.createPaginator(seam.accessCodes.list({ device_id: otherDeviceId, limit: 2 }))) {
      for (const c of page) walked.push(schemas.access_code.parse(c).access_code_id)
    }
    expect(walked).toEqual(ids)
    const generated = (await seam.accessCodes.generateCode({ device_id: otherDeviceId }).fetchResponse()) as any
    expect(generated.generated_code.device_id).toBe(otherDeviceId)
    expect(generated.generated_code.code).toMatch(/^\d{6}$/)
  })

  test('names follow the manufacturer rules in appearance', async () => {
    // Back Door (Kwikset in the lab config): 12 characters, letters/digits/spaces, unique names.
    const a = (await seam.accessCodes.create({ device_id: otherDeviceId, name: 'Zoë & Max 🎉 Room 7' }).fetchResponse()) as any
    const b = (await seam.accessCodes.create({ device_id: otherDeviceId, name: 'Zoë & Max 🎉 Room 7' }).fetchResponse()) as any
    expect(a.access_code.appearance.name).toBe('Zoe Max Room')
    expect(b.access_code.appearance.name).toBe('Zoe Max Ro 2')
  })

  test('bad input is 400 invalid_input naming the field', async () => {
    const bad = await seam.accessCodes.create({ device_id: deviceId, code: '12' }).catch((e: any) => e)
    expect(bad).toBeInstanceOf(SeamHttpInvalidInputError)
    expect(bad.getValidationErrorMessages('code')[0]).toMatch(/4 to 8 digits/)
    const letters = await seam.accessCodes.create({ device_id: deviceId, code: '12ab' }).catch((e: any) => e)
    expect(letters).toBeInstanceOf(SeamHttpInvalidInputError)
    const window = await seam.accessCodes.create({ device_id: deviceId, starts_at: '2030-01-02T00:00:00Z', ends_at: '2030-01-01T00:00:00Z' }).catch((e: any) => e)
    expect(window.getValidationErrorMessages('ends_at')[0]).toMatch(/after starts_at/)
  })

  test('unknown device on create is 404 and a duplicate code is refused', async () => {
    const missing = await seam.accessCodes.create({ device_id: '00000000-0000-4000-8000-000000000000', code: '1234' }).catch((e: any) => e)
    expect(missing.statusCode).toBe(404)
    expect(missing.code).toBe('device_not_found')
    await seam.accessCodes.create({ device_id: deviceId, code: '9753' })
    const dup = await seam.accessCodes.create({ device_id: deviceId, code: '9753' }).catch((e: any) => e)
    expect(dup).toBeInstanceOf(SeamHttpApiError)
    expect(dup.code).toBe('duplicate_access_code')
    expect(dup.message).not.toContain('9753')
  })

  test('create_multiple shares one code across devices and a retried PUT makes no second batch', async () => {
    const made = await seam.accessCodes.createMultiple({ device_ids: [deviceId, otherDeviceId], name: 'Cleaner' })
    expect(made).toHaveLength(2)
    expect(made[0]!.code).toBe(made[1]!.code)
    expect(made[0]!.common_code_key).toBeTruthy()
    for (const c of made) schemas.access_code.parse(c)
  })

  test('a wrong API key is 401', async () => {
    const wrong = SeamHttp.fromApiKey('seam_wrong_key_123456', { endpoint: t.url })
    const err = await wrong.devices.list().catch((e: any) => e)
    expect(err).toBeInstanceOf(SeamHttpUnauthorizedError)
  })
})

describe('unmanaged access codes', () => {
  test('list, get, convert to managed, delete', async () => {
    // The rows below are planted in the store, not on the lock. Between drift checks a pass decides from
    // the lock's last readings, so it would report them gone at once: plant them while the lock is out of
    // radio range, where the reconciler leaves it alone, and bring it back afterwards.
    await t.daemon.reconciler.idle()
    const sim = t.daemon.lab!.control.lock(deviceId)!
    const online = (want: boolean) => eventually(async () => expect((await seam.devices.get({ device_id: deviceId })).properties.online).toBe(want), 10_000)
    await sim.setOnline(false)
    await online(false)
    const unmanaged = t.daemon.store.tx(() => t.daemon.store.accessCodes.createUnmanaged(deviceId, 7, '8642', 'Owner'))
    const list = (await seam.accessCodes.unmanaged.list({ device_id: deviceId }).fetchResponse()) as any
    listEnvelope('access_codes').parse(list)
    expect(list.access_codes.map((c: any) => schemas.unmanaged_access_code.parse(c).access_code_id)).toContain(unmanaged.accessCodeId)
    const got = await seam.accessCodes.unmanaged.get({ access_code_id: unmanaged.accessCodeId })
    expect(schemas.unmanaged_access_code.parse(got).is_managed).toBe(false)

    await seam.accessCodes.unmanaged.convertToManaged({ access_code_id: unmanaged.accessCodeId, allow_external_modification: true })
    const managed = schemas.access_code.parse(await seam.accessCodes.get({ access_code_id: unmanaged.accessCodeId }))
    expect(managed.is_external_modification_allowed).toBe(true)

    const other = t.daemon.store.tx(() => t.daemon.store.accessCodes.createUnmanaged(deviceId, 8, '7531', null))
    await seam.accessCodes.unmanaged.delete({ access_code_id: other.accessCodeId })
    const after = await seam.accessCodes.unmanaged.list({ device_id: deviceId })
    expect(after.map((c) => c.access_code_id)).not.toContain(other.accessCodeId)
    await sim.setOnline(true)
    await online(true)
  })
})

describe('events', () => {
  test('events.list returns Seam events in order, each valid', async () => {
    const body = (await seam.events.list({ since: '2000-01-01T00:00:00Z' }).fetchResponse()) as any
    listEnvelope('events').parse(body)
    expect(body.events.length).toBeGreaterThan(5)
    for (const e of body.events) schemas.seam_event.parse(e)
    const types = body.events.map((e: any) => e.event_type)
    expect(types).toContain('access_code.created')
    expect(types).toContain('access_code.deleted')
    const one = await seam.events.get({ event_id: body.events[0].event_id })
    expect(one.event_id).toBe(body.events[0].event_id)
  })
})

describe('SDK 1.x (POST style)', () => {
  test('the same routes answer POST with JSON bodies', async () => {
    const v1 = SeamHttpV1.fromApiKey(t.apiKey, { endpoint: t.url })
    const devices = await v1.devices.list()
    expect(devices).toHaveLength(4)
    const created = await v1.accessCodes.create({ device_id: deviceId, name: 'v1 guest' })
    schemas.access_code.parse(created)
    await v1.accessCodes.update({ access_code_id: created.access_code_id, name: 'v1 guest renamed' })
    expect((await v1.accessCodes.get({ access_code_id: created.access_code_id })).name).toBe('v1 guest renamed')
    await v1.accessCodes.delete({ access_code_id: created.access_code_id })
    const list = await v1.accessCodes.list({ device_id: deviceId })
    expect(list.map((c: any) => c.access_code_id)).not.toContain(created.access_code_id)
  })
})
