// Battery readings from a lock driver become Seam's device.battery_status_changed and device.low_battery
// events, end to end: driver → daemon → event log → a webhook that verifies them with @seamapi/webhook.
// An unchanged reading writes nothing; a reading wobbling around a threshold sends no event each time.
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { SeamWebhook } from '@seamapi/webhook'
import { schemas } from 'seam-schemas'
import { batteryStatus, nextBatteryStatus } from '../../src/domain/battery.js'
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js'
import { eventually } from '../helpers/eventually.js'
import { defaultConstraints, FakeLockDriver } from '../helpers/fake-lock-driver.js'
import { startReceiver, type Receiver } from '../../testkit/webhook-receiver.js'

describe('battery status (pure)', () => {
  test('four statuses; down at once, up only past a margin', () => {
    expect([0.02, 0.1, 0.2, 0.25, 0.5, 0.95, 1].map(batteryStatus)).toEqual(['critical', 'low', 'low', 'good', 'good', 'full', 'full'])
    expect(nextBatteryStatus(null, 0.24)).toBe('low')
    expect(nextBatteryStatus('good', 0.24)).toBe('low')
    expect(nextBatteryStatus('low', 0.26)).toBe('low')
    expect(nextBatteryStatus('low', 0.29)).toBe('good')
    expect(nextBatteryStatus('good', 0.02)).toBe('critical')
    expect(nextBatteryStatus('critical', 0.99)).toBe('full')
  })
})

describe('in the daemon', () => {
  let t: TestDaemon
  let receiver: Receiver
  const driver = new FakeLockDriver()
  driver.add('door-1', 4)

  beforeAll(async () => {
    receiver = await startReceiver()
    t = await startTestDaemon({ mode: 'serve', daemon: { lockDrivers: [driver] }, patch: (c) => ({ ...c, webhooks: { ...c.webhooks, allow_loopback: true } }) })
    driver.sink!({
      type: 'discovered',
      device: { nativeId: 'door-1', driver: 'fake', displayName: 'Door 1', manufacturer: 'Acme', model: 'K1', deviceType: 'yale_lock', constraints: defaultConstraints(4), online: true },
    })
  })
  afterAll(async () => {
    await t?.stop()
    await receiver?.close()
  })

  test('readings become status-changed and low-battery events, delivered signed and valid', async () => {
    const res = await fetch(`${t.url}/webhooks/create`, {
      method: 'POST', headers: { authorization: `Bearer ${t.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ url: receiver.url, event_types: ['device.battery_status_changed', 'device.low_battery'] }),
    })
    const { webhook } = (await res.json()) as { webhook: { secret: string } }
    const db = t.daemon.store.db
    const changes = () => (db.prepare('SELECT total_changes() AS n').get() as { n: number }).n
    const read = (level: number) => driver.sink!({ type: 'battery', nativeId: 'door-1', level })

    read(0.9)
    const after = changes()
    read(0.9) // unchanged: nothing written
    expect(changes()).toBe(after)
    for (const level of [0.24, 0.26, 0.24, 0.29, 0.05]) read(level)

    const expected = [
      ['device.battery_status_changed', 'good', 0.9],
      ['device.battery_status_changed', 'low', 0.24],
      ['device.low_battery', undefined, 0.24],
      ['device.battery_status_changed', 'good', 0.29],
      ['device.battery_status_changed', 'critical', 0.05],
      ['device.low_battery', undefined, 0.05],
    ]
    const verifier = new SeamWebhook(webhook.secret)
    await eventually(() => expect(receiver.received).toHaveLength(expected.length))
    const events = receiver.received.map((r) => verifier.verify(r.body, r.headers) as Record<string, unknown>)
    expect(events.map((e) => [e.event_type, e.battery_status, e.battery_level])).toEqual(expected)
    for (const e of events) schemas.seam_event.parse(e)
    const device = (await (await fetch(`${t.url}/devices/list`, { method: 'POST', headers: { authorization: `Bearer ${t.apiKey}` } })).json()) as { devices: { properties: { battery_level?: number } }[] }
    expect(device.devices[0]!.properties.battery_level).toBe(0.05)
  })
})
