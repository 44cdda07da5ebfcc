import { createConnection } from 'node:net'
import { describe, expect, it } from 'vitest'
import mqtt from 'mqtt'
import { mqttPortFromEnv, startBroker } from '../../../src/mqtt/broker.js'
import { startZigbeeLab } from '../../../src/lab/zigbee-lab.js'
import { eventually } from '../../helpers/eventually.js'

describe('embedded broker', () => {
  it('serves on loopback, passes messages, and close() frees the port even with clients attached', async () => {
    const broker = await startBroker({ port: 0 })
    expect(broker.url).toMatch(/^mqtt:\/\/127\.0\.0\.1:\d+$/)
    const a = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 })
    const got = new Promise<string>((r) => a.on('message', (_t, p) => r(p.toString())))
    await a.subscribeAsync('t')
    await a.publishAsync('t', 'hello')
    expect(await got).toBe('hello')
    await broker.close()
    const refused = await new Promise<boolean>((resolve) => {
      const s = createConnection({ port: broker.port, host: '127.0.0.1' }, () => (s.destroy(), resolve(false)))
      s.on('error', () => resolve(true))
    })
    expect(refused).toBe(true)
    await a.endAsync(true)
  })

  it('reads LOCKSTEP_MQTT_PORT, default 1883', () => {
    expect(mqttPortFromEnv({})).toBe(1883)
    expect(mqttPortFromEnv({ LOCKSTEP_MQTT_PORT: '0' })).toBe(0)
    expect(() => mqttPortFromEnv({ LOCKSTEP_MQTT_PORT: 'x' })).toThrow(RangeError)
  })
})

describe('driver without a broker', () => {
  it('start() returns after its connect timeout and requests fail as transient', async () => {
    const { Zigbee2MqttDriver } = await import('../../../adapters/zigbee2mqtt/index.js')
    const { TransientDeviceError } = await import('../../../src/ports/errors.js')
    const broker = await startBroker({ port: 0 })
    const url = broker.url
    await broker.close() // a port that nothing listens on
    const driver = new Zigbee2MqttDriver({ url, connectTimeoutMs: 300, reconnectPeriodMs: 100 })
    // No wall-clock limit here: were the 300 ms ignored, start() would wait the 5 s default and outlive the test's timeout.
    await driver.start(() => {})
    expect(driver.isConnected()).toBe(false)
    await expect(driver.writeSlot('Front Door', 1, '1234', 'x')).rejects.toBeInstanceOf(TransientDeviceError)
    await driver.stop()
  })
})

describe('bridge state', () => {
  it('Z2M shutting down takes every lock offline; Z2M back brings them online (custom base topic)', async () => {
    const { Zigbee2MqttDriver } = await import('../../../adapters/zigbee2mqtt/index.js')
    const { EventLog } = await import('../../helpers/event-log.js')
    const broker = await startBroker({ port: 0 })
    const locks = [{ name: 'Gym', manufacturer: 'Schlage', model: 'BE468', slots: 30, pinLength: { min: 4, max: 8 } }]
    let lab = await startZigbeeLab({ brokerUrl: broker.url, baseTopic: 'site/z2m', locks })
    const log = new EventLog()
    const driver = new Zigbee2MqttDriver({ url: broker.url, baseTopic: 'site/z2m', requestTimeoutMs: 300 })
    try {
      await driver.start(log.sink)
      await log.waitFor((e) => e.type === 'discovered' && e.device.nativeId === 'Gym' && e.device.online)
      let since = log.mark()
      await lab.stop()
      await log.waitFor((e) => e.type === 'offline' && e.nativeId === 'Gym', 3000, since)
      expect(await driver.readSlots('Gym', [0])).toEqual([{ slot: 0, state: 'unreadable', reason: 'device offline' }])
      since = log.mark()
      lab = await startZigbeeLab({ brokerUrl: broker.url, baseTopic: 'site/z2m', locks })
      await log.waitFor((e) => e.type === 'online' && e.nativeId === 'Gym', 3000, since)
      expect(await driver.readSlots('Gym', [0])).toEqual([{ slot: 0, state: 'empty' }])
    } finally {
      await driver.stop()
      await lab.stop()
      await broker.close()
    }
  })
})

