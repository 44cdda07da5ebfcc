// The simulator seen from a bare MQTT client: it must behave like Z2M on the wire.
import mqtt, { type MqttClient } from 'mqtt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startBroker, type RunningBroker } from '../../../src/mqtt/broker.js'
import { startZigbeeLab, type ZigbeeLab } from '../../../src/lab/zigbee-lab.js'
import { eventually } from '../../helpers/eventually.js'

let broker: RunningBroker
let lab: ZigbeeLab
let client: MqttClient
const seen: { topic: string; payload: string }[] = []

beforeAll(async () => {
  broker = await startBroker({ port: 0 })
  lab = await startZigbeeLab({
    brokerUrl: broker.url,
    commandTimeoutMs: 100,
    locks: [{ name: 'Gym', manufacturer: 'Schlage', model: 'BE468', slots: 30, pinLength: { min: 4, max: 8 } }],
  })
  client = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 })
  client.on('message', (topic, p) => seen.push({ topic, payload: p.toString() }))
  await client.subscribeAsync('zigbee2mqtt/#')
})

afterAll(async () => {
  await client?.endAsync()
  await lab?.stop()
  await broker?.close()
})

const isGym = (m: { topic: string }) => m.topic === 'zigbee2mqtt/Gym'
const logLines = (since: number, until = seen.length) =>
  seen.slice(since, until).filter((m) => m.topic === 'zigbee2mqtt/bridge/logging').map((m) => JSON.parse(m.payload).message as string)

let probes = 0
/**
 * Waits until the lock has handled everything this client sent before, and returns the index in `seen`
 * where its answers end. No fixed sleep: a /set with a made-up key is refused on bridge/logging the
 * moment it arrives, which proves every earlier command has arrived (one client, in order); then a
 * keypad miss goes through the lock's command chain behind them, and its event comes out after theirs.
 */
async function handledAll(): Promise<number> {
  const tag = `probe_${++probes}`
  await client.publishAsync('zigbee2mqtt/Gym/set', JSON.stringify({ [tag]: 1 }))
  await eventually(() => expect(seen.some((m) => m.topic === 'zigbee2mqtt/bridge/logging' && m.payload.includes(`'${tag}'`))).toBe(true))
  const from = seen.length
  expect(lab.simulator.enterCode('Gym', '86420975').granted).toBe(false)
  let at = -1
  await eventually(() => {
    at = seen.findIndex((m, i) => i >= from && isGym(m) && JSON.parse(m.payload).action === 'unlock_failure_invalid_pin_or_id')
    expect(at).toBeGreaterThanOrEqual(0)
  })
  return at
}
/** The lock's state messages from `since` up to (not including) index `until`. */
const deviceMessages = (since: number, until = seen.length) => seen.slice(since, until).filter(isGym).map((m) => JSON.parse(m.payload))

