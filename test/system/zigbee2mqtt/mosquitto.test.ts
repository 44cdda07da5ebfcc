// Driver and simulator against a real mosquitto (TCP_NODELAY on), including a broker restart.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Zigbee2MqttDriver } from '../../../adapters/zigbee2mqtt/index.js'
import { TransientDeviceError } from '../../../src/ports/errors.js'
import { labDeviceFacts, startZigbeeLab, type ZigbeeLab, type ZigbeeLabLock } from '../../../src/lab/zigbee-lab.js'
import { measureConvergenceFloor } from '../../../bench/convergence-floor.js'
import { EventLog } from '../../helpers/event-log.js'
import { Mosquitto, findMosquitto, freePort } from '../../helpers/mosquitto.js'

const bin = findMosquitto()
const required = process.env.LOCKSTEP_REQUIRE_SYSTEM_TIER === '1'
if (!bin && !required) console.warn('system tier skipped: mosquitto not installed (apt-get install -y mosquitto); set LOCKSTEP_REQUIRE_SYSTEM_TIER=1 to make this fail')

const LOCKS: ZigbeeLabLock[] = [
  { name: 'Front Door', manufacturer: 'Yale', model: 'YRD256HA20BP', slots: 250, pinLength: { min: 4, max: 8 } },
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
    await broker.stop()
    const noticed = Date.now() + 5000
    while (driver.isConnected() && Date.now() < noticed) await new Promise((r) => setTimeout(r, 20))
    expect(driver.isConnected()).toBe(false)
    await expect(driver.readSlots('Gym', [4])).rejects.toBeInstanceOf(TransientDeviceError)
    await expect(driver.writeSlot('Gym', 5, '5555', 'x')).rejects.toBeInstanceOf(TransientDeviceError)
    await broker.start()
    const until = Date.now() + 10_000
    let reading: unknown
    while (Date.now() < until) {
      try {
        reading = await driver.readSlots('Gym', [4])
        if ((reading as { state: string }[])[0]?.state === 'occupied') break
      } catch (err) {
        if (!(err instanceof TransientDeviceError)) throw err
      }
      await new Promise((r) => setTimeout(r, 100))
    }
    expect(reading).toEqual([{ slot: 4, state: 'occupied', code: '4321' }])
    // Events flow again after the restart too.
    const since = log.mark()
    lab.simulator.enterCode('Gym', '4321')
    await log.waitFor((e) => e.type === 'keypadUsed' && e.granted && e.slot === 4, 3000, since)
  })

  it('raw floor: set+get round trips are not Nagle-bound', async () => {
    const sequential = await measureConvergenceFloor({ brokerUrl: broker.url, deviceNames: ['Front Door'], roundTrips: 200, concurrency: 1 })
    const parallel = await measureConvergenceFloor({ brokerUrl: broker.url, deviceNames: ['Front Door', 'Gym'], roundTrips: 400, concurrency: 16 })
    console.log(`mosquitto floor: sequential ${(sequential / 200).toFixed(3)} ms/round trip, 16 in flight ${(parallel / 400).toFixed(3)} ms/round trip`)
    // Nagle would make each sequential round trip take ~40 ms.
    expect(sequential / 200).toBeLessThan(15)
  })
})
