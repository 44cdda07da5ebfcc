// The contract every online-lock protocol implements (Zigbee2MQTT, Nuki BLE, …).
// Drivers translate; they never decide (design rule 5). Devices are addressed by the driver's own
// native key (a Zigbee friendly name, a Nuki id); the daemon maps native keys to Seam device UUIDs.
import type { CodeConstraints } from '../domain/code-constraints.js'
import type { DeviceEventSink } from './device-events.js'

export type { CodeConstraints, NameRules } from '../domain/code-constraints.js'

export type SlotReading =
  | { slot: number; state: 'empty' }
  | { slot: number; state: 'occupied'; code: string | null; name?: string | null }
  /** The device did not answer for this slot, or cannot reveal it: never treat as empty. */
  | { slot: number; state: 'unreadable'; reason: string }

/**
 * What a lock tells on its own, and what reading its codes costs. The reconciler's drift checks follow
 * it: a lock that reports changes is read only as a rare safety net; one that cannot is checked at an
 * interval set per driver, with the cheapest read its protocol has.
 */
export interface DriftCapability {
  /**
   * The lock announces code changes made outside lockstep (Zigbee programming events, Z-Wave User Code
   * reports), as slotChanged events.
   */
  reportsCodeChanges: boolean
  /** One read returns every slot for the cost of one exchange (a Nuki keypad-code list); else one request per slot. */
  readsAllAtOnce: boolean
}

/** Assumed for a driver that does not say: nothing is reported, and every slot costs a request. */
export const UNKNOWN_DRIFT_CAPABILITY: DriftCapability = { reportsCodeChanges: false, readsAllAtOnce: false }

/**
 * Radio exchanges the driver caused with one lock, by kind ('get', 'set', 'connection', …): each one
 * woke the lock's radio (a battery lock pays for it). `exchanges` sums the kinds.
 */
export interface RadioStats {
  total: { exchanges: number; byKind: Record<string, number> }
  /** The last 24 hours, in hourly buckets (so up to an hour more than a day may be dropped at the edge). */
  lastDay: { exchanges: number; byKind: Record<string, number> }
}

export interface LockDriver {
  readonly kind: string
  /** Discovery, availability, keypad and programming events flow into sink until stop(). */
  start(sink: DeviceEventSink): Promise<void>
  stop(): Promise<void>
  constraints(nativeId: string): CodeConstraints
  /**
   * Reads the given slots (all slots when omitted). Naming the managed slots matters: a 250-slot
   * Zigbee lock answers one slot per request, so a full read takes minutes on a real device.
   */
  readSlots(nativeId: string, slots?: number[]): Promise<SlotReading[]>
  /**
   * Writes (clears) one slot. A driver that reads the slot back as part of the change (Zigbee2MQTT must:
   * a set has no answer) may return that reading, so the reconciler need not ask again; it must be what
   * the device reported after the change, never an echo of the request (design rule 3).
   */
  writeSlot(nativeId: string, slot: number, code: string, name: string): Promise<SlotReading | void>
  clearSlot(nativeId: string, slot: number): Promise<SlotReading | void>
  lockAction(nativeId: string, action: 'lock' | 'unlock'): Promise<void>
  /** What the lock reports on its own and what a read costs; UNKNOWN_DRIFT_CAPABILITY when absent. */
  driftCapability?(nativeId: string): DriftCapability
  /** The radio exchanges this driver caused with the lock since it started (absent: not counted). */
  radioStats?(nativeId: string): RadioStats
}
