// The fleet, end to end: a real mosquitto with the shipped ACL and passwords, three `lockstep serve` sites with
// simulated locks (`lockstep simulate`), two `lockstep gateway` replicas, all child processes. The official SDK
// works through either gateway; a killed site answers 503 at once; a broker restart loses no event and runs no
// request twice; the broker refuses a site that trespasses on another site's topic.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import mqtt, { type MqttClient } from 'mqtt'
import { SeamHttp } from '@seamapi/http'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { startFleetBroker } from '../../testkit/fleet-broker.js'
import { findMosquitto, type Mosquitto } from '../../testkit/mosquitto.js'
import { startGatewayChild, startServeDaemon, startSimulator, type DaemonChild, type SimulatorChild } from '../../testkit/processes.js'
import { eventually } from '../helpers/eventually.js'

const required = process.env.LOCKSTEP_REQUIRE_SYSTEM_TIER === '1'
const skip = !findMosquitto() && !required

const SITES = ['site-a', 'site-b', 'site-c'] as const
type Site = (typeof SITES)[number]
const password = (user: string) => `pw-${user}`
const siteKey = (site: Site) => `seam_fleet_${site.replace('-', '_')}_key`
const OPERATOR_KEY = 'seam_fleet_operator_key'
const ACCOUNTS = Object.fromEntries([...SITES, 'gateway.fleet', 'reader.fleet'].map((u) => [u, password(u)]))

interface SiteProcs {
  dir: string
  sim: SimulatorChild
  daemon: DaemonChild
  env: Record<string, string>
}

let root: string
let broker: Mosquitto
const sites = new Map<Site, SiteProcs>()
const gateways: DaemonChild[] = []
let reader: MqttClient
/** What the reader heard on each site's events topic: seq and event id, in arrival order. */
const heard = new Map<string, Array<{ seq: number; id: string }>>()

async function startSite(site: Site): Promise<void> {
  const dir = join(root, site)
  const config = join(root, `${site}-lab.json`)
  writeFileSync(config, JSON.stringify({
    site: { name: site }, lab: true, data_dir: join(dir, 'daemon'), log_level: 'warn',
    locks: [{ name: 'Room 1', driver: 'zigbee2mqtt', native_id: `${site} room 1`, manufacturer: 'Yale', model: 'YRD256HA20BP', device_type: 'yale_lock', slots: 50, code_length: [4, 8] }],
  }))
  const sim = await startSimulator({ dir, config, dataDir: join(dir, 'daemon'), fresh: true })
  const env = {
    LOCKSTEP_API_KEY: siteKey(site), LOCKSTEP_UPLINK_URL: broker.url, LOCKSTEP_SITE_ID: site,
    LOCKSTEP_UPLINK_USERNAME: site, LOCKSTEP_UPLINK_PASSWORD: password(site),
  }
  const daemon = await startServeDaemon(sim.siteConfig, env)
  sites.set(site, { dir, sim, daemon, env })
}

function seam(site: Site, gateway = 0): SeamHttp {
  return SeamHttp.fromApiKey(siteKey(site), { endpoint: `${gateways[gateway]!.url}/sites/${site}` })
}

async function post(gateway: number, site: Site, path: string, body: unknown = {}): Promise<{ status: number; json: any }> {
  const res = await fetch(`${gateways[gateway]!.url}/sites/${site}${path}`, {
    method: 'POST', headers: { authorization: `Bearer ${siteKey(site)}`, 'content-type': 'application/json' }, body: JSON.stringify(body),
  })
  return { status: res.status, json: await res.json().catch(() => null) }
}

/** Every event in the site's log (read from its SQLite file, WAL, read-only). */
function outboxOf(site: Site): Array<{ seq: number; id: string }> {
  const db = new Database(join(sites.get(site)!.dir, 'daemon', 'lockstep.db'), { readonly: true, fileMustExist: true })
  try {
    return (db.prepare('SELECT seq, event_id AS id FROM events ORDER BY seq').all() as Array<{ seq: number; id: string }>)
  } finally {
    db.close()
  }
}

