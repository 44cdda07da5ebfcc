// bridge/devices → the locks lockstep can manage. A lock is PIN-managed when its exposes hold a
// `type:"lock"` entry and a composite with property `pin_code` (docs/protocols/zigbee2mqtt-lock.md §1).
import { isObject, type JsonObject } from '../../src/kernel/is-object.js'
import type { CodeConstraints } from '../../src/ports/lock-driver.js'
import { modelFacts, seamDeviceType, type LockModelFacts } from './models.js'

export interface Z2mLockEntry {
  friendlyName: string
  ieeeAddress: string
  manufacturer: string
  model: string
  /** The raw zigbeeModel, e.g. 'YRD256 TSDB'. */
  modelId: string
  deviceType: string
  /** Undefined when neither the model table nor config knows the slot count. */
  facts: LockModelFacts | undefined
}

type Json = JsonObject

function hasExpose(exposes: unknown[], test: (e: Json) => boolean): boolean {
  return exposes.some((e) => isObject(e) && (test(e) || (Array.isArray(e.features) && hasExpose(e.features, test))))
}

/** Parses a bridge/devices payload; entries that are not PIN locks, disabled or not interviewed are skipped. */
export function parseBridgeDevices(payload: unknown): Z2mLockEntry[] {
  if (!Array.isArray(payload)) return []
  const locks: Z2mLockEntry[] = []
  for (const d of payload) {
    if (!isObject(d) || !isObject(d.definition) || typeof d.friendly_name !== 'string') continue
    if (d.disabled === true || d.interview_completed === false) continue
    const exposes = Array.isArray(d.definition.exposes) ? d.definition.exposes : []
    const isLock = exposes.some((e) => isObject(e) && e.type === 'lock')
    const hasPin = hasExpose(exposes, (e) => e.type === 'composite' && e.property === 'pin_code')
    if (!isLock || !hasPin) continue
    const vendor = typeof d.definition.vendor === 'string' ? d.definition.vendor : String(d.manufacturer ?? 'unknown')
    const model = typeof d.definition.model === 'string' ? d.definition.model : String(d.model_id ?? 'unknown')
    locks.push({
      friendlyName: d.friendly_name,
      ieeeAddress: typeof d.ieee_address === 'string' ? d.ieee_address : d.friendly_name,
      manufacturer: vendor,
      model,
      modelId: typeof d.model_id === 'string' ? d.model_id : model,
      deviceType: seamDeviceType(vendor),
      facts: modelFacts(model, vendor),
    })
  }
  return locks
}

/** ZCL user IDs are used as slots unchanged, 0 … slotCount−1, exactly the range Z2M accepts. */
export function constraintsFor(facts: LockModelFacts): CodeConstraints {
  return {
    minLength: facts.minPinLength,
    maxLength: facts.maxPinLength,
    alphabet: '0123456789',
    noLeadingZero: false,
    firstSlot: 0,
    slotCount: facts.slotCount,
    // ZCL stores no name with a PIN: names live only in lockstep.
    name: { maxLength: 0, charset: 'any', unique: false },
  }
}
