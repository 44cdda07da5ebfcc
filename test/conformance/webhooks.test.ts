// Webhooks against Seam's own pieces: the SDKs (2.32 and 1.x) drive /webhooks/*, @seamapi/types' schema
// checks the webhook, and the official @seamapi/webhook (Svix) verifies every delivery — and rejects a
// tampered body or a stale timestamp, so the signature is real.
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { SeamHttp, SeamHttpInvalidInputError } from '@seamapi/http'
import { SeamWebhook, SeamWebhookVerificationError } from '@seamapi/webhook'
import { schemas, SeamHttpV1 } from 'seam-schemas'
import { signedHeaders } from '../../src/events/signature.js'
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js'
import { eventually } from '../helpers/eventually.js'
import { startReceiver, type Receiver } from '../../testkit/webhook-receiver.js'

let t: TestDaemon
let seam: SeamHttp
let receiver: Receiver
let deviceId: string

beforeAll(async () => {
  receiver = await startReceiver()
  t = await startTestDaemon({
    mode: 'serve',
    patch: (c) => ({
      ...c,
      webhooks: { ...c.webhooks, allow_loopback: true },
      locks: [{ name: 'Front', driver: 'zigbee2mqtt', native_id: 'front', manufacturer: 'Yale', model: 'YRD256', device_type: 'yale_lock', slots: 250, code_length: [4, 8], alphabet: '0123456789', no_leading_zero: false, name_rules: { max_length: 16, charset: 'printable_ascii', unique: false }, expose_pin: true }],
    }),
  })
  seam = SeamHttp.fromApiKey(t.apiKey, { endpoint: t.url })
  deviceId = (await seam.devices.list())[0]!.device_id
})
afterAll(async () => {
  await t?.stop()
  await receiver?.close()
})

