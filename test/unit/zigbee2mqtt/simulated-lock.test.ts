import { describe, expect, it } from 'vitest'
import { SimulatedLock } from '../../../simulators/zigbee2mqtt-lock/lock.js'
import { StateCache, stableStringify } from '../../../simulators/zigbee2mqtt-lock/state-cache.js'

const rules = { slots: 10, minPinLength: 4, maxPinLength: 6, exposePin: true, refuseDuplicates: true, eventsForZigbeeChanges: true }

describe('SimulatedLock', () => {
  it('enforces PIN length and digits, and refuses duplicates when told to', () => {
    const lock = new SimulatedLock({ ...rules })
    expect(lock.store(1, '123', true)).toBe('bad_format')
    expect(lock.store(1, '1234567', true)).toBe('bad_format')
    expect(lock.store(1, '12a4', true)).toBe('bad_format')
    expect(lock.store(1, '1234', true)).toBe('stored')
    expect(lock.store(2, '1234', true)).toBe('duplicate')
    expect(lock.store(1, '1234', true)).toBe('stored') // same slot, same code is not a duplicate here
    lock.rules.refuseDuplicates = false
    expect(lock.store(2, '1234', true)).toBe('stored')
  })
  it('lists every slot and answers reads with or without the PIN', () => {
    const lock = new SimulatedLock({ ...rules })
    lock.store(0, '0007', false)
    expect(lock.slotsView()).toHaveLength(10)
    expect(lock.slotsView()[0]).toEqual({ slot: 0, code: '0007' })
    expect(lock.pinCodeAnswer(0)).toEqual({ users: { '0': { status: 'disabled', pin_code: '0007' } } })
    lock.rules.exposePin = false
    expect(lock.pinCodeAnswer(0)).toEqual({ users: { '0': { status: 'disabled' } } })
    expect(lock.match('0007')).toEqual({ slot: 0, enabled: false })
    expect(lock.inRange(10)).toBe(false)
    expect(lock.clear(0)).toBe('cleared')
    expect(lock.clear(0)).toBe('already_empty')
  })
})

describe('StateCache (Z2M cache-and-publish)', () => {
  it('sorts keys, repeats stale users, and never caches action fields', () => {
    const cache = new StateCache({ linkquality: 87 })
    expect(cache.publish({ users: { '3': { status: 'enabled', pin_code: '1' } } })).toBe('{"linkquality":87,"users":{"3":{"pin_code":"1","status":"enabled"}}}')
    const event = JSON.parse(cache.publish({ action: 'pin_code_deleted', action_user: 3 }))
    expect(event.users['3'].status).toBe('enabled')
    expect(cache.snapshot()).not.toHaveProperty('action')
    expect(cache.snapshot()).not.toHaveProperty('action_user')
    cache.publish({ users: { '4': { status: 'available' } } })
    expect(Object.keys((cache.snapshot().users as object))).toEqual(['3', '4'])
  })
  it('stableStringify sorts nested keys', () => {
    expect(stableStringify({ b: 1, a: { d: [2, { z: 1, y: 2 }], c: null } })).toBe('{"a":{"c":null,"d":[2,{"y":2,"z":1}]},"b":1}')
  })
})
