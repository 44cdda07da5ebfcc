// Random request bodies and queries on every route: the answer is 200 or a clear 4xx in Seam's
// envelope — never a 500 — and a refused request changes nothing in the store.
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import fc from 'fast-check'
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js'
import { expectClearAnswer, labStarted, storeSnapshot } from '../helpers/refusal.js'
import { createCode } from '../../src/app/access-codes.js'

let t: TestDaemon
let deviceId: string
let codeId: string

beforeAll(async () => {
  // No drivers: the only writer is the API, so a refused request must leave the store exactly as it was.
  t = await startTestDaemon({ daemon: { lockDrivers: [] } })
  await labStarted(t)
  deviceId = t.daemon.store.devices.list()[0]!.deviceId
  codeId = t.daemon.store.tx(() => createCode(t.daemon.store, {
    deviceId, name: 'seed', code: '2468', startsAt: null, endsAt: null, allowExternalModification: false, isOneTimeUse: false, commonCodeKey: null, preferredCodeLength: null,
  })).accessCodeId
})
afterAll(async () => t?.stop())


const fields = [
  'device_id', 'device_ids', 'access_code_id', 'access_code_ids', 'code', 'name', 'starts_at', 'ends_at', 'limit', 'page_cursor',
  'allow_external_modification', 'is_external_modification_allowed', 'type', 'since', 'between', 'event_id', 'event_type',
  'action_attempt_id', 'preferred_code_length', 'behavior_when_code_cannot_be_shared', 'search', 'common_code_key',
]
// Values that look almost right: real ids, codes, dates, plus junk of every JSON type.
const value = fc.oneof(
  fc.constantFrom(() => deviceId, () => codeId).map((f) => f()),
  fc.constantFrom('', '0', '1234', '12', 'abcd', '99999999999999', '2026-01-01T00:00:00Z', '2020-01-01', 'not-a-uuid', '00000000-0000-4000-8000-000000000000', 'ongoing', 'time_bound', 'throw'),
  fc.string(), fc.integer(), fc.double(), fc.boolean(), fc.constant(null),
  fc.array(fc.oneof(fc.string(), fc.integer(), fc.constant(null)), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.string(), { maxKeys: 2 }),
)
const body = fc.dictionary(fc.oneof(fc.constantFrom(...fields), fc.string({ maxLength: 8 })), value, { maxKeys: 6 })

const routes = [
  '/access_codes/create', '/access_codes/create_multiple', '/access_codes/get', '/access_codes/list', '/access_codes/update',
  '/access_codes/delete', '/access_codes/generate_code', '/access_codes/unmanaged/list', '/access_codes/unmanaged/get',
  '/access_codes/unmanaged/convert_to_managed', '/access_codes/unmanaged/delete', '/devices/list', '/devices/get', '/locks/list',
  '/locks/get', '/locks/lock_door', '/locks/unlock_door', '/action_attempts/get', '/events/list', '/events/get',
]

