// The simulated property of lab mode: the device side of every lock and door in config, started next to
// the daemon's real drivers (which talk to them over MQTT, BLE bindings and serial links as on a site).
import { DomainError } from '../domain/errors.js'
import type { OffsetClock } from '../clock.js'
import type { Config } from '../config.js'
import type { Store } from '../store/store.js'
import { startZigbeeLab, type ZigbeeLab } from '../../simulators/zigbee2mqtt-lock/index.js'
import type { LabControl, LabLock } from './control.js'

export interface LabProperty {
  control: LabControl
  stop(): Promise<void>
}

export interface LabDeps {
  config: Config
  store: Store
  clock: OffsetClock
  brokerUrl: string
  /** Called after the lab clock moved, so time-bound work is looked at again. */
  onClockAdvanced: () => void
}

export async function startLabProperty(deps: LabDeps): Promise<LabProperty> {
  const { config, store, clock } = deps
  const zigbeeLocks = config.locks.filter((l) => l.driver === 'zigbee2mqtt')
  const zigbee: ZigbeeLab | null = zigbeeLocks.length
    ? await startZigbeeLab({
        brokerUrl: deps.brokerUrl,
        baseTopic: config.mqtt.base_topic,
        clock,
        locks: zigbeeLocks.map((l) => ({
          name: l.native_id,
          manufacturer: l.manufacturer,
          model: l.model,
          slots: l.slots,
          pinLength: { min: l.code_length[0], max: l.code_length[1] },
          exposePin: l.expose_pin,
        })),
      })
    : null

  const zigbeeLock = (name: string): LabLock => {
    const sim = zigbee!.simulator
    return {
      enterCode: async (code) => {
        const r = sim.enterCode(name, code)
        return { granted: r.granted, reason: r.granted ? 'granted' : r.reason }
      },
      programCode: async (slot, code) => {
        const r = sim.programCode(name, slot, code)
        if (!r.accepted) throw new DomainError('lock_refused_code', `The lock refused the change: ${r.reason ?? 'refused'}`, 400)
      },
      slots: async () => sim.slots(name),
      setOnline: async (online) => sim.setOnline(name, online),
    }
  }

  const control: LabControl = {
    lock(deviceId) {
      const device = store.devices.find(deviceId)
      if (!device) return undefined
      if (device.driver === 'zigbee2mqtt' && zigbee && zigbeeLocks.some((l) => l.native_id === device.nativeId)) return zigbeeLock(device.nativeId)
      return undefined
    },
    advanceClock(seconds) {
      clock.advance(seconds * 1000)
      deps.onClockAdvanced()
    },
    now: () => clock.now(),
  }

  return {
    control,
    async stop() {
      await zigbee?.stop()
    },
  }
}
