// Issue 19 on the lab property: drift is caught by what each lock tells, not by polling. A Zigbee lock
// with programming events is restored from the event alone; one without (the lab's Gym, configured so)
// and the Nuki lock (whose app edits are silent) are caught by their periodic check, on fake time; an
// idle day stays within the radio budget. Counts come from the simulated locks themselves and are held
// against the drivers' own.
import { afterAll, beforeAll, expect, test } from 'vitest'
import { SeamHttp } from '@seamapi/http'
import type { LabLock } from '../../src/lab/control.js'
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js'
import { eventually } from '../helpers/eventually.js'

let t: TestDaemon
let seam: SeamHttp

beforeAll(async () => {
  t = await startTestDaemon({
    patch: (c) => ({ ...c, locks: c.locks.map((l) => (l.name === 'Gym' ? { ...l, reports_code_changes: false } : l)) }),
  })
  seam = SeamHttp.fromApiKey(t.apiKey, { endpoint: t.url })
  await eventually(async () => expect((await seam.devices.list()).every((d) => d.properties.online)).toBe(true), 20_000)
})
afterAll(async () => t?.stop())

const HOUR_S = 3600
const device = async (name: string) => (await seam.devices.get({ name })).device_id
const simLock = (deviceId: string): LabLock => t.daemon.lab!.control.lock(deviceId)!
const driverCount = (deviceId: string) => {
  const d = t.daemon.store.devices.get(deviceId)
  return t.daemon.drivers.get(d.driver)!.radioStats!(d.nativeId).total.exchanges
}
/** What a resync does: look at the device (no radio unless a check is due), and wait for it. */
const lookAgain = async (deviceId: string) => {
  t.daemon.reconciler.poke(deviceId)
  await t.daemon.reconciler.idle()
}
const slotHolding = async (deviceId: string, code: string) => (await simLock(deviceId).slots()).find((s) => s.code === code)!.slot
const codeIn = async (deviceId: string, slot: number) => (await simLock(deviceId).slots()).find((s) => s.slot === slot)?.code

async function setCode(deviceId: string, code: string): Promise<string> {
  const c = await seam.accessCodes.create({ device_id: deviceId, code, name: `Guest ${code}` })
  await eventually(async () => expect((await seam.accessCodes.get({ access_code_id: c.access_code_id })).status).toBe('set'), 20_000)
  await t.daemon.reconciler.idle()
  return c.access_code_id
}

test('a keypad edit on a Zigbee lock with programming events is restored from the event, with no periodic read', async () => {
  const id = await device('Front Door')
  await setCode(id, '4815')
  const slot = await slotHolding(id, '4815')
  const before = simLock(id).radioExchanges()
  await simLock(id).programCode(slot, '9999')
  await eventually(async () => expect(await codeIn(id, slot)).toBe('4815'), 10_000)
  await t.daemon.reconciler.idle()
  // The event's slot read, the restoring set and its read-back: nothing else reached the lock.
  expect(simLock(id).radioExchanges() - before).toBe(3)
  expect(driverCount(id)).toBe(simLock(id).radioExchanges())
})

test('a keypad edit on a Zigbee lock without programming events waits for its configured check', async () => {
  const id = await device('Gym')
  await setCode(id, '2718')
  const slot = await slotHolding(id, '2718')
  await simLock(id).programCode(slot, '3141')
  // Looking at the device between checks costs no radio, so the edit stands.
  const before = simLock(id).radioExchanges()
  await lookAgain(id)
  expect(await codeIn(id, slot)).toBe('3141')
  expect(simLock(id).radioExchanges()).toBe(before)
  // The Zigbee2MQTT check runs every 12 h on the lock's own phase: within 18 h of the last one.
  let hours = 0
  while ((await codeIn(id, slot)) !== '2718') {
    expect(hours, 'restored by the check').toBeLessThan(18)
    t.daemon.lab!.control.advanceClock(HOUR_S)
    hours++
    await t.daemon.reconciler.idle()
  }
  expect(driverCount(id)).toBe(simLock(id).radioExchanges())
})

