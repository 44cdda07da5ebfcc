// The device registry: locks named in config, what drivers discover and report (availability, battery),
// and the device reads of the API. Everything else a driver reports goes on to the reconciler.
import type { Config, LockConfig } from '../config.js'
import type { Device } from '../domain/device.js'
import { invalidInput, notFound } from '../domain/errors.js'
import { setBackupPool } from './backup-codes.js'
import type { Logger } from '../log.js'
import type { DeviceEvent, DiscoveredLock } from '../ports/device-events.js'
import type { DeviceFilter } from '../store/devices.js'
import type { Store } from '../store/store.js'

/** Who hears the device events the registry does not keep (the reconciler). */
export interface DeviceEventListener {
  onDeviceEvent(deviceId: string, event: DeviceEvent): void
}

export class DevicesApp {
  constructor(private readonly store: Store) {}

  /** Locks named in config are known before any driver reports them, so their ids are stable from the first start. */
  registerConfiguredLocks(config: Pick<Config, 'locks'>): void {
    registerConfiguredLocks(this.store, config)
  }

  /** A driver's report: discovery, availability and battery go to the registry; the reconciler hears the rest. */
  onDeviceEvent(config: Pick<Config, 'locks'>, next: DeviceEventListener, driver: string, event: DeviceEvent, log: Logger): void {
    onDeviceEvent(config, this.store, next, driver, event, log)
  }

  list(f?: DeviceFilter): Device[] {
    return this.store.devices.list(f)
  }

  get(deviceId: string): Device {
    return this.store.devices.get(deviceId)
  }

  /**
   * /devices/update: a name (null = back to the name config or the driver gives) and custom_metadata,
   * merged key by key (a null value removes the key). One transaction; a rename appends device.name_changed.
   */
  update(deviceId: string, input: { name?: string | null; customMetadata?: Record<string, string | boolean | null>; backupPoolEnabled?: boolean }): Device {
    const store = this.store
    return store.tx(() => {
      const d = store.devices.get(deviceId)
      let metadata: Record<string, string | boolean> | undefined
      if (input.customMetadata !== undefined) {
        metadata = { ...(d.customMetadata ?? {}) }
        for (const [k, v] of Object.entries(input.customMetadata)) {
          if (v === null) delete metadata[k]
          else metadata[k] = v
        }
        if (Object.keys(metadata).length > MAX_METADATA_KEYS) {
          throw invalidInput(`custom_metadata may hold at most ${MAX_METADATA_KEYS} keys`, 'custom_metadata')
        }
      }
      const renamed = input.name !== undefined && input.name !== (d.nickname ?? null)
      store.devices.setUserFields(deviceId, { ...(renamed ? { nickname: input.name } : {}), ...(metadata ? { customMetadata: metadata } : {}) })
      const after = store.devices.get(deviceId)
      if (renamed && after.displayName !== d.displayName) {
        store.events.append({ event_type: 'device.name_changed', device_id: deviceId, connected_account_id: d.connectedAccountId, device_name: after.displayName })
      }
      if (input.backupPoolEnabled !== undefined) setBackupPool(store, deviceId, input.backupPoolEnabled)
      return store.devices.get(deviceId)
    })
  }

  /**
   * /access_codes/report_device_constraints: the code lengths the lock really takes, narrowing what its driver
   * reports (new codes are checked and generated against them). A range outside the driver's is refused.
   */
  reportCodeLengths(deviceId: string, lengths: { min: number; max: number }): Device {
    const store = this.store
    return store.tx(() => {
      store.devices.setReportedCodeLengths(deviceId, null)
      const d = store.devices.get(deviceId)
      if (lengths.min > lengths.max) throw invalidInput('min_code_length must not exceed max_code_length', 'min_code_length')
      if (lengths.max < d.constraints.minLength || lengths.min > d.constraints.maxLength) {
        throw invalidInput(`supported_code_lengths: this lock takes codes of ${d.constraints.minLength} to ${d.constraints.maxLength} digits; the reported lengths share none with it`, 'supported_code_lengths')
      }
      store.devices.setReportedCodeLengths(deviceId, lengths)
      return store.devices.get(deviceId)
    })
  }

  /** By id, else by display name. */
  getByIdOrName(ref: { deviceId?: string; name?: string }): Device {
    const d = ref.deviceId ? this.store.devices.get(ref.deviceId) : this.store.devices.findByName(ref.name!)
    if (!d) throw notFound('device', ref.name)
    return d
  }
}

const MAX_METADATA_KEYS = 50

export function onDeviceEvent(config: Pick<Config, 'locks'>, store: Store, next: DeviceEventListener, driver: string, event: DeviceEvent, log: Logger): void {
  try {
    if (event.type === 'discovered') {
      // Config speaks for the site: its name and the manufacturer app's name rules win over what the radio says.
      const declared = config.locks.find((l) => l.driver === driver && l.native_id === event.device.nativeId)
      const lock: DiscoveredLock = declared
        ? { ...event.device, displayName: declared.name, constraints: { ...event.device.constraints, name: nameRules(declared) } }
        : event.device
      const { device, created } = store.tx(() => {
        const result = store.devices.upsert(lock)
        store.devices.setOnline(result.device.deviceId, lock.online)
        return result
      })
      if (created) log.info({ device_id: device.deviceId, name: device.displayName, driver }, 'new lock discovered')
      next.onDeviceEvent(device.deviceId, { type: event.device.online ? 'online' : 'offline', nativeId: event.device.nativeId })
      return
    }
    const device = store.devices.findByNative(driver, event.nativeId)
    if (!device) return log.debug({ driver, native_id: event.nativeId, type: event.type }, 'event for an unknown device ignored')
    if (event.type === 'battery') return void store.tx(() => store.devices.setBattery(device.deviceId, event.level))
    // The registry follows availability at once; the reconciler only hears about transitions it saw.
    if (event.type === 'online' || event.type === 'offline') store.tx(() => store.devices.setOnline(device.deviceId, event.type === 'online'))
    next.onDeviceEvent(device.deviceId, event)
  } catch (err) {
    log.error({ err, driver, type: event.type }, 'device event failed')
  }
}

function nameRules(lock: LockConfig) {
  return { maxLength: lock.name_rules.max_length, charset: lock.name_rules.charset, unique: lock.name_rules.unique }
}

export function registerConfiguredLocks(store: Store, config: Pick<Config, 'locks'>): void {
  store.tx(() => {
    for (const lock of config.locks) {
      const discovered: DiscoveredLock = {
        nativeId: lock.native_id,
        driver: lock.driver,
        displayName: lock.name,
        manufacturer: lock.manufacturer,
        model: lock.model,
        deviceType: lock.device_type,
        online: false,
        constraints: {
          minLength: lock.code_length[0],
          maxLength: lock.code_length[1],
          alphabet: lock.alphabet,
          noLeadingZero: lock.no_leading_zero,
          firstSlot: 1,
          slotCount: lock.slots,
          name: nameRules(lock),
        },
      }
      store.devices.upsert(discovered)
    }
  })
}
