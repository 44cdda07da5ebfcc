// The online-lock drivers a site runs, from config: Zigbee2MQTT over the embedded broker (or an
// external one when mqtt.url is set).
import type { Clock } from './kernel/clock.js'
import type { Config } from './config.js'
import type { Logger } from './log.js'
import { startBroker, type RunningBroker } from './mqtt/broker.js'
import { join } from 'node:path'
import { Zigbee2MqttDriver } from '../adapters/zigbee2mqtt/index.js'
import type { NukiBleDriver } from '../adapters/nuki-ble/index.js'
import type { LockDriver } from './ports/lock-driver.js'

export async function startBrokerForSite(config: Config, log: Logger): Promise<{ url: string; broker: RunningBroker | null }> {
  if (config.mqtt.url) return { url: config.mqtt.url, broker: null }
  const broker = await startBroker({ host: config.mqtt.host, port: config.mqtt.port })
  log.info({ url: broker.url }, 'embedded MQTT broker listening')
  return { url: broker.url, broker }
}

export function zigbeeDriver(config: Config, brokerUrl: string, clock: Clock, log: Logger): Zigbee2MqttDriver {
  const zigbeeLocks = config.locks.filter((l) => l.driver === 'zigbee2mqtt')
  return new Zigbee2MqttDriver({
    url: brokerUrl,
    baseTopic: config.mqtt.base_topic,
    clock,
    devices: Object.fromEntries(
      zigbeeLocks.map((l) => [l.native_id, { slotCount: l.slots, minPinLength: l.code_length[0], maxPinLength: l.code_length[1] }]),
    ),
    log: (level, message) => log[level]({ driver: 'zigbee2mqtt' }, message),
  })
}

/**
 * Nuki locks over the box's own Bluetooth adapter (real sites; the lab uses a simulated radio instead).
 * Loaded only when a Nuki lock is configured: the BLE stack and its crypto are not free in memory.
 */
export async function nukiDriver(config: Config, clock: Clock, log: Logger): Promise<NukiBleDriver | null> {
  const locks = config.locks.filter((l) => l.driver === 'nuki-ble')
  if (locks.length === 0) return null
  const { hciBindings, NukiBleDriver } = await import('../adapters/nuki-ble/index.js')
  return new NukiBleDriver({
    bindings: hciBindings(),
    dataDir: join(config.data_dir, 'nuki-ble'),
    securityPin: (nukiId) => locks.find((l) => l.native_id.toUpperCase() === nukiId)?.security_pin ?? 0,
    slotCount: Math.max(...locks.map((l) => l.slots)),
    clock,
    log: log.child({ driver: 'nuki-ble' }),
  })
}

/**
 * Z-Wave locks through zwave-js-server (the Home Assistant add-on, Z-Wave JS UI) when `zwave_js.url` is set.
 * Config's zwave-js locks (native_id = node id) lend their slot count and code length to the driver.
 */
export async function zwaveDriver(config: Config, clock: Clock, log: Logger): Promise<LockDriver | null> {
  if (!config.zwave_js.url) return null
  const { ZwaveJsDriver } = await import('../adapters/zwave-js/index.js')
  return new ZwaveJsDriver({
    url: config.zwave_js.url,
    devices: zwaveDeviceOverrides(config),
    clock,
    log: (level, message) => log[level]({ driver: 'zwave-js' }, message),
  })
}

export function zwaveDeviceOverrides(config: Config): Record<string, { slotCount: number; minLength: number; maxLength: number }> {
  return Object.fromEntries(
    config.locks
      .filter((l) => l.driver === 'zwave-js')
      .map((l) => [l.native_id, { slotCount: l.slots, minLength: l.code_length[0], maxLength: l.code_length[1] }]),
  )
}
