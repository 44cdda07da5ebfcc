// The uplink and the gateway on a real mosquitto with the shipped ACL, with in-memory request handlers:
// relay, idempotency by request id, offline/timeout answers, and the broker refusing a site's trespass.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import mqtt from 'mqtt'
import { startFleetBroker } from '../../testkit/fleet-broker.js'
import { findMosquitto, type Mosquitto } from '../../testkit/mosquitto.js'
import { Uplink } from '../../src/uplink/uplink.js'
import { startGateway, type Gateway } from '../../src/gateway/gateway.js'
import type { ApiRequest, RequestHandler } from '../../src/uplink/wire.js'
import { eventually } from '../helpers/eventually.js'

const ACCOUNTS = { 'site-a': 'pw-a', 'site-b': 'pw-b', 'gateway.fleet': 'pw-g', 'reader.fleet': 'pw-r' }
const OPERATOR = 'seam_operator_key_1'

let broker: Mosquitto
let gateway: Gateway
const uplinks: Uplink[] = []
const runs: Record<string, ApiRequest[]> = { 'site-a': [], 'site-b': [] }
let hold: Promise<void> | null = null

function echo(site: string): RequestHandler {
  return async (req) => {
    runs[site]!.push(req)
    if (req.path === '/slow') await hold
    return { status: 200, headers: { 'content-type': 'application/json', 'x-site': site }, body: JSON.stringify({ site, path: req.path, query: req.query, body: req.body, auth: req.headers.authorization ?? null }) }
  }
}

function uplink(site: string): Uplink {
  const u = new Uplink({ url: broker.url, siteId: site, username: site, password: (ACCOUNTS as Record<string, string>)[site], version: 'test', handler: echo(site), devices: () => ({ total: 2, online: 1 }) })
  u.start()
  uplinks.push(u)
  return u
}

const skip = !findMosquitto() && process.env.LOCKSTEP_REQUIRE_SYSTEM_TIER !== '1'

beforeAll(async () => {
  if (skip) return
  broker = await startFleetBroker(ACCOUNTS)
  uplink('site-a')
  uplink('site-b')
  gateway = await startGateway({
    broker: broker.url, host: '127.0.0.1', port: 0, timeoutMs: 1500, operatorKeys: [OPERATOR],
    keySites: { seam_key_for_site_b: 'site-b' }, username: 'gateway.fleet', password: 'pw-g',
  })
  await eventually(() => expect(gateway.relay.sites().filter((s) => s.status === 'online')).toHaveLength(2))
}, 30_000)

afterAll(async () => {
  await gateway?.stop()
  for (const u of uplinks) await u.stop()
  await broker?.dispose()
})

