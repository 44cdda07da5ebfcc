// The JSON lockstep sends to Zigbee2MQTT and reads from it. Pure functions, pinned by the
// conformance tests against the real converters (test/conformance).

import { isObject, type JsonObject } from '../../src/kernel/is-object.js'

// --- outgoing -----------------------------------------------------------------------------------

/** The PIN always travels as a string: a JSON number loses leading zeros (docs/protocols/zigbee2mqtt-lock.md §4). */
export function setPinPayload(slot: number, code: string): string {
  return JSON.stringify({ pin_code: { user: slot, user_type: 'unrestricted', user_enabled: true, pin_code: code } })
}

/** A clear needs `pin_code: null`; an empty string would store a zero-length PIN. */
export function clearPinPayload(slot: number): string {
  return JSON.stringify({ pin_code: { user: slot, pin_code: null } })
}

/** Read one slot; never the read-all form, which floods the lock (docs/protocols/zigbee2mqtt-lock.md §4). */
export function getPinPayload(slot: number): string {
  return JSON.stringify({ pin_code: { user: slot } })
}

export function lockStatePayload(action: 'lock' | 'unlock'): string {
  return JSON.stringify({ state: action === 'lock' ? 'LOCK' : 'UNLOCK' })
}

export const getLockStatePayload = JSON.stringify({ state: '' })

// --- incoming -----------------------------------------------------------------------------------

type Json = JsonObject

export function parseJson(buf: Buffer | string): unknown {
  try {
    return JSON.parse(buf.toString())
  } catch {
    return undefined
  }
}

/** Availability: JSON `{"state":"online"}` since 1.24, bare `online` before 2.0. */
export function parseAvailability(buf: Buffer | string): 'online' | 'offline' | undefined {
  const text = buf.toString().trim()
  const parsed = parseJson(text)
  const state = isObject(parsed) ? parsed.state : text
  return state === 'online' || state === 'offline' ? state : undefined
}

/** One entry of the `users` map, as the device told it. */
export type UserSlot =
  | { kind: 'empty' }
  | { kind: 'occupied'; enabled: boolean; code: string | null }
  | { kind: 'unreadable'; reason: string }

/**
 * Reads `users[slot]` of a state message. `code` is null when the PIN is not exposed (expose_pin off).
 * Only a string of digits is a PIN; other shapes seen in the field ({} or byte objects) are unreadable.
 */
export function userSlot(state: Json, slot: number): UserSlot | undefined {
  if (!isObject(state.users)) return undefined
  const u = state.users[String(slot)]
  if (!isObject(u)) return undefined
  const pin = u.pin_code
  if (u.status === 'available') {
    if (pin === undefined || pin === '' || pin === null) return { kind: 'empty' }
    return { kind: 'unreadable', reason: 'slot reported available but with a PIN' }
  }
  if (u.status === 'enabled' || u.status === 'disabled') {
    const enabled = u.status === 'enabled'
    if (pin === undefined || pin === null) return { kind: 'occupied', enabled, code: null }
    if (typeof pin === 'string' && /^[0-9]+$/.test(pin)) return { kind: 'occupied', enabled, code: pin }
    return { kind: 'unreadable', reason: 'PIN in an unexpected shape' }
  }
  return { kind: 'unreadable', reason: `status ${String(u.status)}` }
}

export type LockEvent =
  | { kind: 'operation'; locked: boolean | undefined; granted: boolean; source: Source; user: number | null; failed: boolean }
  | { kind: 'programming'; change: 'added' | 'changed' | 'deleted'; source: Source; user: number | null }
  | { kind: 'other' }

export type Source = 'keypad' | 'rf' | 'manual' | 'rfid' | 'fingerprint' | 'auto' | 'unknown'

const LOCKING = new Set(['lock', 'one_touch_lock', 'key_lock', 'auto_lock', 'schedule_lock', 'manual_lock'])
const UNLOCKING = new Set(['unlock', 'key_unlock', 'schedule_unlock', 'manual_unlock'])
const FAILURES = new Set([
  'lock_failure_invalid_pin_or_id',
  'lock_failure_invalid_schedule',
  'unlock_failure_invalid_pin_or_id',
  'unlock_failure_invalid_schedule',
])
const PROGRAMMING: Record<string, 'added' | 'changed' | 'deleted'> = {
  pin_code_added: 'added',
  pin_code_changed: 'changed',
  pin_code_deleted: 'deleted',
}

/** The event carried by a state message's `action` fields, if any (they are never cached). */
export function lockEvent(state: Json): LockEvent | undefined {
  const action = state.action
  if (typeof action !== 'string') return undefined
  const user = typeof state.action_user === 'number' && Number.isInteger(state.action_user) ? state.action_user : null
  const name = state.action_source_name
  let source: Source =
    name === 'keypad' || name === 'rf' || name === 'manual' || name === 'rfid' || name === 'fingerprint' ? name : 'unknown'
  if (action === 'auto_lock') source = 'auto'
  if (action === 'manual_lock' || action === 'manual_unlock' || action === 'key_lock' || action === 'key_unlock') source = 'manual'
  const change = PROGRAMMING[action]
  if (change) return { kind: 'programming', change, source, user }
  if (LOCKING.has(action)) return { kind: 'operation', locked: true, granted: true, source, user, failed: false }
  if (UNLOCKING.has(action)) return { kind: 'operation', locked: false, granted: true, source, user, failed: false }
  if (FAILURES.has(action)) return { kind: 'operation', locked: undefined, granted: false, source, user, failed: true }
  return { kind: 'other' }
}

/** `state` of the lock from a state message: LOCK → true; only trusted when `lock_state` agrees or is absent. */
export function lockedFromState(state: Json): boolean | undefined {
  if (state.lock_state === 'locked') return true
  if (state.lock_state === 'unlocked' || state.lock_state === 'not_fully_locked') return false
  if (state.state === 'LOCK') return true
  if (state.state === 'UNLOCK') return false
  return undefined
}

export function batteryLevel(state: Json): number | undefined {
  return typeof state.battery === 'number' && state.battery >= 0 && state.battery <= 100 ? state.battery : undefined
}

/** PINs appear in Z2M's own log lines; never pass them on. */
export function redactPins(text: string): string {
  return text.replace(/\d{4,}/g, '****')
}