beforeAll(async () => {
  if (skip) return
  root = mkdtempSync(join(tmpdir(), 'lockstep-fleet-'))
  broker = await startFleetBroker(ACCOUNTS)
  // The cloud's reader: a persistent session, so a broker restart keeps what was queued for it.
  reader = await mqtt.connectAsync(broker.url, {
    protocolVersion: 5, username: 'reader.fleet', password: password('reader.fleet'), clientId: 'fleet-test-reader', clean: false,
    properties: { sessionExpiryInterval: 3600 }, reconnectPeriod: 200,
  })
  reader.on('message', (topic, payload, packet) => {
    const site = topic.split('/')[3]!
    if (!topic.endsWith('/events')) return
    const seq = Number(packet.properties?.userProperties?.seq)
    const list = heard.get(site) ?? heard.set(site, []).get(site)!
    list.push({ seq, id: (JSON.parse(payload.toString()) as { event_id: string }).event_id })
  })
  await reader.subscribeAsync('lockstep/v1/sites/+/events', { qos: 1 })
  await Promise.all(SITES.map(startSite))
  const gatewayConfig = join(root, 'gateway.json')
  writeFileSync(gatewayConfig, JSON.stringify({
    log_level: 'warn', data_dir: join(root, 'gw'),
    gateway: { username: 'gateway.fleet', password: password('gateway.fleet'), timeout_ms: 8000 },
  }))
  for (let i = 0; i < 2; i++) gateways.push(await startGatewayChild(broker.url, { LOCKSTEP_CONFIG: gatewayConfig, LOCKSTEP_API_KEY: OPERATOR_KEY }))
  await eventually(async () => {
    const res = await fetch(`${gateways[1]!.url}/sites`, { headers: { authorization: `Bearer ${OPERATOR_KEY}` } })
    const body = (await res.json()) as { sites: Array<{ site_id: string; status: string; devices?: { total: number } }> }
    expect(body.sites.map((s) => [s.site_id, s.status, s.devices?.total])).toEqual(SITES.map((s) => [s, 'online', 1]))
  }, 20_000)
}, 120_000)

afterAll(async () => {
  await reader?.endAsync(true)
  await Promise.all(gateways.map((g) => g.stop()))
  await Promise.all([...sites.values()].flatMap((s) => [s.daemon.stop(), s.sim.stop()]))
  await broker?.dispose()
  if (root) rmSync(root, { recursive: true, force: true })
}, 60_000)

