// A LockDriver over in-memory model locks, with fault switches. It behaves like a plain keypad lock:
// numbered slots holding a PIN and name; it refuses a PIN that another slot already holds.
import type { DeviceEventSink } from '../../src/ports/device-events.js'
import { RejectedByDeviceError, TransientDeviceError, type RejectionReason } from '../../src/ports/errors.js'
import { UNKNOWN_DRIFT_CAPABILITY, type CodeConstraints, type DriftCapability, type LockDriver, type SlotReading } from '../../src/ports/lock-driver.js'

export class FakeLock {
  readonly slots = new Map<number, { code: string; name: string } | null>()
  /** Every call fails with TransientDeviceError (device unreachable, broker down). */
  down = false
  /** The next N calls fail transiently. */
  transientFailures = 0
  /** Writes of these PINs are refused with the given reason. */
  readonly rejectPins = new Map<string, RejectionReason>()
  /** These slots read back as unreadable. */
  readonly unreadable = new Set<number>()
  /** Writes are acknowledged but not stored (a lock that drops commands). */
  ignoreWrites = false
  readonly calls: string[] = []
  /** Per-call fault injection: return an error to throw it for that call ('read', 'write 1 1234', 'clear 1'). */
  failCall: ((call: string) => Error | undefined) | null = null
  /** Awaited at the start of every call (to hold a pass in flight). */
  gateBefore: Promise<void> | null = null

  constructor(readonly constraints: CodeConstraints) {
    for (let s = constraints.firstSlot; s < constraints.firstSlot + constraints.slotCount; s++) this.slots.set(s, null)
  }

  /** Someone at the keypad or in the owner's app. */
  set(slot: number, code: string | null, name = 'owner'): void {
    this.slots.set(slot, code === null ? null : { code, name })
  }

  code(slot: number): string | null {
    return this.slots.get(slot)?.code ?? null
  }

  pins(): string[] {
    return [...this.slots.values()].flatMap((v) => (v ? [v.code] : []))
  }

  gate(call: string): void {
    this.calls.push(call)
    if (this.down) throw new TransientDeviceError('device unreachable')
    const injected = this.failCall?.(call)
    if (injected) throw injected
    if (this.transientFailures > 0) {
      this.transientFailures--
      throw new TransientDeviceError('timeout')
    }
  }
}

export const defaultConstraints = (slotCount = 4): CodeConstraints => ({
  minLength: 4,
  maxLength: 8,
  alphabet: '0123456789',
  noLeadingZero: false,
  firstSlot: 1,
  slotCount,
  name: { maxLength: 20, charset: 'any', unique: false },
})

export class FakeLockDriver implements LockDriver {
  readonly kind = 'fake'
  readonly locks = new Map<string, FakeLock>()
  sink: DeviceEventSink | null = null
  /** What its locks tell on their own (the reconciler's drift checks follow it). */
  capability: DriftCapability = UNKNOWN_DRIFT_CAPABILITY

  driftCapability(): DriftCapability {
    return this.capability
  }

  add(nativeId: string, slotCount = 4): FakeLock {
    const lock = new FakeLock(defaultConstraints(slotCount))
    this.locks.set(nativeId, lock)
    return lock
  }

  private lock(nativeId: string): FakeLock {
    const l = this.locks.get(nativeId)
    if (!l) throw new TransientDeviceError(`unknown device ${nativeId}`)
    return l
  }

  async start(sink: DeviceEventSink): Promise<void> {
    this.sink = sink
  }

  async stop(): Promise<void> {
    this.sink = null
  }

  constraints(nativeId: string): CodeConstraints {
    return this.lock(nativeId).constraints
  }

  async readSlots(nativeId: string): Promise<SlotReading[]> {
    const l = this.lock(nativeId)
    if (l.gateBefore) await l.gateBefore
    l.gate('read')
    return [...l.slots.entries()].map(([slot, v]): SlotReading => {
      if (l.unreadable.has(slot)) return { slot, state: 'unreadable', reason: 'no answer' }
      return v ? { slot, state: 'occupied', code: v.code, name: v.name } : { slot, state: 'empty' }
    })
  }

  async writeSlot(nativeId: string, slot: number, code: string, name: string): Promise<void> {
    const l = this.lock(nativeId)
    if (l.gateBefore) await l.gateBefore
    l.gate(`write ${slot} ${code}`)
    const reason = l.rejectPins.get(code)
    if (reason) throw new RejectedByDeviceError(reason, `refused ${code}`)
    for (const [s, v] of l.slots) if (s !== slot && v?.code === code) throw new RejectedByDeviceError('duplicate_code', 'duplicate')
    if (!l.slots.has(slot)) throw new RejectedByDeviceError('other', 'no such slot')
    if (!l.ignoreWrites) l.slots.set(slot, { code, name })
  }

  async clearSlot(nativeId: string, slot: number): Promise<void> {
    const l = this.lock(nativeId)
    if (l.gateBefore) await l.gateBefore
    l.gate(`clear ${slot}`)
    if (!l.ignoreWrites) l.slots.set(slot, null)
  }

  async lockAction(nativeId: string): Promise<void> {
    this.lock(nativeId).gate('lockAction')
  }
}
