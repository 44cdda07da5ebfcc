import { describe, expect, it } from 'vitest'
import { Zigbee2MqttDriver } from '../../adapters/zigbee2mqtt/driver.js'
import { sendsProgrammingEvents } from '../../adapters/zigbee2mqtt/models.js'
import { NukiBleDriver } from '../../adapters/nuki-ble/driver.js'
import { ManualClock } from '../../src/kernel/clock.js'
import { RadioTally } from '../../src/ports/radio-tally.js'
import { FakeBleMedium } from '../../simulators/ble-medium/medium.js'

const HOUR = 3_600_000

describe('RadioTally', () => {
  it('counts by lock and kind; the last day drops what is older than 24 hourly buckets', () => {
    const clock = new ManualClock(Date.parse('2026-03-01T00:00:00Z'))
    const tally = new RadioTally(clock)
    tally.count('a', 'read', 3)
    tally.count('a', 'write')
    tally.count('b', 'connection')
    expect(tally.stats('a')).toEqual({ total: { exchanges: 4, byKind: { read: 3, write: 1 } }, lastDay: { exchanges: 4, byKind: { read: 3, write: 1 } } })
    clock.advance(23 * HOUR)
    tally.count('a', 'read')
    expect(tally.stats('a').lastDay.exchanges).toBe(5)
    clock.advance(HOUR)
    expect(tally.stats('a').lastDay).toEqual({ exchanges: 1, byKind: { read: 1 } })
    expect(tally.stats('a').total.exchanges).toBe(5)
    expect(tally.stats('b').total).toEqual({ exchanges: 1, byKind: { connection: 1 } })
    expect(tally.stats('nobody')).toEqual({ total: { exchanges: 0, byKind: {} }, lastDay: { exchanges: 0, byKind: {} } })
  })
})

describe('what the drivers declare their locks tell', () => {
  it('Zigbee2MQTT: programming events unless config or the model table says otherwise; one request per slot', () => {
    const driver = new Zigbee2MqttDriver({ url: 'mqtt://127.0.0.1:1', programmingEvents: { Gym: false, Shed: true } })
    expect(driver.driftCapability('Gym')).toEqual({ reportsCodeChanges: false, readsAllAtOnce: false })
    expect(driver.driftCapability('Shed')).toEqual({ reportsCodeChanges: true, readsAllAtOnce: false })
    expect(driver.driftCapability('Front Door').reportsCodeChanges).toBe(true)
    expect(sendsProgrammingEvents('HT-SLM-2')).toBe(false)
    expect(sendsProgrammingEvents('YRD256HA20BP')).toBe(true)
  })
  it('Nuki: app edits are silent; one keypad-code list reads every code', () => {
    const driver = new NukiBleDriver({ bindings: new FakeBleMedium(), dataDir: '/nonexistent', securityPin: 1234 })
    expect(driver.driftCapability('0FF1CE01')).toEqual({ reportsCodeChanges: false, readsAllAtOnce: true })
    expect(driver.radioStats('0FF1CE01').total.exchanges).toBe(0)
  })
})
