// Pure translations between zwave-js-server's shapes and the port's: slot readings, Access Control
// notifications, Door Lock modes, and what a lock model needs that the node's values do not say.
import type { CodeConstraints, SlotReading } from '../../src/ports/lock-driver.js'
import type { LockMethod } from '../../src/ports/device-events.js'

export const CC = { doorLock: 98, userCode: 99, notification: 113, configuration: 112 } as const

/** User Code CC userIdStatus (SDS13782 §User Code): 0 available, 1 enabled, 2 disabled, 0xfe unknown. */
export const USER_ID_STATUS = { available: 0, enabled: 1, disabled: 2, notAvailable: 0xfe } as const

/** Door Lock CC modes: 0xff secured; 0x00/0x01/0x10/0x11/0x20/0x21 are kinds of unsecured; 0xfe unknown. */
export function lockedFromMode(mode: unknown): boolean | undefined {
  if (typeof mode !== 'number' || mode === 0xfe) return undefined
  return mode === 0xff
}

export interface SlotValue {
  status?: number | undefined
  code?: string | undefined
}

/** A lock that hides PINs on read answers asterisks (Schlage) or nothing but the status. */
export const isMasked = (code: string): boolean => /^\*+$/.test(code)

/**
 * The port's reading for one slot's two values, or undefined when zwave-js does not know them (never read).
 * Occupied with a masked or absent PIN reads as `code: null`: the lock proves occupancy, not the digits.
 */
export function slotReading(slot: number, v: SlotValue): SlotReading | undefined {
  if (v.status === undefined && v.code === undefined) return undefined
  if (v.status === USER_ID_STATUS.notAvailable) return { slot, state: 'unreadable', reason: 'the lock reports the slot status as not available' }
  const code = typeof v.code === 'string' ? v.code : ''
  if (v.status === USER_ID_STATUS.available || (v.status === undefined && code === '')) return { slot, state: 'empty' }
  // Some locks report a cleared slot as enabled with an empty or all-zero code.
  if (code === '' || /^\0+$/.test(code)) return v.status === undefined ? undefined : { slot, state: 'occupied', code: null }
  return { slot, state: 'occupied', code: isMasked(code) ? null : code }
}

/** One Access Control (type 6) notification, as the port needs it. */
export type AccessControl =
  | { kind: 'operation'; locked: boolean; method: LockMethod; slot?: number }
  | { kind: 'denied'; slot?: number }
  | { kind: 'programmed'; slot: number; deleted: boolean }
  | { kind: 'allCodesDeleted' }

const OPERATION: Record<number, { locked: boolean; method: LockMethod }> = {
  0x01: { locked: true, method: 'manual' },
  0x02: { locked: false, method: 'manual' },
  0x03: { locked: true, method: 'remote' },
  0x04: { locked: false, method: 'remote' },
  0x05: { locked: true, method: 'keycode' },
  0x06: { locked: false, method: 'keycode' },
  0x09: { locked: true, method: 'automatic' },
}

/** Wrong code entered / code limit exceeded, RF with an invalid code, and the v8+ credential refusals. */
const DENIED = new Set([0x13, 0x14, 0x15, 0x2f, 0x30, 0x31, 0x32])

export function accessControl(event: number, parameters: unknown): AccessControl | undefined {
  const userId = isRecord(parameters) && typeof parameters.userId === 'number' && parameters.userId > 0 ? parameters.userId : undefined
  const op = OPERATION[event]
  if (op) return { kind: 'operation', ...op, ...(userId !== undefined && op.method === 'keycode' ? { slot: userId } : {}) }
  if (DENIED.has(event)) return { kind: 'denied', ...(userId !== undefined ? { slot: userId } : {}) }
  if (event === 0x0c) return { kind: 'allCodesDeleted' }
  if ((event === 0x0d || event === 0x0e) && userId !== undefined) return { kind: 'programmed', slot: userId, deleted: event === 0x0d }
  return undefined
}

/**
 * Kwikset V1 alarms that zwave-js's device files leave unmapped (it maps keypad/manual/RF operations and
 * deletions to Access Control notifications itself): 112 a code added at the keypad (level = slot), 161 tamper
 * (too many wrong codes).
 */
export function kwiksetAlarm(alarmType: number, alarmLevel: number): AccessControl | undefined {
  if (alarmType === 112 && alarmLevel > 0) return { kind: 'programmed', slot: alarmLevel, deleted: false }
  if (alarmType === 161) return { kind: 'denied' }
  return undefined
}

export interface ModelFacts {
  /** Seam device_type. */
  deviceType: string
  manufacturer: string
  minLength: number
  maxLength: number
  /** The lock answers User Code Get with asterisks. */
  masksCodes: boolean
  /** Configuration parameter holding a lock-wide PIN length, when the model has one. */
  pinLengthParameter?: number
  /** Announces keypad events with V1 alarm type/level (Kwikset 910-series): see kwiksetAlarm. */
  legacyAlarms?: boolean
}

/** User Code CC allows 4–10 ASCII characters; models narrow it. By Z-Wave manufacturer id. */
const BY_MANUFACTURER: Record<number, ModelFacts> = {
  // Allegion/Schlage BE469, BE468, FE599: masked reads; one PIN length for the whole lock (parameter 16).
  0x003b: { deviceType: 'schlage_lock', manufacturer: 'Schlage', minLength: 4, maxLength: 8, masksCodes: true, pinLengthParameter: 16 },
  0x0129: { deviceType: 'yale_lock', manufacturer: 'Yale', minLength: 4, maxLength: 8, masksCodes: false },
  0x0109: { deviceType: 'yale_lock', manufacturer: 'Yale', minLength: 4, maxLength: 8, masksCodes: false },
  0x0090: { deviceType: 'kwikset_lock', manufacturer: 'Kwikset', minLength: 4, maxLength: 8, masksCodes: false, legacyAlarms: true },
}

export function modelFacts(manufacturerId: number | undefined, manufacturerName: string | undefined): ModelFacts {
  const known = manufacturerId !== undefined ? BY_MANUFACTURER[manufacturerId] : undefined
  if (known) return known
  return { deviceType: 'zwave_lock', manufacturer: manufacturerName || 'Z-Wave', minLength: 4, maxLength: 10, masksCodes: false }
}

export interface ConstraintInputs {
  facts: ModelFacts
  slotCount: number
  /** The lock-wide PIN length the lock reports (Schlage parameter 16), if zwave-js has read it. */
  pinLength?: number | undefined
  /** From lockstep's config, which wins: the operator knows the site. */
  override?: { slotCount?: number; minLength?: number; maxLength?: number } | undefined
}

export function constraintsFor(input: ConstraintInputs): CodeConstraints {
  const o = input.override ?? {}
  const lockWide = input.pinLength !== undefined && input.pinLength >= 4 && input.pinLength <= 10 ? input.pinLength : undefined
  return {
    minLength: o.minLength ?? lockWide ?? input.facts.minLength,
    maxLength: o.maxLength ?? lockWide ?? input.facts.maxLength,
    alphabet: '0123456789',
    noLeadingZero: false,
    firstSlot: 1,
    slotCount: o.slotCount ?? input.slotCount,
    name: { maxLength: 16, charset: 'printable_ascii', unique: false },
  }
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}
