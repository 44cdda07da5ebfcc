// The simulator seen from a bare MQTT client: it must behave like Z2M on the wire.
import mqtt, { type MqttClient } from 'mqtt'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startBroker, type RunningBroker } from '../../../src/mqtt/broker.js'
import { startZigbeeLab, type ZigbeeLab } from '../../../src/lab/zigbee-lab.js'

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

const settle = (ms = 150) => new Promise((r) => setTimeout(r, ms))
const deviceMessages = (since: number) => seen.slice(since).filter((m) => m.topic === 'zigbee2mqtt/Gym').map((m) => JSON.parse(m.payload))

describe('simulator on the wire', () => {
  it('retains bridge/devices (coordinator included), bridge/state and availability', async () => {
    await settle()
    const devices = JSON.parse(seen.find((m) => m.topic === 'zigbee2mqtt/bridge/devices')!.payload)
    expect(devices.map((d: { friendly_name: string }) => d.friendly_name)).toEqual(['Coordinator', 'Gym'])
    expect(seen.find((m) => m.topic === 'zigbee2mqtt/Gym/availability')?.payload).toBe('{"state":"online"}')
    expect(seen.find((m) => m.topic === 'zigbee2mqtt/bridge/state')?.payload).toBe('{"state":"online"}')
  })

  it('publishes no confirmation after a set; a get answers with the users map', async () => {
    let since = seen.length
    await client.publishAsync('zigbee2mqtt/Gym/set', JSON.stringify({ pin_code: { user: 2, pin_code: '0246' } }))
    await settle()
    // Only the lock's own rf programming event, never a pin_code result.
    expect(deviceMessages(since).map((m) => m.action)).toEqual(['pin_code_added'])
    expect(deviceMessages(since).every((m) => m.users === undefined || m.users['2'] === undefined)).toBe(true)
    since = seen.length
    await client.publishAsync('zigbee2mqtt/Gym/get', JSON.stringify({ pin_code: { user: 2 } }))
    await settle()
    expect(deviceMessages(since)).toEqual([expect.objectContaining({ users: { '2': { pin_code: '0246', status: 'enabled' } } })])
  })

  it('accepts the attribute topic /set/pin_code and the bare LOCK string', async () => {
    await client.publishAsync('zigbee2mqtt/Gym/set/pin_code', JSON.stringify({ user: 9, pin_code: '9999' }))
    await client.publishAsync('zigbee2mqtt/Gym/set', 'UNLOCK')
    await settle()
    expect(lab.simulator.slots('Gym')[9]!.code).toBe('9999')
    expect(lab.simulator.isLocked('Gym')).toBe(false)
  })

  it('a numeric PIN loses its leading zero and the lock refuses the short result', async () => {
    // What a UI sends for "0123": JSON has no leading zeros, so it arrives as 123.
    await client.publishAsync('zigbee2mqtt/Gym/set', '{"pin_code":{"user":4,"pin_code":123}}')
    await settle()
    expect(lab.simulator.slots('Gym')[4]!.code).toBeNull()
  })

  it('errors only reach bridge/logging', async () => {
    const since = seen.length
    await client.publishAsync('zigbee2mqtt/Gym/set', JSON.stringify({ pin_code: { user: 30, pin_code: '1234' } }))
    await client.publishAsync('zigbee2mqtt/Gym/set', JSON.stringify({ pin_code: '1234' }))
    await settle()
    const logs = seen.slice(since).filter((m) => m.topic === 'zigbee2mqtt/bridge/logging').map((m) => JSON.parse(m.payload).message)
    expect(logs).toEqual([
      "Publish 'set' 'pin_code' to 'Gym' failed: 'Error: user must be in range for device'",
      'Publish \'set\' \'pin_code\' to \'Gym\' failed: \'Error: pin_code is not a object, got string ("1234")\'',
    ])
    expect(deviceMessages(since)).toEqual([])
  })

  it('a read-all answers every slot, one full-state publish each', async () => {
    const since = seen.length
    await client.publishAsync('zigbee2mqtt/Gym/get', JSON.stringify({ pin_code: '' }))
    await settle(300)
    const msgs = deviceMessages(since)
    expect(msgs).toHaveLength(30)
    expect(Object.keys(msgs[29].users)).toHaveLength(30)
  })

  it('an offline lock answers nothing, and Z2M logs the failure', async () => {
    lab.simulator.setOnline('Gym', false)
    const since = seen.length
    await client.publishAsync('zigbee2mqtt/Gym/get', JSON.stringify({ pin_code: { user: 2 } }))
    await settle(250)
    expect(deviceMessages(since)).toEqual([])
    expect(seen.slice(since).some((m) => m.topic === 'zigbee2mqtt/bridge/logging' && m.payload.includes('Delivery failed'))).toBe(true)
    expect(seen.slice(since).find((m) => m.topic === 'zigbee2mqtt/Gym/availability')?.payload).toBe('{"state":"offline"}')
    lab.simulator.setOnline('Gym', true)
  })
})
