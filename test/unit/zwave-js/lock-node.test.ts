// What the Z-Wave driver may answer from memory: only what the lock itself reported in this session, and
// not for ever.
import { describe, expect, test } from 'vitest'
import { LockNode } from '../../../adapters/zwave-js/lock-node.js'

const HOUR = 3_600_000
const dump = { nodeId: 5, ready: true, status: 4, manufacturerId: 0x003b, deviceConfig: { manufacturer: 'Allegion', label: 'BE469' } }
const values = [
  { commandClass: 99, property: 'userIdStatus', propertyKey: 1, value: 1 },
  { commandClass: 99, property: 'userCode', propertyKey: 1, value: '482613' },
  { commandClass: 99, property: 'userIdStatus', propertyKey: 2, value: 0 },
  { commandClass: 98, property: 'currentMode', value: 255 },
  { commandClass: 112, property: 16, value: 6 },
]

describe('LockNode', () => {
  test('a node dump: model facts, slot count, lock-wide PIN length, locked; its cached slots are not proof', () => {
    const node = new LockNode(5, '5')
    node.load(dump, values, 30, undefined)
    expect(node.describe('zwave-js')).toMatchObject({ nativeId: '5', manufacturer: 'Schlage', model: 'BE469', deviceType: 'schlage_lock', online: true, locked: true })
    expect(node.constraints).toMatchObject({ slotCount: 30, minLength: 6, maxLength: 6 })
    expect(node.reading(1)).toEqual({ slot: 1, state: 'occupied', code: '482613' })
    expect(node.provenReading(1, 0, HOUR)).toBeUndefined()
    expect(node.provenReading(2, 0, HOUR)).toBeUndefined()
  })

  test('what the lock reports stands for a read until it is older than the bound, or a gap', () => {
    const node = new LockNode(5, '5')
    node.load(dump, values, 30, { slotCount: 30, minLength: 4, maxLength: 8 })
    expect(node.constraints).toMatchObject({ minLength: 4, maxLength: 8 })
    node.setSlot(3, { status: 1, code: '735190' }, 1000)
    expect(node.provenReading(3, 1000 + HOUR, HOUR)).toEqual({ slot: 3, state: 'occupied', code: '735190' })
    expect(node.provenReading(3, 1001 + HOUR, HOUR)).toBeUndefined()
    node.setSlot(3, { status: 1, code: '735190' }, 5000)
    node.forgetProof(3)
    expect(node.provenReading(3, 5000, HOUR)).toBeUndefined()
  })

  test('an occupied status without a reported code is not enough; an available status is', () => {
    const node = new LockNode(5, '5')
    node.load(dump, [], 30, undefined)
    node.setSlot(4, { status: 1 }, 10)
    expect(node.provenReading(4, 10, HOUR)).toBeUndefined()
    node.setSlot(4, { code: '**********' }, 20)
    expect(node.provenReading(4, 20, HOUR)).toEqual({ slot: 4, state: 'occupied', code: null })
    node.setSlot(6, { status: 0 }, 30)
    expect(node.provenReading(6, 30, HOUR)).toEqual({ slot: 6, state: 'empty' })
    node.setSlot(7, { status: 0xfe, code: '' }, 40)
    expect(node.provenReading(7, 40, HOUR)).toBeUndefined()
  })

  test('a dead node in the dump is offline; a slot holding a PIN names a duplicate', () => {
    const node = new LockNode(5, '5')
    node.load({ ...dump, status: 3 }, values, 30, undefined)
    expect(node.online).toBe(false)
    expect(node.slotHolding('482613', 9)).toBe(1)
    expect(node.slotHolding('482613', 1)).toBeUndefined()
  })
})