describe.skipIf(skip)('fleet: sites behind an MQTT 5 broker, two gateways', () => {
  test('the SDK through one gateway creates a code on site B; through the other it is set', async () => {
    const [device] = await seam('site-b', 0).devices.list()
    expect(device?.display_name).toBe('Room 1')
    const code = await seam('site-b', 0).accessCodes.create({ device_id: device!.device_id, code: '4826', name: 'fleet guest' })
    await eventually(async () => expect((await seam('site-b', 1).accessCodes.get({ access_code_id: code.access_code_id })).status).toBe('set'), 20_000)
    // Site A does not know site B's key, nor its code.
    await expect(SeamHttp.fromApiKey(siteKey('site-b'), { endpoint: `${gateways[1]!.url}/sites/site-a` }).devices.list()).rejects.toThrow()
    expect(await seam('site-a', 1).accessCodes.list({ device_id: device!.device_id }).catch(() => [])).toEqual([])
  }, 40_000)

  test('site C killed: 503 site_offline within a second; back after a restart', async () => {
    const c = sites.get('site-c')!
    await c.daemon.kill()
    const killedAt = performance.now()
    await eventually(async () => {
      const r = await post(1, 'site-c', '/devices/list')
      expect([r.status, r.json?.error?.type]).toEqual([503, 'site_offline'])
    }, 1000, 20)
    expect(performance.now() - killedAt).toBeLessThan(1000)
    c.daemon = await startServeDaemon(c.sim.siteConfig, c.env)
    await eventually(async () => expect((await post(0, 'site-c', '/devices/list')).status).toBe(200), 20_000)
  }, 60_000)

  test('broker restarted mid-traffic: sessions resume, every event arrives in order, no request runs twice', async () => {
    const devices = new Map<Site, string>()
    for (const s of ['site-a', 'site-b'] as const) devices.set(s, (await post(0, s, '/devices/list')).json.devices[0].device_id)
    const outcomes: Array<{ site: Site; name: string; status: number; type?: string }> = []
    let stop = false
    let n = 0
    const worker = async (w: number) => {
      while (!stop) {
        const site: Site = n % 2 ? 'site-a' : 'site-b'
        const name = `t${n++}`
        const r = await post(w % 2, site, '/access_codes/create', { device_id: devices.get(site), name, code: String(1000 + n) })
        outcomes.push({ site, name, status: r.status, type: r.json?.error?.type })
        // A refused request is tried again with a new one after a pause, as a client would (not a busy loop).
        if (r.status !== 200) await new Promise((ok) => setTimeout(ok, 50))
      }
    }
    const traffic = Promise.all([0, 1, 2, 3].map(worker))
    await eventually(() => expect(outcomes.length).toBeGreaterThan(10), 20_000)
    await broker.stop()
    const duringOutage = outcomes.length
    await broker.start()
    // Traffic flows again: ten more requests answered 200 after the restart.
    await eventually(() => expect(outcomes.slice(duringOutage).filter((o) => o.status === 200).length).toBeGreaterThanOrEqual(10), 30_000)
    stop = true
    await traffic
    // Every answer is a success or a clear error in Seam's envelope (broker gone, request timed out), never garbage.
    for (const o of outcomes) if (o.status !== 200) expect([o.status, typeof o.type]).toEqual([expect.any(Number), 'string'])
    expect(outcomes.some((o) => o.status === 200)).toBe(true)
    // Complete once: each request's code exists at most once, and exactly once when it was answered 200.
    for (const site of ['site-a', 'site-b'] as const) {
      const listed = (await post(0, site, '/access_codes/list', { device_id: devices.get(site) })).json.access_codes as Array<{ name: string }>
      const count = new Map<string, number>()
      for (const c of listed) count.set(c.name, (count.get(c.name) ?? 0) + 1)
      for (const o of outcomes.filter((x) => x.site === site)) {
        expect(count.get(o.name) ?? 0, o.name).toBeLessThanOrEqual(1)
        if (o.status === 200) expect(count.get(o.name), o.name).toBe(1)
      }
    }
    // Every outbox event reached the reader at least once, and first arrivals are in log order.
    for (const site of SITES) {
      await eventually(() => {
        const got = new Set((heard.get(site) ?? []).map((e) => e.id))
        expect(outboxOf(site).filter((e) => !got.has(e.id))).toEqual([])
      }, 20_000)
      const firsts: number[] = []
      const seen = new Set<number>()
      for (const e of heard.get(site)!) if (!seen.has(e.seq)) (seen.add(e.seq), firsts.push(e.seq))
      expect(firsts).toEqual([...firsts].sort((a, b) => a - b))
    }
  }, 90_000)

  test('the broker refuses a site publishing on another site\'s topic', async () => {
    const rogue = await mqtt.connectAsync(broker.url, { protocolVersion: 5, username: 'site-a', password: password('site-a'), clientId: 'rogue-site-a', clean: true })
    try {
      const reasons: number[] = []
      for (const topic of ['lockstep/v1/sites/site-b/api', 'lockstep/v1/sites/site-b/events', 'lockstep/v1/sites/site-b/status']) {
        const code = await rogue.publishAsync(topic, '{"status":"offline"}', { qos: 1, properties: { responseTopic: 'lockstep/v1/gateways/x/responses', correlationData: Buffer.from('r') } })
          .then((p) => (p as { reasonCode?: number } | undefined)?.reasonCode ?? 0, (err: { code?: number }) => err.code ?? -1)
        reasons.push(code)
      }
      expect(reasons).toEqual([135, 135, 135]) // MQTT 5 "Not authorized"
      const r = await post(1, 'site-b', '/devices/list')
      expect(r.status).toBe(200) // site B's status was not overwritten
    } finally {
      await rogue.endAsync()
    }
  }, 20_000)
})