test('an app edit on the Nuki lab lock is caught by the next hourly check, for one connection', async () => {
  const id = await device('Office')
  await setCode(id, '583724')
  const slot = await slotHolding(id, '583724')
  await simLock(id).programCode(slot, '936147')
  // Let the link of the write close (1.5 s idle), so the check pays for its own connection.
  await eventually(() => expect(simLock(id).linkOpen()).toBe(false), 5_000)
  const before = simLock(id).radioExchanges()
  await lookAgain(id)
  expect(await codeIn(id, slot)).toBe('936147')
  expect(simLock(id).radioExchanges()).toBe(before)
  let minutes = 0
  while ((await codeIn(id, slot)) !== '583724') {
    expect(minutes, 'restored by the hourly check').toBeLessThanOrEqual(90)
    t.daemon.lab!.control.advanceClock(600)
    minutes += 10
    await t.daemon.reconciler.idle()
  }
  await t.daemon.reconciler.idle()
  expect(simLock(id).radioExchanges() - before).toBe(1)
  expect(driverCount(id)).toBe(simLock(id).radioExchanges())
})

test('several codes added to the Nuki lock share one connection, read-back included', async () => {
  const id = await device('Office')
  await eventually(() => expect(simLock(id).linkOpen()).toBe(false), 5_000)
  const before = simLock(id).radioExchanges()
  const created = await Promise.all(['615243', '625143', '635142'].map((code) => seam.accessCodes.create({ device_id: id, code, name: `Batch ${code}` })))
  for (const c of created) {
    await eventually(async () => expect((await seam.accessCodes.get({ access_code_id: c.access_code_id })).status).toBe('set'), 20_000)
  }
  await t.daemon.reconciler.idle()
  expect(simLock(id).radioExchanges() - before).toBe(1)
  expect(driverCount(id)).toBe(simLock(id).radioExchanges())
})

test('an idle day on fake time costs no lab lock more than 48 radio exchanges', async () => {
  const devices = await seam.devices.list()
  const codes = ['3456', '4567', '5678', '6789']
  for (const [i, d] of devices.entries()) {
    for (const c of codes) await setCode(d.device_id, d.device_type === 'nuki_lock' ? `${c}${i + 3}${i + 4}` : `${c}${i + 1}`)
  }
  const before = new Map(devices.map((d) => [d.device_id, simLock(d.device_id).radioExchanges()]))
  for (let step = 0; step < 48; step++) {
    t.daemon.lab!.control.advanceClock(HOUR_S / 2)
    await t.daemon.reconciler.idle()
  }
  for (const d of devices) {
    const used = simLock(d.device_id).radioExchanges() - before.get(d.device_id)!
    expect({ lock: d.display_name, used: used <= 48 }).toEqual({ lock: d.display_name, used: true })
    expect({ lock: d.display_name, counted: driverCount(d.device_id) }).toEqual({ lock: d.display_name, counted: simLock(d.device_id).radioExchanges() })
  }
})

test('the counts reach /metrics and /lockstep/devices/radio; an unknown parameter is refused by name', async () => {
  const id = await device('Front Door')
  const metrics = await (await fetch(`${t.url}/metrics`)).text()
  const read = new RegExp(`lockstep_radio_exchanges_total\\{device_id="${id}",kind="read"\\} (\\d+)`).exec(metrics)
  expect(Number(read?.[1])).toBeGreaterThan(0)
  const call = (body: unknown) =>
    fetch(`${t.url}/lockstep/devices/radio`, { method: 'POST', headers: { authorization: `Bearer ${t.apiKey}`, 'content-type': 'application/json' }, body: JSON.stringify(body) })
  const res = (await (await call({ device_id: id })).json()) as any
  expect(res.devices).toEqual([
    expect.objectContaining({ device_id: id, display_name: 'Front Door', driver: 'zigbee2mqtt', total: expect.objectContaining({ exchanges: driverCount(id) }) }),
  ])
  expect(res.devices[0].last_day.exchanges).toBeGreaterThan(0)
  const refused = await call({ device_id: id, since: 'yesterday' })
  expect(refused.status).toBe(400)
  expect(JSON.stringify(await refused.json())).toContain('since')
})