describe('simulator on the wire', () => {
  it('retains bridge/devices (coordinator included), bridge/state and availability', async () => {
    await eventually(() => {
      expect(seen.find((m) => m.topic === 'zigbee2mqtt/bridge/devices')).toBeDefined()
      expect(seen.find((m) => m.topic === 'zigbee2mqtt/Gym/availability')).toBeDefined()
      expect(seen.find((m) => m.topic === 'zigbee2mqtt/bridge/state')).toBeDefined()
    })
    const devices = JSON.parse(seen.find((m) => m.topic === 'zigbee2mqtt/bridge/devices')!.payload)
    expect(devices.map((d: { friendly_name: string }) => d.friendly_name)).toEqual(['Coordinator', 'Gym'])
    expect(seen.find((m) => m.topic === 'zigbee2mqtt/Gym/availability')?.payload).toBe('{"state":"online"}')
    expect(seen.find((m) => m.topic === 'zigbee2mqtt/bridge/state')?.payload).toBe('{"state":"online"}')
  })

  it('publishes no confirmation after a set; a get answers with the users map', async () => {
    const since = seen.length
    await client.publishAsync('zigbee2mqtt/Gym/set', JSON.stringify({ pin_code: { user: 2, pin_code: '0246' } }))
    const afterSet = await handledAll()
    // Only the lock's own rf programming event, never a pin_code result.
    expect(deviceMessages(since, afterSet).map((m) => m.action)).toEqual(['pin_code_added'])
    const beforeGet = seen.length
    await client.publishAsync('zigbee2mqtt/Gym/get', JSON.stringify({ pin_code: { user: 2 } }))
    const afterGet = await handledAll()
    expect(deviceMessages(beforeGet, afterGet)).toEqual([expect.objectContaining({ users: expect.objectContaining({ '2': { pin_code: '0246', status: 'enabled' } }) })])
  })

  it('accepts the attribute topic /set/pin_code and the bare LOCK string', async () => {
    try {
      await client.publishAsync('zigbee2mqtt/Gym/set/pin_code', JSON.stringify({ user: 9, pin_code: '9999' }))
      await client.publishAsync('zigbee2mqtt/Gym/set', 'UNLOCK')
      await eventually(() => {
        expect(lab.simulator.slots('Gym')[9]!.code).toBe('9999')
        expect(lab.simulator.isLocked('Gym')).toBe(false)
      })
    } finally {
      await client.publishAsync('zigbee2mqtt/Gym/set', 'LOCK')
      await eventually(() => expect(lab.simulator.isLocked('Gym')).toBe(true))
    }
  })

  it('a numeric PIN loses its leading zero and the lock refuses the short result', async () => {
    // What a UI sends for "0123": JSON has no leading zeros, so it arrives as 123.
    const since = seen.length
    await client.publishAsync('zigbee2mqtt/Gym/set', '{"pin_code":{"user":4,"pin_code":123}}')
    const until = await handledAll()
    expect(lab.simulator.slots('Gym')[4]!.code).toBeNull()
    expect(deviceMessages(since, until)).toEqual([])
  })

  it('errors only reach bridge/logging', async () => {
    const since = seen.length
    await client.publishAsync('zigbee2mqtt/Gym/set', JSON.stringify({ pin_code: { user: 30, pin_code: '1234' } }))
    await client.publishAsync('zigbee2mqtt/Gym/set', JSON.stringify({ pin_code: '1234' }))
    const until = await handledAll()
    const logs = logLines(since, until).filter((l) => !l.includes('probe_'))
    expect(logs).toEqual([
      "Publish 'set' 'pin_code' to 'Gym' failed: 'Error: user must be in range for device'",
      'Publish \'set\' \'pin_code\' to \'Gym\' failed: \'Error: pin_code is not a object, got string ("1234")\'',
    ])
    expect(deviceMessages(since, until)).toEqual([])
  })

  it('a read-all answers every slot, one full-state publish each', async () => {
    const since = seen.length
    await client.publishAsync('zigbee2mqtt/Gym/get', JSON.stringify({ pin_code: '' }))
    const until = await handledAll()
    const msgs = deviceMessages(since, until)
    expect(msgs).toHaveLength(30)
    expect(Object.keys(msgs[29].users)).toHaveLength(30)
  })

  it('an offline lock answers nothing, and Z2M logs the failure', async () => {
    const since = seen.length
    lab.simulator.setOnline('Gym', false)
    try {
      await client.publishAsync('zigbee2mqtt/Gym/get', JSON.stringify({ pin_code: { user: 2 } }))
      // Z2M logs the lost request at its command timeout: by then any answer would have come.
      await eventually(() => expect(logLines(since).some((l) => l.includes('Delivery failed'))).toBe(true))
      expect(deviceMessages(since)).toEqual([])
      expect(seen.slice(since).find((m) => m.topic === 'zigbee2mqtt/Gym/availability')?.payload).toBe('{"state":"offline"}')
    } finally {
      const back = seen.length
      lab.simulator.setOnline('Gym', true)
      await eventually(() => expect(seen.slice(back).some((m) => m.topic === 'zigbee2mqtt/Gym/availability' && m.payload === '{"state":"online"}')).toBe(true))
    }
  })
})