describe('broker connection lost', () => {
  it('says eventsMissed for every lock once per outage, not on every failed reconnect', async () => {
    const { Zigbee2MqttDriver } = await import('../../../adapters/zigbee2mqtt/index.js')
    const { EventLog } = await import('../../helpers/event-log.js')
    let broker = await startBroker({ port: 0 })
    const port = broker.port
    const locks = ['A', 'B'].map((name) => ({ name, manufacturer: 'Yale', model: 'YRD256HA20BP', slots: 250, pinLength: { min: 4, max: 8 } }))
    const lab = await startZigbeeLab({ brokerUrl: broker.url, locks })
    const log = new EventLog()
    // Each failed reconnect attempt surfaces as a logged MQTT error: the count shows attempts have happened.
    const mqttErrors: string[] = []
    const driver = new Zigbee2MqttDriver({ url: broker.url, reconnectPeriodMs: 50, requestTimeoutMs: 300, log: (_level, m) => void (m.startsWith('mqtt:') && mqttErrors.push(m)) })
    try {
      await driver.start(log.sink)
      await log.waitFor((e) => e.type === 'discovered' && e.device.nativeId === 'B')
      expect(log.events.filter((e) => e.type === 'eventsMissed')).toEqual([])
      await broker.close()
      await log.waitFor((e) => e.type === 'eventsMissed' && e.nativeId === 'B')
      const failedBefore = mqttErrors.length
      await eventually(() => expect(mqttErrors.length).toBeGreaterThanOrEqual(failedBefore + 3)) // several failed reconnect attempts
      expect(log.events.filter((e) => e.type === 'eventsMissed').map((e) => (e as { nativeId: string }).nativeId).sort()).toEqual(['A', 'B'])
      broker = await startBroker({ port })
      await eventually(() => expect(driver.isConnected()).toBe(true))
      await broker.close()
      await eventually(() => expect(log.events.filter((e) => e.type === 'eventsMissed')).toHaveLength(4))
    } finally {
      await driver.stop()
      await lab.stop()
      await broker.close().catch(() => undefined)
    }
  })
})

describe('bridge/devices changes', () => {
  it('a lock removed from the list is reported offline and not driven; listed again, it is discovered again', async () => {
    const { Zigbee2MqttDriver } = await import('../../../adapters/zigbee2mqtt/index.js')
    const { TransientDeviceError } = await import('../../../src/ports/errors.js')
    const { EventLog } = await import('../../helpers/event-log.js')
    const broker = await startBroker({ port: 0 })
    const locks = ['A', 'B'].map((name) => ({ name, manufacturer: 'Yale', model: 'YRD256HA20BP', slots: 250, pinLength: { min: 4, max: 8 } }))
    const lab = await startZigbeeLab({ brokerUrl: broker.url, locks })
    const log = new EventLog()
    const driver = new Zigbee2MqttDriver({ url: broker.url, requestTimeoutMs: 300 })
    const z2m = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 })
    try {
      await driver.start(log.sink)
      await log.waitFor((e) => e.type === 'discovered' && e.device.nativeId === 'B' && e.device.online)
      const listed = new Promise<unknown[]>((r) => z2m.once('message', (_t, p) => r(JSON.parse(p.toString()) as unknown[])))
      await z2m.subscribeAsync('zigbee2mqtt/bridge/devices')
      const devices = await listed
      let since = log.mark()
      const withoutB = devices.filter((d) => (d as { friendly_name?: string }).friendly_name !== 'B')
      await z2m.publishAsync('zigbee2mqtt/bridge/devices', JSON.stringify(withoutB), { retain: true, qos: 1 })
      await log.waitFor((e) => e.type === 'offline' && e.nativeId === 'B', 3000, since)
      expect(log.events.slice(since).some((e) => e.type === 'offline' && e.nativeId === 'A')).toBe(false)
      await expect(driver.writeSlot('B', 1, '1234', 'x')).rejects.toBeInstanceOf(TransientDeviceError)
      since = log.mark()
      await z2m.publishAsync('zigbee2mqtt/bridge/devices', JSON.stringify(devices), { retain: true, qos: 1 })
      await log.waitFor((e) => e.type === 'discovered' && e.device.nativeId === 'B' && e.device.online, 3000, since)
      expect(await driver.writeSlot('B', 1, '1234', 'x')).toEqual({ slot: 1, state: 'occupied', code: '1234' })
    } finally {
      await z2m.endAsync(true)
      await driver.stop()
      await lab.stop()
      await broker.close()
    }
  })
})
