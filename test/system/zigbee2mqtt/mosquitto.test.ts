// Driver and simulator against a real mosquitto, including a broker restart. Speed through mosquitto (the
// set+get floor, which Nagle would push to ~40 ms a round trip) is measured by `npm run bench -- convergence
// --broker mosquitto`, not asserted here: a wall-clock limit in a test fails on a busy machine.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Zigbee2MqttDriver } from '../../../adapters/zigbee2mqtt/index.js'
import { TransientDeviceError } from '../../../src/ports/errors.js'
import { labDeviceFacts, startZigbeeLab, type ZigbeeLab, type ZigbeeLabLock } from '../../../src/lab/zigbee-lab.js'
import { EventLog } from '../../helpers/event-log.js'
import { eventually } from '../../helpers/eventually.js'
import { Mosquitto, findMosquitto, freePort } from '../../../testkit/mosquitto.js'

const bin = findMosquitto()
const required = process.env.LOCKSTEP_REQUIRE_SYSTEM_TIER === '1'
if (!bin && !required) console.warn('system tier skipped: mosquitto not installed (apt-get install -y mosquitto); set LOCKSTEP_REQUIRE_SYSTEM_TIER=1 to make this fail')

const LOCKS: ZigbeeLabLock[] = [
  { name: 'Gym', manufacturer: 'Schlage', model: 'BE468', slots: 30, pinLength: { min: 4, max: 8 } },
]

describe.skipIf(!bin && !required)('zigbee2mqtt against real mosquitto', () => {
  let broker: Mosquitto
  let lab: ZigbeeLab
  let driver: Zigbee2MqttDriver
  const log = new EventLog()

  beforeAll(async () => {
    if (!bin) throw new Error('LOCKSTEP_REQUIRE_SYSTEM_TIER=1 but mosquitto is not installed')
    broker = new Mosquitto(bin, await freePort())
    await broker.start()
    lab = await startZigbeeLab({ brokerUrl: broker.url, locks: LOCKS, commandTimeoutMs: 300 })
    driver = new Zigbee2MqttDriver({ url: broker.url, requestTimeoutMs: 1000, reconnectPeriodMs: 200, devices: labDeviceFacts(LOCKS) })
    await driver.start(log.sink)
    await log.waitFor((e) => e.type === 'discovered' && e.device.nativeId === 'Gym')
  })

  afterAll(async () => {
    await driver?.stop()
    await lab?.stop()
    await broker?.dispose()
  })

  it('writes and reads back through mosquitto', async () => {
    await driver.writeSlot('Gym', 4, '4321', 'x')
    expect(await driver.readSlots('Gym', [4])).toEqual([{ slot: 4, state: 'occupied', code: '4321' }])
  })

  it('survives a broker restart: Transient while down, then reconnects, resubscribes and reads again', async () => {
    await driver.writeSlot('Gym', 4, '4321', 'x')
    await broker.stop()
    await eventually(() => expect(driver.isConnected()).toBe(false), 5000)
    await expect(driver.readSlots('Gym', [4])).rejects.toBeInstanceOf(TransientDeviceError)
    await expect(driver.writeSlot('Gym', 5, '5555', 'x')).rejects.toBeInstanceOf(TransientDeviceError)
    await broker.start()
    // Transient (or unreadable) until the driver has reconnected and resubscribed; then the slot as written.
    await eventually(async () => expect(await driver.readSlots('Gym', [4])).toEqual([{ slot: 4, state: 'occupied', code: '4321' }]), 10_000, 100)
    // Events flow again after the restart too.
    const since = log.mark()
    lab.simulator.enterCode('Gym', '4321')
    await log.waitFor((e) => e.type === 'keypadUsed' && e.granted && e.slot === 4, 3000, since)
  })
})