describe.skipIf(skip)('fleet relay over mosquitto with the shipped ACL', () => {
  it('relays a request by path, with query, raw body, headers and the answer\'s status and headers', async () => {
    const res = await fetch(`${gateway.url}/sites/site-a/access_codes/list?limit=2&x=1&x=2`, {
      method: 'POST', headers: { authorization: 'Bearer seam_site_a_key', 'content-type': 'application/json' }, body: '{"device_id":"d1"}',
    })
    expect(res.status).toBe(200)
    expect(res.headers.get('x-site')).toBe('site-a')
    expect(await res.json()).toEqual({ site: 'site-a', path: '/access_codes/list', query: { limit: '2', x: ['1', '2'] }, body: '{"device_id":"d1"}', auth: 'Bearer seam_site_a_key' })
  })

  it('picks the site from the key map when the path does not name one', async () => {
    const res = await fetch(`${gateway.url}/devices/list`, { method: 'POST', headers: { authorization: 'Bearer seam_key_for_site_b' } })
    expect(((await res.json()) as { site: string }).site).toBe('site-b')
    const unknown = await fetch(`${gateway.url}/devices/list`, { method: 'POST', headers: { authorization: 'Bearer seam_other_key' } })
    expect(unknown.status).toBe(404)
    expect(((await unknown.json()) as any).error.type).toBe('site_not_found')
  })

  it('answers its own /health for a load balancer', async () => {
    const res = await fetch(`${gateway.url}/health`)
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ ok: true, broker_connected: true, sites_known: 2 })
  })

  it('lists sites with their status for an operator key only', async () => {
    expect((await fetch(`${gateway.url}/sites`)).status).toBe(401)
    expect((await fetch(`${gateway.url}/sites`, { headers: { authorization: 'Bearer seam_site_a_key' } })).status).toBe(401)
    const body = (await (await fetch(`${gateway.url}/sites`, { headers: { authorization: `Bearer ${OPERATOR}` } })).json()) as any
    expect(body.sites.map((s: any) => [s.site_id, s.status, s.devices])).toEqual([
      ['site-a', 'online', { total: 2, online: 1 }], ['site-b', 'online', { total: 2, online: 1 }],
    ])
  })

  it('answers a duplicate request id without running it again', async () => {
    const client = await mqtt.connectAsync(broker.url, { protocolVersion: 5, username: 'gateway.fleet', password: 'pw-g', clean: true })
    try {
      const responses: string[] = []
      await client.subscribeAsync('lockstep/v1/gateways/dup/responses', { qos: 1 })
      client.on('message', (_t, p) => responses.push(p.toString()))
      const before = runs['site-b']!.length
      const props = { responseTopic: 'lockstep/v1/gateways/dup/responses', correlationData: Buffer.from('same-request-id') }
      const payload = JSON.stringify({ method: 'POST', path: '/access_codes/create', body: '{"code":"1234"}', headers: {} })
      await client.publishAsync('lockstep/v1/sites/site-b/api', payload, { qos: 1, properties: props })
      await client.publishAsync('lockstep/v1/sites/site-b/api', payload, { qos: 1, properties: props })
      await eventually(() => expect(responses).toHaveLength(2))
      expect(responses[0]).toBe(responses[1])
      expect(runs['site-b']!.length - before).toBe(1)
    } finally {
      await client.endAsync()
    }
  })

  it('refuses a site publishing on another site\'s topic (MQTT 5 reason code), and does not deliver it', async () => {
    const before = runs['site-b']!.length
    const rogue = await mqtt.connectAsync(broker.url, { protocolVersion: 5, username: 'site-a', password: 'pw-a', clientId: 'rogue-a', clean: true })
    try {
      // mosquitto grants the subscription but checks read access on delivery: nothing of site-b's reaches it.
      const overheard: string[] = []
      rogue.on('message', (t) => overheard.push(t))
      await rogue.subscribeAsync(['lockstep/v1/sites/site-b/api', 'lockstep/v1/sites/site-b/events'], { qos: 1 })
      const payload = JSON.stringify({ method: 'POST', path: '/access_codes/delete', headers: {} })
      const outcome = await rogue
        .publishAsync('lockstep/v1/sites/site-b/api', payload, { qos: 1, properties: { responseTopic: 'lockstep/v1/gateways/x/responses', correlationData: Buffer.from('rogue') } })
        .then((p) => (p as { reasonCode?: number } | undefined)?.reasonCode ?? 0, (err: { code?: number }) => err.code ?? -1)
      expect(outcome).toBe(135) // Not authorized
      await rogue.publishAsync('lockstep/v1/sites/site-b/status', '{"status":"offline"}', { qos: 1, retain: true }).catch(() => undefined)
      // A request site-a may make (on its own topic) goes through, so the refused one would have arrived by now.
      const ok = await fetch(`${gateway.url}/sites/site-a/devices/list`, { method: 'POST' })
      expect(ok.status).toBe(200)
      expect(runs['site-b']!.length).toBe(before)
      expect((await fetch(`${gateway.url}/sites/site-b/devices/list`, { method: 'POST' })).status).toBe(200)
      expect(runs['site-b']!.length).toBe(before + 1)
      expect(overheard).toEqual([])
      expect(gateway.relay.status('site-b')?.status).toBe('online')
    } finally {
      await rogue.endAsync()
    }
  })

  it('answers 504 in Seam\'s envelope when the site does not answer in time', async () => {
    let release!: () => void
    hold = new Promise((r) => (release = r))
    const res = await fetch(`${gateway.url}/sites/site-a/slow`, { method: 'POST' })
    release()
    expect(res.status).toBe(504)
    expect(((await res.json()) as any).error.type).toBe('site_timeout')
  })

  it('answers 503 site_offline at once when the site is gone (its last will), and relays again when it is back', async () => {
    const b = uplinks[1]!
    // A crash: the TCP connection drops without a DISCONNECT, so the broker publishes the will.
    ;(b as unknown as { client: { stream: { destroy(): void } } }).client.stream.destroy()
    await b.stop()
    await eventually(() => expect(gateway.relay.status('site-b')?.status).toBe('offline'), 3000)
    const t0 = performance.now()
    const res = await fetch(`${gateway.url}/sites/site-b/devices/list`, { method: 'POST' })
    expect(res.status).toBe(503)
    expect(((await res.json()) as any).error.type).toBe('site_offline')
    expect(performance.now() - t0).toBeLessThan(500)
    uplink('site-b')
    await eventually(async () => expect((await fetch(`${gateway.url}/sites/site-b/devices/list`, { method: 'POST' })).status).toBe(200), 5000)
  })
})
