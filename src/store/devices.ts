// Devices: registered from config or discovered by a driver, keyed by (driver, native_id).
import type { DiscoveredLock } from '../ports/device-events.js'
import { metadataHas, withReportedLengths, type Device, type DeviceError, type DeviceWarning } from '../domain/device.js'
import { notFound } from '../domain/errors.js'
import { stableUuid } from '../kernel/ids.js'
import { isoUtc } from '../kernel/clock.js'
import { json, type StoreContext } from './context.js'
import type { EventLog } from './events.js'
import { isLow, nextBatteryStatus, type BatteryStatus } from '../domain/battery.js'

interface Row {
  seq: number
  device_id: string
  driver: string
  native_id: string
  connected_account_id: string
  display_name: string
  device_type: string
  manufacturer: string
  model: string
  constraints: string
  online: number
  locked: number | null
  battery_level: number | null
  errors: string
  warnings: string
  created_at: number
  custom_metadata: string
  nickname: string | null
  reported_code_lengths: string | null
  backup_pool_enabled: number
}

function fromRow(r: Row): Device {
  return {
    seq: r.seq,
    deviceId: r.device_id,
    driver: r.driver,
    nativeId: r.native_id,
    connectedAccountId: r.connected_account_id,
    displayName: r.nickname ?? r.display_name,
    deviceType: r.device_type,
    manufacturer: r.manufacturer,
    model: r.model,
    constraints: withReportedLengths(JSON.parse(r.constraints), r.reported_code_lengths === null ? null : JSON.parse(r.reported_code_lengths)),
    online: r.online === 1,
    locked: r.locked === null ? null : r.locked === 1,
    batteryLevel: r.battery_level,
    errors: JSON.parse(r.errors),
    warnings: JSON.parse(r.warnings),
    createdAt: r.created_at,
    customMetadata: JSON.parse(r.custom_metadata),
    nickname: r.nickname,
    backupPoolEnabled: r.backup_pool_enabled === 1,
  }
}

export interface DeviceFilter {
  deviceIds?: string[]
  deviceTypes?: string[]
  manufacturer?: string
  search?: string
  createdBefore?: number
  /** Seam's custom_metadata_has: every pair must be in the device's custom_metadata. */
  customMetadataHas?: Record<string, string | boolean>
}

export class Devices {
  constructor(private readonly ctx: StoreContext, private readonly events: EventLog) {}

  /** Id of a device is stable across restarts: derived from the box's workspace and (driver, native id). */
  idFor(driver: string, nativeId: string): string {
    return stableUuid(this.ctx.workspaceId, `device:${driver}:${nativeId}`)
  }

  /** Registers or refreshes a lock a driver (or config) reported. Returns the device and whether it is new. */
  upsert(lock: DiscoveredLock): { device: Device; created: boolean } {
    const existing = this.findByNative(lock.driver, lock.nativeId)
    const now = this.ctx.clock.now()
    if (existing) {
      this.ctx.db
        .prepare(
          'UPDATE devices SET display_name = ?, device_type = ?, manufacturer = ?, model = ?, constraints = ? WHERE device_id = ?',
        )
        .run(lock.displayName, lock.deviceType, lock.manufacturer, lock.model, json.str(lock.constraints), existing.deviceId)
      return { device: this.get(existing.deviceId), created: false }
    }
    const deviceId = this.idFor(lock.driver, lock.nativeId)
    this.ctx.db
      .prepare(
        `INSERT INTO devices (device_id, driver, native_id, connected_account_id, display_name, device_type, manufacturer, model,
          constraints, online, locked, battery_level, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)`,
      )
      .run(
        deviceId, lock.driver, lock.nativeId, stableUuid(this.ctx.workspaceId, `account:${lock.driver}`), lock.displayName,
        lock.deviceType, lock.manufacturer, lock.model, json.str(lock.constraints), 0,
        lock.locked === undefined ? null : lock.locked ? 1 : 0, lock.batteryLevel ?? null, now,
      )
    const device = this.get(deviceId)
    this.events.append({ event_type: 'device.added', device_id: deviceId, connected_account_id: device.connectedAccountId })
    return { device, created: true }
  }

  find(deviceId: string): Device | undefined {
    const r = this.ctx.db.prepare('SELECT * FROM devices WHERE device_id = ?').get(deviceId) as Row | undefined
    return r && fromRow(r)
  }

  get(deviceId: string): Device {
    const d = this.find(deviceId)
    if (!d) throw notFound('device', deviceId)
    return d
  }

  findByName(name: string): Device | undefined {
    const r = this.ctx.db.prepare('SELECT * FROM devices WHERE COALESCE(nickname, display_name) = ? ORDER BY seq LIMIT 1').get(name) as Row | undefined
    return r && fromRow(r)
  }

  findByNative(driver: string, nativeId: string): Device | undefined {
    const r = this.ctx.db.prepare('SELECT * FROM devices WHERE driver = ? AND native_id = ?').get(driver, nativeId) as Row | undefined
    return r && fromRow(r)
  }

