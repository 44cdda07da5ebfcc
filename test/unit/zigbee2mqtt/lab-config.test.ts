import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { labDeviceFacts, zigbeeLabSchema } from '../../../simulators/zigbee2mqtt-lock/lab.js'

describe('lab config', () => {
  const example = JSON.parse(readFileSync(new URL('../../../simulators/zigbee2mqtt-lock/lab.example.json', import.meta.url), 'utf8'))
  it('the example declares Front Door, Back Door and Gym', () => {
    const cfg = zigbeeLabSchema.parse(example.zigbee2mqtt)
    expect(cfg.locks.map((l) => l.name)).toEqual(['Front Door', 'Back Door', 'Gym'])
    expect(labDeviceFacts(cfg.locks)['Back Door']).toEqual({ slotCount: 30, minPinLength: 4, maxPinLength: 8 })
  })
  it('rejects unknown models, inverted PIN lengths and slashes in names', () => {
    const lock = { name: 'X', manufacturer: 'Yale', model: 'YRD256HA20BP', slots: 10, pinLength: { min: 4, max: 8 } }
    expect(zigbeeLabSchema.safeParse({ locks: [{ ...lock, model: 'nope' }] }).success).toBe(false)
    expect(zigbeeLabSchema.safeParse({ locks: [{ ...lock, pinLength: { min: 8, max: 4 } }] }).success).toBe(false)
    expect(zigbeeLabSchema.safeParse({ locks: [{ ...lock, name: 'a/b' }] }).success).toBe(false)
    expect(zigbeeLabSchema.safeParse({ locks: [lock] }).success).toBe(true)
  })
})
