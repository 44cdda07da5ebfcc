// /metrics (Prometheus text) and /health's degraded report, against an in-process lab daemon.
import { afterAll, beforeAll, expect, test } from 'vitest'
import { SeamHttp } from '@seamapi/http'
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js'

let t: TestDaemon
let seam: SeamHttp
beforeAll(async () => {
  // No drivers: devices stay offline and codes stay `setting`, so the figures below are exact.
  t = await startTestDaemon({ daemon: { lockDrivers: [] } })
  seam = SeamHttp.fromApiKey(t.apiKey, { endpoint: t.url })
})
afterAll(async () => t?.stop())

async function scrape(): Promise<string> {
  const res = await fetch(t.url + '/metrics') // loopback: no key needed
  expect(res.status).toBe(200)
  expect(res.headers.get('content-type')).toMatch(/^text\/plain/)
  return res.text()
}

function value(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(series + ' '))
  return line ? Number(line.slice(series.length + 1)) : NaN
}

test('codes by status, devices online, queue depth and HTTP latency move when codes are created', async () => {
  const before = await scrape()
  const setting = 'lockstep_access_codes{status="setting",managed="true"}'
  expect(value(before, setting)).toBe(0)
  expect(before).toMatch(/lockstep_device_online\{device_id="[0-9a-f-]+",name="Front Door",driver="zigbee2mqtt"\} 0/)
  expect(value(before, 'lockstep_work_queue_depth')).toBe(0)

  const [front, back] = await seam.devices.list()
  await seam.accessCodes.create({ device_id: front!.device_id, code: '1357' })
  await seam.accessCodes.create({ device_id: back!.device_id, code: '2468' })
  const after = await scrape()
  // Once a reconciler runs, codes move on from setting to set; either way both are counted.
  const live = ['setting', 'set'].reduce((n, s) => n + (value(after, `lockstep_access_codes{status="${s}",managed="true"}`) || 0), 0)
  expect(live).toBe(2)
  expect(value(after, 'lockstep_work_queue_depth')).toBeGreaterThanOrEqual(0)
  expect(value(after, 'lockstep_http_request_duration_seconds_count{method="POST",route="/access_codes/create",status_code="200"}')).toBe(2)
  expect(after).toMatch(/lockstep_http_request_duration_seconds_bucket\{le="0.005",method="GET",route="\/devices\/list",status_code="200"\}/)
})

test('the MetricsSink placeholders others call show up', async () => {
  const m = t.daemon.metrics
  m.reconcileLag('dev-1', 1.5)
  m.breakerState('dev-1', 'open')
  m.encodeDuration(2.2)
  const text = await scrape()
  expect(value(text, 'lockstep_reconcile_lag_seconds{device_id="dev-1"}')).toBe(1.5)
  expect(value(text, 'lockstep_breaker_state{device_id="dev-1"}')).toBe(2)
  expect(value(text, 'lockstep_encode_duration_seconds_count{outcome="success"}')).toBe(1)
})

test('/health stays ok:true and names the degraded parts', async () => {
  const store = t.daemon.store
  const devices = store.devices.list()
  store.tx(() => { for (const d of devices) store.devices.setOnline(d.deviceId, true) })
  const h = (await (await fetch(t.url + '/health')).json()) as any
  expect(h).toMatchObject({ ok: true, status: 'ok', degraded: [], store: 'ok', mode: 'lab', devices: { total: 4, offline: 0, online: 4 } })
  store.tx(() => store.devices.setOnline(devices[0]!.deviceId, false))
  const h2 = (await (await fetch(t.url + '/health')).json()) as any
  expect(h2).toMatchObject({ ok: true, status: 'degraded', devices: { total: 4, offline: 1 } })
  expect(h2.degraded).toContain('1 of 4 devices offline')
})
