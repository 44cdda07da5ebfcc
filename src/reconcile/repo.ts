// What the reconciler needs from the store, and nothing more. Data in, data out: the store decides how
// to persist it, but each call is one transaction (design rules 1 and 9). The semantics each method must
// have are spelled out here because the SQLite store implements them independently;
// test/helpers/memory-repo.ts is the executable reference.
import type { LockMethod } from '../ports/device-events.js'
import type { SlotReading } from '../ports/lock-driver.js'
import type { CodeVerdict, DesiredCode, UnmanagedCode } from './plan.js'

export interface DesiredState {
  /**
   * Bumped by the store on every change to this device's desired codes (create, update, delete, slot
   * assignment does not count). markClean(deviceId, revision) only clears the dirty mark if unchanged.
   */
  revision: number
  /** Every managed code of the device that is not yet forgotten, including deleted ones still `removing`. */
  codes: DesiredCode[]
}

export interface VerdictReport {
  /** At most one verdict per code, from one completed pass (plan, execute, read back). */
  verdicts: CodeVerdict[]
  /** Every occupied slot not owned by a managed code, as last read back. Replaces the previous set. */
  unmanaged: UnmanagedCode[]
}

/**
 * Device errors the reconciler owns. `device_offline`: the driver said the device went offline.
 * `device_disconnected`: the circuit breaker is open (the device keeps failing; lockstep has stopped
 * trying until the cool-down ends).
 */
export type ReconcilerDeviceError = 'device_offline' | 'device_disconnected'

/** Things a device reported that become Seam events (no state to reconcile). */
export type DeviceActivity =
  | { type: 'lock.locked' | 'lock.unlocked'; method: LockMethod; accessCodeId?: string; slot?: number; code?: string }
  | { type: 'lock.access_denied'; accessCodeId?: string; slot?: number; code?: string }
  | { type: 'device.connected' | 'device.disconnected' }

export interface ReconcileRepo {
  /** The desired codes of one device (with their sticky slot and last confirmed PIN) and its revision. */
  desiredFor(deviceId: string): Promise<DesiredState>

  /** The slots as just read from the device. Informational (diagnostics, API); never used as truth later. */
  recordObservation(deviceId: string, slots: SlotReading[], at: number): Promise<void>

  /** Every slot of the device was just read (a full scan). Survives restarts. */
  recordFullScan(deviceId: string, at: number): Promise<void>

  /**
   * When the device was last read whole (null = never), and the unmanaged codes recorded since: after a
   * restart the reconciler starts from these instead of reading every slot of every lock again.
   */
  lastFullScan(deviceId: string): Promise<{ at: number; unmanaged: UnmanagedCode[] } | null>

  /**
   * Durably record new sticky slot assignments BEFORE lockstep writes to those slots, so that a crash
   * between the write and the verdict cannot leave a managed PIN in a slot that later looks unmanaged.
   */
  assignSlots(deviceId: string, assignments: { accessCodeId: string; slot: number }[], at: number): Promise<void>

  /**
   * One transaction: per verdict, set status/slot/confirmedCode, replace the reconciler-owned errors and
   * warnings with the verdict's, append events (table in memory-repo.ts `applyVerdict`); then replace
   * the device's unmanaged codes, appending access_code.unmanaged.created / .unmanaged.removed for
   * differences. Verdicts for codes that no longer exist are ignored.
   */
  applyVerdicts(deviceId: string, report: VerdictReport, at: number): Promise<void>

  /** Replace the reconciler-owned device errors (empty = none). Only called when the set changes. */
  setDeviceErrors(deviceId: string, errors: ReconcilerDeviceError[], at: number): Promise<void>

  /** Append the Seam event for something the device reported (and update `online`/`locked` properties). */
  recordActivity(deviceId: string, activity: DeviceActivity, at: number): Promise<void>

  /** Devices whose desired state changed since their last converged pass (looked at on start). */
  dirtyDevices(): Promise<string[]>

  /** The device converged at `revision`; clear its dirty mark unless the revision moved on since. */
  markClean(deviceId: string, revision: number): Promise<void>
}