describe('/webhooks/* with both SDK generations', () => {
  test('create answers Seam\'s webhook with a whsec_ secret; get, list, update, delete follow', async () => {
    const created = await seam.webhooks.create({ url: receiver.url + '/crud', event_types: ['access_code.set_on_device'] })
    const w = schemas.webhook.parse(created)
    expect(w.secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/)
    expect(Buffer.from(w.secret!.slice(6), 'base64').length).toBeGreaterThanOrEqual(24)
    expect(w.event_types).toEqual(['access_code.set_on_device'])

    const v1 = SeamHttpV1.fromApiKey(t.apiKey, { endpoint: t.url })
    expect((await v1.webhooks.get({ webhook_id: w.webhook_id })).secret).toBe(w.secret)
    expect((await seam.webhooks.list()).map((x) => x.webhook_id)).toContain(w.webhook_id)
    expect((await v1.webhooks.list()).map((x) => x.webhook_id)).toContain(w.webhook_id)
    await seam.webhooks.update({ webhook_id: w.webhook_id, event_types: ['lock.unlocked', 'lock.locked'] })
    expect((await seam.webhooks.get({ webhook_id: w.webhook_id })).event_types).toEqual(['lock.unlocked', 'lock.locked'])
    await v1.webhooks.update({ webhook_id: w.webhook_id, event_types: ['device.*'] })
    expect((await v1.webhooks.get({ webhook_id: w.webhook_id })).event_types).toEqual(['device.*'])
    await seam.webhooks.delete({ webhook_id: w.webhook_id })
    await expect(seam.webhooks.get({ webhook_id: w.webhook_id })).rejects.toMatchObject({ code: 'webhook_not_found', statusCode: 404 })
    await v1.webhooks.delete({ webhook_id: w.webhook_id }) // a repeated delete is not an error
  })

  test('event_types defaults to every Seam event', async () => {
    const w = await seam.webhooks.create({ url: receiver.url + '/default' })
    expect(w.event_types).toEqual(['*'])
    await seam.webhooks.delete({ webhook_id: w.webhook_id })
  })

  test('refused URLs and unknown parameters are invalid_input naming the field', async () => {
    for (const url of ['ftp://example.com/x', 'http://169.254.169.254/latest', 'http://metadata.google.internal/', 'http://[fe80::1]/', 'http://10.1.2.3/', 'http://192.168.1.5:8080/', 'not a url']) {
      const err = await seam.webhooks.create({ url }).catch((e: unknown) => e)
      expect(err, url).toBeInstanceOf(SeamHttpInvalidInputError)
      expect((err as SeamHttpInvalidInputError).getValidationErrorMessages('url').length, url).toBeGreaterThan(0)
    }
    const res = await fetch(`${t.url}/webhooks/create`, {
      method: 'POST',
      headers: { authorization: `Bearer ${t.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ url: receiver.url, secret: 'whsec_mine' }),
    })
    expect(res.status).toBe(400)
    expect(JSON.stringify(await res.json())).toContain('secret')
    expect((await seam.webhooks.list()).length).toBe(0)
  })
})

describe('deliveries', () => {
  test('@seamapi/webhook verifies every delivery; a tampered body or a stale timestamp is rejected', async () => {
    const hook = await seam.webhooks.create({ url: receiver.url + '/all' })
    const verifier = new SeamWebhook(hook.secret!)
    const mine = () => receiver.received.filter((r) => r.headers['svix-signature'] && r.status === 200)
    const created: string[] = []
    for (let i = 0; i < 5; i++) created.push((await seam.accessCodes.create({ device_id: deviceId, code: String(4000 + i), name: `guest ${i}` })).access_code_id)
    await eventually(() => {
      const ids = mine().map((r) => JSON.parse(r.body)).filter((e) => e.event_type === 'access_code.created').map((e) => e.access_code_id)
      expect(ids).toEqual(expect.arrayContaining(created))
    })
    for (const r of mine()) {
      const event = verifier.verify(r.body, r.headers)
      expect(event.event_id).toBe(r.headers['svix-id'])
      expect(r.headers['webhook-id']).toBe(r.headers['svix-id'])
      expect(r.headers['content-type']).toBe('application/json')
      schemas.seam_event.parse(event)
    }
    const sample = mine()[0]!
    expect(() => verifier.verify(sample.body.replace('"event_type"', '"event_type" '), sample.headers)).toThrow(SeamWebhookVerificationError)
    const body = JSON.parse(sample.body)
    expect(() => verifier.verify(JSON.stringify({ ...body, access_code_id: '00000000-0000-4000-8000-000000000000' }), sample.headers)).toThrow(SeamWebhookVerificationError)
    // The timestamp is signed: moving it breaks the signature; a correct signature over an old timestamp is too old.
    const old = Math.floor(Date.now() / 1000) - 600
    expect(() => verifier.verify(sample.body, { ...sample.headers, 'svix-timestamp': String(old) })).toThrow(SeamWebhookVerificationError)
    expect(() => verifier.verify(sample.body, signedHeaders(hook.secret!, body.event_id, old * 1000, sample.body))).toThrow(/too old/)
    expect(verifier.verify(sample.body, signedHeaders(hook.secret!, body.event_id, Date.now(), sample.body)).event_id).toBe(body.event_id)
    // Another webhook's secret does not verify it.
    const other = await seam.webhooks.create({ url: receiver.url + '/other' })
    expect(() => new SeamWebhook(other.secret!).verify(sample.body, sample.headers)).toThrow(SeamWebhookVerificationError)
    await seam.webhooks.delete({ webhook_id: other.webhook_id })
    await seam.webhooks.delete({ webhook_id: hook.webhook_id })
  })

  test('a lockstep-only event reaches only a webhook that names it', async () => {
    const seamOnly = await seam.webhooks.create({ url: receiver.url + '/seam-only' })
    const named = await seam.webhooks.create({ url: receiver.url + '/named', event_types: ['lockstep.test_probe'] })
    const family = await seam.webhooks.create({ url: receiver.url + '/family', event_types: ['lockstep.*'] })
    const store = t.daemon.store
    const probe = store.tx(() => store.events.append({ event_type: 'lockstep.test_probe' }))
    const code = await seam.accessCodes.create({ device_id: deviceId, code: '5151', name: 'after the probe' })
    const bodies = (secret: string) => receiver.received.flatMap((r) => {
      try {
        return [new SeamWebhook(secret).verify(r.body, r.headers) as { event_id: string; event_type: string; access_code_id?: string }]
      } catch {
        return []
      }
    })
    // In order per endpoint: once the code's event arrived, the probe before it was passed over.
    await eventually(() => expect(bodies(seamOnly.secret!).some((e) => e.access_code_id === code.access_code_id)).toBe(true))
    await eventually(() => expect(bodies(named.secret!).map((e) => e.event_id)).toEqual([probe.event_id]))
    await eventually(() => expect(bodies(family.secret!).map((e) => e.event_id)).toContain(probe.event_id))
    expect(bodies(seamOnly.secret!).some((e) => e.event_type.startsWith('lockstep.'))).toBe(false)
    expect(bodies(family.secret!).some((e) => !e.event_type.startsWith('lockstep.'))).toBe(false)
    for (const w of [seamOnly, named, family]) await seam.webhooks.delete({ webhook_id: w.webhook_id })
  })
})
