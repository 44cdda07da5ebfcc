import { describe, expect, it } from 'vitest'
import { loadConfig } from '../../../src/config.js'
import { labDeviceFacts, zigbeeLabLocks, zigbeeLabSchema } from '../../../src/lab/zigbee-lab.js'

describe('lab config', () => {
  it("config/lab.json's Zigbee2MQTT locks are Front Door, Back Door and Gym, and the simulator accepts them", () => {
    const config = loadConfig({ mode: 'lab', env: {} })
    const cfg = zigbeeLabSchema.parse({ locks: zigbeeLabLocks(config.locks) })
    expect(cfg.locks.map((l) => l.name)).toEqual(['Front Door', 'Back Door', 'Gym'])
    expect(cfg.locks.find((l) => l.name === 'Gym')).toMatchObject({ manufacturer: 'Schlage', model: 'BE468', exposePin: true })
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
