// What bridge/devices does not say about a lock. Z2M publishes no slot count (the converters keep
// pinCodeCount private) and no PIN length limits, so both come from this table or from config.
// Slot counts verified against zigbee-herdsman-converters 26.112.0 (docs/protocols/zigbee2mqtt-lock.md §1).

export interface LockModelFacts {
  slotCount: number
  minPinLength: number
  maxPinLength: number
}

// ZCL minPinLen/maxPinLen default to 4 and 8; nothing in the MQTT API reports the real values.
const ZCL_PIN_DEFAULTS = { minPinLength: 4, maxPinLength: 8 } as const

const BY_MODEL: Record<string, number> = {
  '99140-002': 30,
  '99140-031': 30,
  '99100-045': 30,
  '99120-021': 30,
  BE468: 30,
  '9GED18000-009': 30,
  '9GED21500-005': 30,
  '0402946': 109,
  'V3-BTZB': 20,
  'V3-BTZBE': 20,
  'HC-SLM-1': 39,
  'HT-SLM-2': 39,
  'HT-SLM-3': 39,
  'DLM-300Z': 4,
  easyCodeTouch_v1: 1000,
  YMI70A: 100,
}

/** Facts for a definition.model/vendor pair; unknown Yale models get Yale's 250. */
export function modelFacts(model: string, vendor: string): LockModelFacts | undefined {
  const known = BY_MODEL[model]
  if (known !== undefined) return { slotCount: known, ...ZCL_PIN_DEFAULTS }
  if (/^yale$/i.test(vendor.trim())) return { slotCount: 250, ...ZCL_PIN_DEFAULTS }
  if (/nimly/i.test(vendor) || /nimly/i.test(model)) return { slotCount: 1000, ...ZCL_PIN_DEFAULTS }
  return undefined
}

/** Seam device_type for a Zigbee vendor string. */
export function seamDeviceType(vendor: string): string {
  const v = vendor.trim().toLowerCase()
  if (v.startsWith('yale')) return 'yale_lock'
  if (v.startsWith('kwikset') || v.startsWith('weiser')) return 'kwikset_lock'
  if (v.startsWith('schlage')) return 'schlage_lock'
  if (v.startsWith('danalock')) return 'danalock_lock'
  const slug = v.replace(/[^a-z0-9]+/g, '_').replace(/^_|_$/g, '')
  return `${slug || 'unknown'}_lock`
}

/**
 * Models whose definitions have no programming-event converter, so Z2M publishes nothing when a code is
 * edited at the keypad (docs/protocols/zigbee2mqtt-lock.md §1: Heimgard SLM-2/3).
 */
const NO_PROGRAMMING_EVENTS = new Set(['HT-SLM-2', 'HT-SLM-3'])

/** Whether a lock of this definition.model announces keypad code edits. */
export function sendsProgrammingEvents(model: string): boolean {
  return !NO_PROGRAMMING_EVENTS.has(model)
}
