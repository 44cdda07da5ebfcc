// The online-lock drivers a site runs, from config: Zigbee2MQTT over the site's MQTT broker, Nuki over
// the box's Bluetooth adapter; and the service that starts them without letting one missing radio stop
// the daemon.
import type { Clock } from './kernel/clock.js'
import type { Config } from './config.js'
import type { Logger } from './log.js'
import type { Service } from './kernel/service.js'
import type { LockDriver } from './ports/lock-driver.js'
import type { DeviceEvent } from './ports/device-events.js'
import { join } from 'node:path'
import { Zigbee2MqttDriver } from '../adapters/zigbee2mqtt/index.js'
import type { NukiBleDriver } from '../adapters/nuki-ble/index.js'

const DRIVER_START_WAIT_MS = 10_000
const DRIVER_RETRY_MS = 5_000
const DRIVER_RETRY_MAX_MS = 5 * 60_000

export interface LockDriversOptions {
  drivers: LockDriver[]
  /** Where each driver's reports go, with the driver's kind. */
  onEvent: (driver: string, event: DeviceEvent) => void
  log: Logger
  /** First wait before a driver that failed to start is tried again (doubles, at most 5 min; default 5 s). */
  retryMs?: number
}

/**
 * The lock drivers as one service. One broken or slow radio must not take the site down: start() returns
 * regardless, and a driver still starting after DRIVER_START_WAIT_MS goes on in the background (its locks
 * stay offline until then). A driver that fails to start (a Bluetooth adapter not plugged in yet) is
 * tried again with backoff until it starts or the service stops.
 */
export class LockDrivers implements Service {
  readonly name = 'lock drivers'
  readonly byKind = new Map<string, LockDriver>()
  private stopped = false
  private readonly timers = new Set<NodeJS.Timeout>()

  constructor(private readonly opts: LockDriversOptions) {
    for (const d of opts.drivers) this.byKind.set(d.kind, d)
  }

  async start(): Promise<void> {
    this.stopped = false
    await Promise.all(
      [...this.byKind.values()].map(async (driver) => {
        const started = this.startDriver(driver, 1)
        let slow: NodeJS.Timeout | undefined
        const waited = await Promise.race([started, new Promise<'slow'>((r) => (slow = setTimeout(r, DRIVER_START_WAIT_MS, 'slow')))])
        clearTimeout(slow)
        if (waited === 'slow') this.opts.log.warn({ driver: driver.kind }, 'lock driver still starting; continuing without waiting')
      }),
    )
  }

  async stop(): Promise<void> {
    this.stopped = true
    for (const t of this.timers) clearTimeout(t)
    this.timers.clear()
    for (const d of this.byKind.values()) await d.stop().catch((err) => this.opts.log.warn({ err, driver: d.kind }, 'driver stop failed'))
  }

  private startDriver(driver: LockDriver, attempt: number): Promise<boolean> {
    const { log } = this.opts
    return driver.start((event) => this.opts.onEvent(driver.kind, event)).then(
      () => {
        if (attempt > 1) log.info({ driver: driver.kind, attempt }, 'lock driver started')
        return true
      },
      (err) => {
        const retryMs = Math.min(DRIVER_RETRY_MAX_MS, (this.opts.retryMs ?? DRIVER_RETRY_MS) * 2 ** (attempt - 1))
        log.error({ err, driver: driver.kind, attempt, retry_in_s: retryMs / 1000 }, 'lock driver failed to start; its locks stay offline until it does')
        if (this.stopped) return false
        const timer = setTimeout(() => {
          this.timers.delete(timer)
          if (this.stopped) return
          // stop() first: a half-started driver may hold listeners or a scan.
          void driver.stop().catch(() => undefined).then(() => (this.stopped ? false : this.startDriver(driver, attempt + 1)))
        }, retryMs)
        timer.unref()
        this.timers.add(timer)
        return false
      },
    )
  }
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
    programmingEvents: Object.fromEntries(zigbeeLocks.flatMap((l) => (l.reports_code_changes === undefined ? [] : [[l.native_id, l.reports_code_changes]]))),
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