describe('bad input never breaks the daemon', () => {
  test.each(routes)('POST %s with random JSON bodies', async (url) => {
    await fc.assert(
      fc.asyncProperty(body, (payload) => expectClearAnswer(t, { method: 'POST', url, payload })),
      { numRuns: 150 },
    )
  })

  test('GET/DELETE query strings with random keys and values', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...routes), fc.constantFrom('GET', 'DELETE'), fc.array(fc.tuple(fc.oneof(fc.constantFrom(...fields), fc.string({ maxLength: 6 })), fc.string({ maxLength: 40 })), { maxLength: 6 }), async (url, method, pairs) => {
        const qs = new URLSearchParams(pairs).toString()
        await expectClearAnswer(t, { method, url: `${url}${qs ? '?' + qs : ''}` })
      }),
      { numRuns: 1000 },
    )
  })

  test('malformed bodies: broken JSON, arrays, wrong content type', async () => {
    const cases = [
      { payload: '{"device_id":', type: 'application/json' },
      { payload: '[1,2]', type: 'application/json' },
      { payload: '"x"', type: 'application/json' },
    ]
    for (const c of cases) {
      const before = storeSnapshot(t.daemon.store)
      const res = await t.daemon.app.inject({ method: 'POST', url: '/access_codes/create', headers: { authorization: `Bearer ${t.apiKey}`, 'content-type': c.type }, payload: c.payload })
      expect(res.statusCode).toBe(400)
      expect(res.json().error.type).toBe('invalid_input')
      expect(storeSnapshot(t.daemon.store)).toBe(before)
    }
  })

  test('a body that is not JSON is 415 in the envelope, even when its text is JSON; an empty body of any type is {} (SDK 1.x)', async () => {
    const json = JSON.stringify({ device_id: deviceId, code: '1357' })
    for (const [type, payload] of [['text/plain', json], ['text/plain; charset=utf-8', json], ['application/x-www-form-urlencoded', 'device_id=1'], ['text/xml', '<xml/>']]) {
      const before = storeSnapshot(t.daemon.store)
      const res = await t.daemon.app.inject({ method: 'POST', url: '/access_codes/create', headers: { authorization: `Bearer ${t.apiKey}`, 'content-type': type! }, payload })
      expect([type, res.statusCode]).toEqual([type, 415])
      expect(res.json()).toMatchObject({ ok: false, error: { type: 'invalid_content_type', message: expect.stringContaining('application/json') } })
      expect(storeSnapshot(t.daemon.store)).toBe(before)
    }
    for (const type of ['application/x-www-form-urlencoded', 'text/plain', 'application/json']) {
      const res = await t.daemon.app.inject({ method: 'POST', url: '/devices/list', headers: { authorization: `Bearer ${t.apiKey}`, 'content-type': type }, payload: '' })
      expect([type, res.statusCode]).toEqual([type, 200])
    }
  })

  test('wrong types say what was expected and what came', async () => {
    const post = async (url: string, payload: Record<string, unknown> | string) =>
      (await t.daemon.app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${t.apiKey}`, 'content-type': 'application/json' }, payload: typeof payload === 'string' ? payload : JSON.stringify(payload) })).json().error
    expect((await post('/access_codes/create', { device_id: 12345 })).message).toBe('Invalid input: device_id: expected string, got number')
    expect((await post('/access_codes/create', { device_id: deviceId, code: 123456 })).message).toBe('Invalid input: code: expected string, got number')
    expect((await post('/access_codes/create', {})).message).toBe('Invalid input: device_id: Required')
    expect((await post('/access_codes/create', { device_id: null })).message).toBe('Invalid input: device_id: expected string, got null')
    expect((await post('/access_codes/list', { device_id: deviceId, limit: 1.5 })).message).toBe('Invalid input: limit: expected integer, got 1.5')
    expect((await post('/access_codes/list', { device_id: deviceId, limit: '5' })).validation_errors.limit._errors).toEqual(['expected number, got string'])
    expect((await post('/access_codes/list', '{"device_id":"' + deviceId + '","limit":1e400}')).message).toBe('Invalid input: limit: expected a finite number, got a number too large to represent')
  })

  test('control and bidi-override characters in names are refused with a clear 400, changing nothing', async () => {
    // Its own code: the random requests above may have deleted the shared seed.
    const codeId = t.daemon.store.tx(() => createCode(t.daemon.store, {
      deviceId, name: 'names', code: '1357', startsAt: null, endsAt: null, allowExternalModification: false, isOneTimeUse: false, commonCodeKey: null, preferredCodeLength: null,
    })).accessCodeId
    for (const bad of ['a\u0000b', 'Room\u0007', 'x\u0085y', 'Anna\u202egnp.exe', 'a\u2066b\u2069', 'line\nbreak']) {
      const before = storeSnapshot(t.daemon.store)
      for (const payload of [{ device_id: deviceId, name: bad }]) {
        const res = await t.daemon.app.inject({ method: 'POST', url: '/access_codes/create', headers: { authorization: `Bearer ${t.apiKey}`, 'content-type': 'application/json' }, payload: JSON.stringify(payload) })
        expect([JSON.stringify(bad), res.statusCode]).toEqual([JSON.stringify(bad), 400])
        expect(res.json().error).toMatchObject({ type: 'invalid_input', message: expect.stringMatching(/^Invalid input: name: must not contain control or bidirectional-override characters \(found U\+[0-9A-F]{4} at position \d+\)$/) })
      }
      const nested = await t.daemon.app.inject({ method: 'POST', url: '/access_codes/update', headers: { authorization: `Bearer ${t.apiKey}`, 'content-type': 'application/json' }, payload: JSON.stringify({ access_code_id: codeId, name: bad }) })
      expect(nested.statusCode).toBe(400)
      expect(storeSnapshot(t.daemon.store)).toBe(before)
    }
    // Names in any script, with emoji and ordinary punctuation, still pass.
    const ok = await t.daemon.app.inject({ method: 'POST', url: '/access_codes/update', headers: { authorization: `Bearer ${t.apiKey}`, 'content-type': 'application/json' }, payload: JSON.stringify({ access_code_id: codeId, name: 'Zoë – 王 – مريم 🙂' }) })
    expect(ok.statusCode, ok.body).toBe(200)
  })
})
