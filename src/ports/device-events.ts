// Plain-data events a driver reports about its devices. The reconciler turns them into observed
// state and Seam events; drivers attach no meaning beyond what the device said.
import type { CodeConstraints } from '../domain/code-constraints.js'

export interface DiscoveredLock {
  nativeId: string
  driver: string
  displayName: string
  manufacturer: string
  model: string
  /** Seam device_type, e.g. 'yale_lock', 'nuki_lock'. */
  deviceType: string
  constraints: CodeConstraints
  online: boolean
  locked?: boolean
  /** A fraction 0–1. */
  batteryLevel?: number
}

export type LockMethod = 'keycode' | 'manual' | 'automatic' | 'remote' | 'unknown'

export type DeviceEvent =
  | { type: 'discovered'; device: DiscoveredLock }
  | { type: 'online'; nativeId: string }
  | { type: 'offline'; nativeId: string }
  /** The driver's link to the device's events broke (e.g. the MQTT connection dropped): some may be lost. */
  | { type: 'eventsMissed'; nativeId: string }
  /** A slot changed outside lockstep's own writes (keypad programming, owner's app). code undefined = unknown value. */
  | { type: 'slotChanged'; nativeId: string; slot: number; code: string | null | undefined; source: 'keypad' | 'app' | 'unknown' }
  | { type: 'keypadUsed'; nativeId: string; granted: boolean; slot?: number; code?: string }
  | { type: 'lockStateChanged'; nativeId: string; locked: boolean; method: LockMethod; slot?: number }
  /** level is a fraction 0–1, as Seam's battery_level. */
  | { type: 'battery'; nativeId: string; level: number }

export type DeviceEventSink = (event: DeviceEvent) => void
