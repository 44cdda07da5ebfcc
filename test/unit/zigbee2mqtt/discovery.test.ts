import { describe, expect, it } from 'vitest'
import { constraintsFor, parseBridgeDevices } from '../../../adapters/zigbee2mqtt/discovery.js'
import { seamDeviceType } from '../../../adapters/zigbee2mqtt/models.js'

const lockExposes = [
  { type: 'lock', features: [{ name: 'state', property: 'state', type: 'binary', access: 7 }] },
  { name: 'pin_code', type: 'composite', property: 'pin_code', access: 7, features: [] },
]
const entry = (over: Record<string, unknown>) => ({
  ieee_address: '0x01',
  friendly_name: 'front',
  type: 'EndDevice',
  interview_completed: true,
  model_id: 'YRD256 TSDB',
  definition: { model: 'YRD256HA20BP', vendor: 'Yale', exposes: lockExposes },
  ...over,
})

describe('parseBridgeDevices', () => {
  it('keeps PIN locks only', () => {
    const devices = [
      { friendly_name: 'Coordinator', type: 'Coordinator' },
      entry({}),
      entry({ friendly_name: 'bulb', definition: { model: 'x', vendor: 'IKEA', exposes: [{ type: 'light', features: [] }] } }),
      entry({ friendly_name: 'no-pin', definition: { model: 'x', vendor: 'Yale', exposes: [lockExposes[0]] } }),
      entry({ friendly_name: 'off', disabled: true }),
      entry({ friendly_name: 'new', interview_completed: false }),
      entry({ friendly_name: 'a/b', definition: { model: '99140-002', vendor: 'Kwikset', exposes: lockExposes } }),
    ]
    const locks = parseBridgeDevices(devices)
    expect(locks.map((l) => l.friendlyName)).toEqual(['front', 'a/b'])
    expect(locks[0]).toMatchObject({ manufacturer: 'Yale', model: 'YRD256HA20BP', modelId: 'YRD256 TSDB', deviceType: 'yale_lock', facts: { slotCount: 250 } })
    expect(locks[1]).toMatchObject({ deviceType: 'kwikset_lock', facts: { slotCount: 30 } })
  })
  it('leaves the slot count unknown for models it does not know', () => {
    const [lock] = parseBridgeDevices([entry({ definition: { model: 'ZZ-1', vendor: 'Acme Locks', exposes: lockExposes } })])
    expect(lock?.facts).toBeUndefined()
    expect(lock?.deviceType).toBe('acme_locks_lock')
  })
  it('ignores payloads that are not a device list', () => {
    expect(parseBridgeDevices({})).toEqual([])
    expect(parseBridgeDevices(undefined)).toEqual([])
    expect(parseBridgeDevices([null, 3, 'x'])).toEqual([])
  })
  it('constraints use ZCL user ids 0 … n−1', () => {
    expect(constraintsFor({ slotCount: 30, minPinLength: 4, maxPinLength: 8 })).toMatchObject({ firstSlot: 0, slotCount: 30, minLength: 4, maxLength: 8, alphabet: '0123456789' })
    expect(seamDeviceType('Schlage')).toBe('schlage_lock')
  })
})
