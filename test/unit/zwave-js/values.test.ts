// The pure half of the Z-Wave adapter: what a slot's two values mean, which Access Control events are
// operations, refusals or programming, and whose code rules win.
import { describe, expect, test } from 'vitest'
import { accessControl, constraintsFor, kwiksetAlarm, lockedFromMode, modelFacts, slotReading } from '../../../adapters/zwave-js/values.js'

describe('slotReading', () => {
  test('never reported is unknown, not empty', () => {
    expect(slotReading(3, {})).toBeUndefined()
  })
  test('status available is empty, whatever the code value says', () => {
    expect(slotReading(3, { status: 0, code: '' })).toEqual({ slot: 3, state: 'empty' })
    expect(slotReading(3, { status: 0, code: '1234' })).toEqual({ slot: 3, state: 'empty' })
  })
  test('enabled with digits is occupied with the PIN', () => {
    expect(slotReading(3, { status: 1, code: '482613' })).toEqual({ slot: 3, state: 'occupied', code: '482613' })
  })
  test('a Schlage answers asterisks: occupied, PIN unknown (null), never the asterisks', () => {
    expect(slotReading(3, { status: 1, code: '**********' })).toEqual({ slot: 3, state: 'occupied', code: null })
  })
  test('status not available (0xfe) is unreadable', () => {
    expect(slotReading(3, { status: 0xfe })).toMatchObject({ slot: 3, state: 'unreadable' })
  })
  test('enabled but no code reported yet is occupied with an unknown PIN', () => {
    expect(slotReading(3, { status: 1, code: '' })).toEqual({ slot: 3, state: 'occupied', code: null })
  })
})

describe('accessControl (notification type 6)', () => {
  test('keypad unlock carries the slot; manual and RF operations do not claim one', () => {
    expect(accessControl(6, { userId: 4 })).toEqual({ kind: 'operation', locked: false, method: 'keycode', slot: 4 })
    expect(accessControl(5, { userId: 4 })).toEqual({ kind: 'operation', locked: true, method: 'keycode', slot: 4 })
    expect(accessControl(2, { userId: 4 })).toEqual({ kind: 'operation', locked: false, method: 'manual' })
    expect(accessControl(3, undefined)).toEqual({ kind: 'operation', locked: true, method: 'remote' })
    expect(accessControl(9, undefined)).toEqual({ kind: 'operation', locked: true, method: 'automatic' })
  })
  test('wrong codes and refused credentials are denials', () => {
    for (const e of [0x13, 0x14, 0x15, 0x32]) expect(accessControl(e, undefined)).toEqual({ kind: 'denied' })
  })
  test('programming at the lock names the slot; without a slot it is ignored', () => {
    expect(accessControl(0x0e, { userId: 7 })).toEqual({ kind: 'programmed', slot: 7, deleted: false })
    expect(accessControl(0x0d, { userId: 7 })).toEqual({ kind: 'programmed', slot: 7, deleted: true })
    expect(accessControl(0x0e, undefined)).toBeUndefined()
    expect(accessControl(0x0c, undefined)).toEqual({ kind: 'allCodesDeleted' })
  })
  test('jams, door sensors and the rest are not the port’s business', () => {
    expect(accessControl(0x0b, undefined)).toBeUndefined()
    expect(accessControl(0x16, undefined)).toBeUndefined()
  })
})

describe('kwiksetAlarm (V1 alarms zwave-js leaves unmapped)', () => {
  test('112 is a code added in the slot named by the level; 161 is a refusal; the rest are zwave-js’s', () => {
    expect(kwiksetAlarm(112, 6)).toEqual({ kind: 'programmed', slot: 6, deleted: false })
    expect(kwiksetAlarm(112, 0)).toBeUndefined() // the master code
    expect(kwiksetAlarm(161, 2)).toEqual({ kind: 'denied' })
    expect(kwiksetAlarm(19, 3)).toBeUndefined()
  })
})

describe('Door Lock mode', () => {
  test('0xff is locked, the unsecured modes are unlocked, 0xfe is unknown', () => {
    expect(lockedFromMode(0xff)).toBe(true)
    for (const m of [0x00, 0x01, 0x10, 0x11, 0x20, 0x21]) expect(lockedFromMode(m)).toBe(false)
    expect(lockedFromMode(0xfe)).toBeUndefined()
    expect(lockedFromMode(undefined)).toBeUndefined()
  })
})

describe('constraints', () => {
  const schlage = modelFacts(0x003b, 'Allegion')
  test('model facts by manufacturer id; unknown makers get User Code CC’s 4–10', () => {
    expect(schlage).toMatchObject({ deviceType: 'schlage_lock', manufacturer: 'Schlage', masksCodes: true, pinLengthParameter: 16 })
    expect(modelFacts(0x0090, undefined).deviceType).toBe('kwikset_lock')
    expect(modelFacts(0x1234, 'Acme')).toMatchObject({ deviceType: 'zwave_lock', manufacturer: 'Acme', minLength: 4, maxLength: 10 })
  })
  test('a lock-wide PIN length (Schlage parameter 16) fixes min and max', () => {
    expect(constraintsFor({ facts: schlage, slotCount: 30, pinLength: 6 })).toMatchObject({ minLength: 6, maxLength: 6, slotCount: 30, firstSlot: 1 })
    expect(constraintsFor({ facts: schlage, slotCount: 30 })).toMatchObject({ minLength: 4, maxLength: 8 })
  })
  test('config wins over the lock and the model', () => {
    expect(constraintsFor({ facts: schlage, slotCount: 30, pinLength: 6, override: { slotCount: 20, minLength: 4, maxLength: 4 } })).toMatchObject({
      minLength: 4,
      maxLength: 4,
      slotCount: 20,
    })
  })
})