  list(f: DeviceFilter = {}): Device[] {
    const all = (this.ctx.db.prepare('SELECT * FROM devices ORDER BY seq').all() as Row[]).map(fromRow)
    const search = f.search?.toLowerCase()
    return all.filter(
      (d) =>
        (!f.deviceIds?.length || f.deviceIds.includes(d.deviceId)) &&
        (!f.deviceTypes?.length || f.deviceTypes.includes(d.deviceType)) &&
        (!f.manufacturer || d.manufacturer.toLowerCase() === f.manufacturer.toLowerCase()) &&
        (!search || d.displayName.toLowerCase().includes(search) || d.deviceId === f.search) &&
        (f.createdBefore === undefined || d.createdAt < f.createdBefore) &&
        (!f.customMetadataHas || metadataHas(d.customMetadata ?? {}, f.customMetadataHas)),
    )
  }

  /** Online/offline, with the `device_offline` error and a connected/disconnected event on each change. */
  setOnline(deviceId: string, online: boolean): boolean {
    const d = this.get(deviceId)
    if (d.online === online) return false
    const errors = d.errors.filter((e) => e.error_code !== 'device_offline')
    if (!online) errors.push(deviceError('device_offline', 'Device is offline', this.ctx.clock.now()))
    this.ctx.db.prepare('UPDATE devices SET online = ?, errors = ? WHERE device_id = ?').run(online ? 1 : 0, json.str(errors), deviceId)
    this.events.append({
      event_type: online ? 'device.connected' : 'device.disconnected',
      device_id: deviceId,
      connected_account_id: d.connectedAccountId,
      // Seam's disconnected event names the cause from its own short list and carries the error state.
      ...(online ? {} : { error_code: 'device_disconnected', device_errors: errors.map(({ is_device_error: _, ...e }) => e), device_warnings: d.warnings, connected_account_errors: [], connected_account_warnings: [] }),
    })
    return true
  }

  /** Sets or clears one device error by code (e.g. the reconciler's breaker). Returns true on change. */
  setError(deviceId: string, errorCode: string, message: string | null): boolean {
    const d = this.get(deviceId)
    const had = d.errors.some((e) => e.error_code === errorCode)
    if (had === (message !== null) && (message === null || d.errors.find((e) => e.error_code === errorCode)?.message === message)) return false
    const errors = d.errors.filter((e) => e.error_code !== errorCode)
    if (message !== null) errors.push(deviceError(errorCode, message, this.ctx.clock.now()))
    this.ctx.db.prepare('UPDATE devices SET errors = ? WHERE device_id = ?').run(json.str(errors), deviceId)
    return true
  }

  setWarnings(deviceId: string, warnings: DeviceWarning[]): void {
    this.ctx.db.prepare('UPDATE devices SET warnings = ? WHERE device_id = ?').run(json.str(warnings), deviceId)
  }

  setLocked(deviceId: string, locked: boolean): boolean {
    const d = this.get(deviceId)
    if (d.locked === locked) return false
    this.ctx.db.prepare('UPDATE devices SET locked = ? WHERE device_id = ?').run(locked ? 1 : 0, deviceId)
    return true
  }

  /** /devices/update: a nickname (null = back to the driver's name) and the whole new custom_metadata. */
  setUserFields(deviceId: string, f: { nickname?: string | null; customMetadata?: Record<string, string | boolean> }): void {
    if (f.nickname !== undefined) this.ctx.db.prepare('UPDATE devices SET nickname = ? WHERE device_id = ?').run(f.nickname, deviceId)
    if (f.customMetadata !== undefined) this.ctx.db.prepare('UPDATE devices SET custom_metadata = ? WHERE device_id = ?').run(json.str(f.customMetadata), deviceId)
  }

  setBackupPoolEnabled(deviceId: string, enabled: boolean): void {
    this.ctx.db.prepare('UPDATE devices SET backup_pool_enabled = ? WHERE device_id = ?').run(enabled ? 1 : 0, deviceId)
  }

  /** /access_codes/report_device_constraints: code lengths the lock really accepts (null = the driver's). */
  setReportedCodeLengths(deviceId: string, lengths: { min: number; max: number } | null): void {
    this.ctx.db.prepare('UPDATE devices SET reported_code_lengths = ? WHERE device_id = ?').run(lengths === null ? null : json.str(lengths), deviceId)
  }

  /**
   * A battery reading. Unchanged readings write nothing (locks report their battery with every state
   * message). A new status appends `device.battery_status_changed`; entering low/critical also `device.low_battery`.
   */
  setBattery(deviceId: string, level: number): void {
    const d = this.get(deviceId)
    const row = this.ctx.db.prepare('SELECT battery_status FROM devices WHERE device_id = ?').get(deviceId) as { battery_status: BatteryStatus | null }
    const previous = row.battery_status
    const status = nextBatteryStatus(previous, level)
    if (d.batteryLevel === level && status === previous) return
    this.ctx.db.prepare('UPDATE devices SET battery_level = ?, battery_status = ? WHERE device_id = ?').run(level, status, deviceId)
    if (status === previous) return
    const base = { device_id: deviceId, connected_account_id: d.connectedAccountId, battery_level: level }
    this.events.append({ event_type: 'device.battery_status_changed', ...base, battery_status: status })
    if (isLow(status) && (previous === null || !isLow(previous))) this.events.append({ event_type: 'device.low_battery', ...base })
  }
}

export function deviceError(code: string, message: string, at: number): DeviceError {
  return { error_code: code, message, created_at: isoUtc(at), is_device_error: true }
}
