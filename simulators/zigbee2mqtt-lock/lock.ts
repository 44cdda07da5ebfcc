// One simulated lock: its slot table and rules, and the converter-level fields Z2M would derive
// from what the lock sends (docs/protocols/zigbee2mqtt-lock.md §2, §3). No MQTT here; simulator.ts carries these fields.

export interface SlotEntry {
  code: string
  enabled: boolean
}

export interface LockRules {
  slots: number
  minPinLength: number
  maxPinLength: number
  /** Z2M device option: read answers include the PIN. */
  exposePin: boolean
  /** The lock answers setPinCode with status 3 when the PIN is stored in another slot. */
  refuseDuplicates: boolean
  /** Programming events for changes made over Zigbee (source rf), as many locks send. */
  eventsForZigbeeChanges: boolean
  /** Programming events at all, keypad edits included (default true); some models send none. */
  programmingEvents?: boolean
}

export type Fields = Record<string, unknown>

// ZCL event sources and their names in Z2M.
const SOURCES = { keypad: 0, rf: 1, manual: 2, rfid: 3 } as const
export type EventSource = keyof typeof SOURCES

export type SetOutcome = 'stored' | 'duplicate' | 'bad_format' | 'cleared' | 'already_empty'

export class SimulatedLock {
  private readonly table: (SlotEntry | null)[]
  locked = true
  battery = 90

  constructor(readonly rules: LockRules) {
    this.table = Array.from({ length: rules.slots }, () => null)
  }

  slot(n: number): SlotEntry | null {
    return this.table[n] ?? null
  }

  inRange(n: unknown): n is number {
    return typeof n === 'number' && Number.isInteger(n) && n >= 0 && n < this.rules.slots
  }

  slotsView(): { slot: number; code: string | null }[] {
    return this.table.map((e, slot) => ({ slot, code: e?.code ?? null }))
  }

  /** The lock's own checks on setPinCode; Z2M reports none of their outcomes. */
  store(n: number, code: string, enabled: boolean): SetOutcome {
    const { minPinLength, maxPinLength } = this.rules
    if (!/^[0-9]+$/.test(code) || code.length < minPinLength || code.length > maxPinLength) return 'bad_format'
    if (this.rules.refuseDuplicates && this.table.some((e, i) => i !== n && e?.code === code)) return 'duplicate'
    this.table[n] = { code, enabled }
    return 'stored'
  }

  clear(n: number): SetOutcome {
    if (this.table[n] === null) return 'already_empty'
    this.table[n] = null
    return 'cleared'
  }

  /** A keypad entry: the matching enabled slot, if any. */
  match(code: string): { slot: number; enabled: boolean } | undefined {
    const i = this.table.findIndex((e) => e?.code === code)
    return i < 0 ? undefined : { slot: i, enabled: this.table[i]!.enabled }
  }

  // --- what Z2M publishes for each thing the lock sends ------------------------------------------

  /** getPinCodeRsp → users map entry (status 0 available, 1 enabled, 3 disabled). */
  pinCodeAnswer(n: number): Fields {
    const e = this.table[n]
    const user: Fields = { status: e === null || e === undefined ? 'available' : e.enabled ? 'enabled' : 'disabled' }
    if (this.rules.exposePin) user.pin_code = e?.code ?? ''
    return { users: { [String(n)]: user } }
  }

  lockReport(): Fields {
    return { lock_state: this.locked ? 'locked' : 'unlocked', state: this.locked ? 'LOCK' : 'UNLOCK' }
  }

  batteryReport(): Fields {
    return { battery: this.battery }
  }

  operationEvent(action: string, source: EventSource, user: number | null): Fields {
    return { action, action_source: SOURCES[source], action_source_name: source, action_user: user }
  }

  programmingEvent(change: 'pin_code_added' | 'pin_code_changed' | 'pin_code_deleted', source: EventSource, user: number): Fields {
    return { action: change, action_source: SOURCES[source], action_source_name: source, action_user: user }
  }
}
