import { describe, expect, it } from 'vitest'
import { SlotMemory } from '../../../src/reconcile/slot-memory.js'

const layout = { firstSlot: 1, slotCount: 5 }

describe('SlotMemory', () => {
  it('keeps occupied readings and the time each empty slot was read', () => {
    const m = new SlotMemory()
    m.remember([{ slot: 1, state: 'occupied', code: '1234' }, { slot: 2, state: 'empty' }], 1000, layout)
    m.remember([{ slot: 3, state: 'empty' }], 2000, layout)
    expect(m.occupied(1)).toEqual({ slot: 1, state: 'occupied', code: '1234' })
    expect([...m.allOccupied()].map(([s]) => s)).toEqual([1])
    expect([m.emptySince(1), m.emptySince(2), m.emptySince(3), m.emptySince(4)]).toEqual([undefined, 1000, 2000, undefined])
  })

  it('a later reading replaces the earlier one; unreadable is neither occupied nor empty', () => {
    const m = new SlotMemory()
    m.remember([{ slot: 1, state: 'occupied', code: '1234' }, { slot: 2, state: 'empty' }], 1000, layout)
    m.remember([{ slot: 1, state: 'empty' }, { slot: 2, state: 'unreadable', reason: 'timeout' }], 3000, layout)
    expect(m.occupied(1)).toBeUndefined()
    expect(m.emptySince(1)).toBe(3000)
    expect(m.emptySince(2)).toBeUndefined()
    m.remember([{ slot: 1, state: 'unreadable', reason: 'timeout' }], 4000, layout)
    expect(m.emptySince(1)).toBeUndefined()
  })

  it('distrustEmpties forgets read times but keeps occupied slots; clear forgets all', () => {
    const m = new SlotMemory()
    m.remember([{ slot: 1, state: 'occupied', code: '1234' }, { slot: 2, state: 'empty' }], 1000, layout)
    m.distrustEmpties()
    expect(m.emptySince(2)).toBeUndefined()
    expect(m.occupied(1)).toBeDefined()
    m.clear()
    expect(m.occupied(1)).toBeUndefined()
  })

  it('ignores slots outside the layout for empties and starts over when the layout changes', () => {
    const m = new SlotMemory()
    m.remember([{ slot: 9, state: 'empty' }, { slot: 5, state: 'empty' }], 1000, layout)
    expect(m.emptySince(9)).toBeUndefined()
    expect(m.emptySince(5)).toBe(1000)
    m.remember([{ slot: 0, state: 'empty' }], 2000, { firstSlot: 0, slotCount: 10 })
    expect(m.emptySince(0)).toBe(2000)
    expect(m.emptySince(5)).toBeUndefined()
  })
})
