import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { lockEvent, lockedFromState, parseAvailability, redactPins, userSlot } from '../../../adapters/zigbee2mqtt/payloads.js'

describe('userSlot', () => {
  const u = (entry: unknown) => userSlot({ users: { '3': entry } }, 3)
  it('maps the statuses Z2M publishes', () => {
    expect(u({ status: 'available', pin_code: '' })).toEqual({ kind: 'empty' })
    expect(u({ status: 'available' })).toEqual({ kind: 'empty' })
    expect(u({ status: 'enabled', pin_code: '0123' })).toEqual({ kind: 'occupied', enabled: true, code: '0123' })
    expect(u({ status: 'disabled', pin_code: '5555' })).toEqual({ kind: 'occupied', enabled: false, code: '5555' })
    expect(u({ status: 'enabled' })).toEqual({ kind: 'occupied', enabled: true, code: null })
  })
  it('treats PIN shapes seen in the field and odd statuses as unreadable, never empty', () => {
    expect(u({ status: 'enabled', pin_code: {} })).toMatchObject({ kind: 'unreadable' })
    expect(u({ status: 'enabled', pin_code: { 0: 49, 1: 50 } })).toMatchObject({ kind: 'unreadable' })
    expect(u({ status: 'enabled', pin_code: 1234 })).toMatchObject({ kind: 'unreadable' })
    expect(u({ status: 'not_supported_2', pin_code: '5555' })).toMatchObject({ kind: 'unreadable' })
    expect(u({ status: 'not_supported_NaN' })).toMatchObject({ kind: 'unreadable' })
  })
  it('is undefined when the slot is not in the message', () => {
    expect(userSlot({ users: { '4': { status: 'available' } } }, 3)).toBeUndefined()
    expect(userSlot({ pin_code: null }, 3)).toBeUndefined()
  })
  it('never throws, and says empty only for status available (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.integer({ min: 0, max: 5 }), (users, slot) => {
        const r = userSlot({ users } as Record<string, unknown>, slot)
        if (r?.kind === 'empty') expect((users as Record<string, { status: unknown }>)[String(slot)]!.status).toBe('available')
      }),
    )
  })
})

describe('parseAvailability', () => {
  it('accepts JSON and the legacy bare string', () => {
    expect(parseAvailability('{"state":"online"}')).toBe('online')
    expect(parseAvailability('offline')).toBe('offline')
    expect(parseAvailability('{"state":"weird"}')).toBeUndefined()
    expect(parseAvailability('')).toBeUndefined()
  })
})

describe('lockEvent', () => {
  it('reads operation and programming events', () => {
    expect(lockEvent({ action: 'unlock', action_user: 3, action_source_name: 'keypad' })).toEqual({ kind: 'operation', locked: false, granted: true, source: 'keypad', user: 3, failed: false })
    expect(lockEvent({ action: 'manual_lock', action_user: 0, action_source_name: 'manual' })).toMatchObject({ locked: true, source: 'manual' })
    expect(lockEvent({ action: 'auto_lock', action_user: null })).toMatchObject({ locked: true, source: 'auto' })
    expect(lockEvent({ action: 'unlock_failure_invalid_pin_or_id', action_user: null, action_source_name: 'keypad' })).toMatchObject({ granted: false, locked: undefined, user: null })
    expect(lockEvent({ action: 'pin_code_changed', action_user: 9, action_source_name: 'rf' })).toEqual({ kind: 'programming', change: 'changed', source: 'rf', user: 9 })
    expect(lockEvent({ action: null })).toBeUndefined()
    expect(lockEvent({ action: 'rfid_code_added' })).toEqual({ kind: 'other' })
  })
  it('lock state from reports', () => {
    expect(lockedFromState({ state: 'LOCK', lock_state: 'locked' })).toBe(true)
    expect(lockedFromState({ state: 'UNLOCK', lock_state: 'not_fully_locked' })).toBe(false)
    expect(lockedFromState({ state: 'UNLOCK' })).toBe(false)
    expect(lockedFromState({ battery: 90 })).toBeUndefined()
  })
})

describe('redactPins', () => {
  it('removes digit runs that could be PINs', () => {
    const line = `Publish 'set' 'pin_code' to 'front_door' failed: {"pincodevalue":"0123"} (Timeout)`
    expect(redactPins(line)).not.toContain('0123')
    expect(redactPins(line)).toContain('front_door')
  })
})
