// The uplink inside a real daemon (lab mode, in process) on a real mosquitto with the shipped ACL: requests run
// through the daemon's own app (its auth, validation and envelopes), a duplicate request id is answered and not run
// again — across a restart too — and no PIN reaches a log line. The box works the same with the broker away.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import mqtt, { type MqttClient } from 'mqtt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startFleetBroker } from '../../testkit/fleet-broker.js'
import { findMosquitto, freePort, type Mosquitto } from '../../testkit/mosquitto.js'
import { createLogger } from '../../src/log.js'
import { startGateway, type Gateway } from '../../src/gateway/gateway.js'
import { startTestDaemon, TEST_KEY, type TestDaemon } from '../helpers/daemon.js'
import { eventually } from '../helpers/eventually.js'

const ACCOUNTS = { 'site-x': 'pw-x', 'gateway.fleet': 'pw-g' }
const PIN = '97315'
let broker: Mosquitto
let gateway: Gateway
let daemon: TestDaemon
let requester: MqttClient
const dataDir = mkdtempSync(join(tmpdir(), 'lockstep-uplink-daemon-'))
const logs: string[] = []
const sink = () => new Writable({ write(chunk, _enc, done) { logs.push(String(chunk)); done() } })

function startSite(): Promise<TestDaemon> {
  return startTestDaemon({
    dataDir,
    patch: (c) => ({ ...c, uplink: { url: broker.url, site_id: 'site-x', password: 'pw-x', keepalive_seconds: 30, session_expiry_seconds: 86_400 } }),
    daemon: { log: createLogger('trace', sink()) },
  })
}

const answers = new Map<string, any>()
async function request(id: string, req: object): Promise<any> {
  answers.delete(id)
  await requester.publishAsync('lockstep/v1/sites/site-x/api', JSON.stringify(req), {
    qos: 1, properties: { responseTopic: 'lockstep/v1/gateways/test/responses', correlationData: Buffer.from(id) },
  })
  await eventually(() => expect(answers.has(id)).toBe(true))
  return answers.get(id)
}

const skip = !findMosquitto() && process.env.LOCKSTEP_REQUIRE_SYSTEM_TIER !== '1'

beforeAll(async () => {
  if (skip) return
  broker = await startFleetBroker(ACCOUNTS)
  daemon = await startSite()
  gateway = await startGateway({
    broker: broker.url, host: '127.0.0.1', port: 0, timeoutMs: 5000, operatorKeys: [], keySites: {},
    username: 'gateway.fleet', password: 'pw-g', log: createLogger('trace', sink()),
  })
  requester = await mqtt.connectAsync(broker.url, { protocolVersion: 5, username: 'gateway.fleet', password: 'pw-g', clean: true })
  requester.on('message', (_t, payload, packet) => answers.set(packet.properties!.correlationData!.toString(), JSON.parse(payload.toString())))
  await requester.subscribeAsync('lockstep/v1/gateways/test/responses', { qos: 1 })
  await eventually(() => expect(gateway.relay.status('site-x')?.status).toBe('online'), 10_000)
}, 60_000)

afterAll(async () => {
  await requester?.endAsync()
  await gateway?.stop()
  await daemon?.stop()
  await broker?.dispose()
  rmSync(dataDir, { recursive: true, force: true })
})

const auth = { authorization: `Bearer ${TEST_KEY}`, 'content-type': 'application/json' }

describe.skipIf(skip)('uplink in the daemon', () => {
  it('runs relayed requests through the same app: its auth, its validation, its answers', async () => {
    const url = `${gateway.url}/sites/site-x`
    const noKey = await fetch(`${url}/devices/list`, { method: 'POST', headers: { authorization: 'Bearer seam_wrong_key_123' } })
    expect(noKey.status).toBe(401)
    const bad = await fetch(`${url}/access_codes/create`, { method: 'POST', headers: auth, body: '{"device_id":"nope"}' })
    expect(bad.status).toBe(400)
    expect(((await bad.json()) as any).error.type).toBeTypeOf('string')
    const list = await fetch(`${url}/devices/list`, { method: 'POST', headers: auth, body: '{}' })
    const direct = await fetch(`${daemon.url}/devices/list`, { method: 'POST', headers: auth, body: '{}' })
    expect(list.status).toBe(200)
    expect(((await list.json()) as any).devices.map((d: any) => d.device_id)).toEqual(((await direct.json()) as any).devices.map((d: any) => d.device_id))
  })

  it('answers a duplicate request id without running it twice, also after a restart; a lost answer is 409, not a rerun', async () => {
    const devices = ((await (await fetch(`${daemon.url}/devices/list`, { method: 'POST', headers: auth, body: '{}' })).json()) as any).devices
    const device_id = devices[0].device_id
    const create = { method: 'POST', path: '/access_codes/create', headers: auth, body: JSON.stringify({ device_id, name: 'dup once', code: PIN }) }
    const first = await request('create-1', create)
    expect(first.status).toBe(200)
    expect(await request('create-1', create)).toEqual(first)
    const count = async () => (((await (await fetch(`${daemon.url}/access_codes/list`, { method: 'POST', headers: auth, body: JSON.stringify({ device_id }) })).json()) as any)
      .access_codes.filter((c: any) => c.name === 'dup once').length)
    expect(await count()).toBe(1)
    await daemon.stop()
    daemon = await startSite()
    expect(await request('create-1', create)).toEqual(first)
    expect(await count()).toBe(1)
    // Killed between running a mutation and storing its answer: only the start marker is on disk.
    daemon.daemon.store.tx(() => daemon.daemon.store.idempotency.remember('uplink', Buffer.from('create-2').toString('hex'), '{"started":true}'))
    const unknown = await request('create-2', { ...create, body: JSON.stringify({ device_id, name: 'lost answer', code: '86420' }) })
    expect([unknown.status, JSON.parse(unknown.body).error.type]).toEqual([409, 'request_outcome_unknown'])
  }, 60_000)

  it('never logs a relayed PIN', () => {
    expect(logs.length).toBeGreaterThan(0)
    expect(logs.join('\n')).not.toContain(PIN)
  })

  it('keeps serving its own API with the broker away; the relay comes back with the broker', async () => {
    await broker.stop()
    const res = await fetch(`${daemon.url}/devices/list`, { method: 'POST', headers: auth, body: '{}' })
    expect(res.status).toBe(200)
    await broker.start()
    await eventually(async () => expect((await fetch(`${gateway.url}/sites/site-x/devices/list`, { method: 'POST', headers: auth, body: '{}' })).status).toBe(200), 15_000)
  }, 30_000)

  it('starts and serves while the broker cannot be reached at all', async () => {
    const port = await freePort()
    const dir = mkdtempSync(join(tmpdir(), 'lockstep-uplink-down-'))
    const lone = await startTestDaemon({ dataDir: dir, patch: (c) => ({ ...c, uplink: { url: `mqtt://127.0.0.1:${port}`, site_id: 'site-y', keepalive_seconds: 30, session_expiry_seconds: 86_400 } }) })
    try {
      expect((await fetch(`${lone.url}/devices/list`, { method: 'POST', headers: auth, body: '{}' })).status).toBe(200)
    } finally {
      await lone.stop()
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
