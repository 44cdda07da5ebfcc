// What the driver knows about one lock node: its facts and constraints, the slots as the lock last reported
// them in this session (and whether that report is proof), its own requests in flight, and lock-mode waiters.
import { SerialQueue } from '../../src/kernel/serial-queue.js'
import type { DiscoveredLock } from '../../src/ports/device-events.js'
import type { CodeConstraints, SlotReading } from '../../src/ports/lock-driver.js'
import { TransientDeviceError } from '../../src/ports/errors.js'
import { CC, constraintsFor, isRecord, lockedFromMode, modelFacts, slotReading, type ModelFacts, type SlotValue } from './values.js'

export type SlotState = SlotValue

interface Slot extends SlotValue {
  /** When the lock itself last reported each value in this session (clock ms); null = not since the session began. */
  statusAt: number | null
  codeAt: number | null
}

type Override = { slotCount?: number; minLength?: number; maxLength?: number } | undefined

export class LockNode {
  online = true
  locked: boolean | undefined
  lockActionInFlight = false
  /** The type half of a V1 alarm report whose level has not arrived yet. */
  lastAlarmType: number | undefined
  readonly queue = new SerialQueue()
  facts: ModelFacts = modelFacts(undefined, undefined)
  constraints: CodeConstraints = constraintsFor({ facts: this.facts, slotCount: 0 })
  private slotCount = 0
  private pinLength: number | undefined
  private override: Override
  private displayName = ''
  private model = ''
  private battery: number | undefined
  private readonly slots = new Map<number, Slot>()
  private readonly busy = new Set<number>()
  private readonly waiters = new Set<{ want: boolean; done(ok: boolean): void; fail(e: Error): void }>()
  private modeTimer: NodeJS.Timeout | undefined

  constructor(
    readonly nodeId: number,
    readonly nativeId: string,
  ) {}

  /** Takes a node dump (start_listening or `ready`). Slot values in it are zwave-js's cache: not proof. */
  load(dump: Record<string, unknown>, values: Record<string, unknown>[], supportedUsers: number | undefined, override: Override): void {
    const config = isRecord(dump.deviceConfig) ? dump.deviceConfig : {}
    const manufacturerId = typeof dump.manufacturerId === 'number' ? dump.manufacturerId : undefined
    this.facts = modelFacts(manufacturerId, typeof config.manufacturer === 'string' ? config.manufacturer : undefined)
    this.model = (typeof config.label === 'string' && config.label) || (typeof dump.label === 'string' && dump.label) || `node ${this.nodeId}`
    this.displayName = (typeof dump.name === 'string' && dump.name) || `${this.facts.manufacturer} ${this.model} (node ${this.nodeId})`
    this.online = dump.status !== 3 // 3 = dead
    this.override = override
    const statusKeys = new Set<number>()
    for (const v of values) {
      if (v.commandClass === CC.userCode && (v.property === 'userCode' || v.property === 'userIdStatus') && typeof v.propertyKey === 'number') {
        if (v.property === 'userIdStatus') statusKeys.add(v.propertyKey)
        const change: SlotValue = v.property === 'userCode' ? { code: typeof v.value === 'string' ? v.value : undefined } : { status: typeof v.value === 'number' ? v.value : undefined }
        this.setSlot(v.propertyKey, change, null)
      } else if (v.commandClass === CC.doorLock && v.property === 'currentMode') {
        this.locked = lockedFromMode(v.value)
      } else if (v.commandClass === 128 && v.property === 'level' && typeof v.value === 'number') {
        this.battery = v.value
      } else if (v.commandClass === CC.configuration && v.property === this.facts.pinLengthParameter && typeof v.value === 'number') {
        this.pinLength = v.value
      }
    }
    this.slotCount = supportedUsers ?? statusKeys.size
    this.forgetProof()
    this.refreshConstraints()
  }

  describe(driver: string): DiscoveredLock {
    return {
      nativeId: this.nativeId,
      driver,
      displayName: this.displayName,
      manufacturer: this.facts.manufacturer,
      model: this.model,
      deviceType: this.facts.deviceType,
      constraints: this.constraints,
      online: this.online,
      ...(this.locked !== undefined ? { locked: this.locked } : {}),
      ...(this.battery !== undefined ? { batteryLevel: this.battery / 100 } : {}),
    }
  }

  pinLengthParameter(): number | undefined {
    return this.facts.pinLengthParameter
  }

  /** The lock-wide PIN length changed (Schlage parameter 16); true when the constraints changed. */
  setPinLength(length: number): boolean {
    if (this.pinLength === length) return false
    this.pinLength = length
    this.refreshConstraints()
    return true
  }

  /** What the lock last said about a slot, however old. */
  reading(slot: number): SlotReading | undefined {
    const s = this.slots.get(slot)
    return s ? slotReading(slot, s) : undefined
  }

  /**
   * What the lock said about a slot in this session, no longer ago than `maxAgeMs` (a reading that can stand
   * as observed). Older than that, the caller asks the lock again: the once-a-day full read then really reads.
   */
  provenReading(slot: number, now: number, maxAgeMs: number): SlotReading | undefined {
    const s = this.slots.get(slot)
    if (!s || s.statusAt === null || now - s.statusAt > maxAgeMs) return undefined
    if (s.status !== 0 && (s.codeAt === null || now - s.codeAt > maxAgeMs)) return undefined
    const reading = slotReading(slot, s)
    // "Not available" is the lock's trouble of the moment, not an answer to keep: the next pass asks again.
    return reading?.state === 'unreadable' ? undefined : reading
  }

  /** `reportedAt`: when the lock reported it (a Get's answer, a value event); null for zwave-js's cache. */
  setSlot(slot: number, change: SlotValue, reportedAt: number | null): void {
    const s = this.slots.get(slot) ?? { statusAt: null, codeAt: null }
    if ('status' in change) {
      s.status = change.status
      s.statusAt = reportedAt
    }
    if ('code' in change) {
      s.code = change.code
      s.codeAt = reportedAt
    }
    this.slots.set(slot, s)
  }

  /** A gap (lost session, a keypad change announced without the digits): ask the lock before trusting a slot. */
  forgetProof(slot?: number): void {
    for (const [n, s] of this.slots) {
      if (slot !== undefined && n !== slot) continue
      s.statusAt = null
      s.codeAt = null
    }
  }

  /** Another slot last reported holding this PIN (names a refusal). */
  slotHolding(code: string, except: number): number | undefined {
    for (const [n, s] of this.slots) if (n !== except && s.status !== 0 && s.code === code) return n
    return undefined
  }

  /** While a request of ours on the slot is out, value events for it are its answer, not news. */
  async during<T>(slot: number, fn: () => Promise<T>): Promise<T> {
    this.busy.add(slot)
    try {
      return await fn()
    } finally {
      this.busy.delete(slot)
    }
  }

  isOwnRequest(slot: number): boolean {
    return this.busy.has(slot)
  }

  /** Resolves true when the lock reports `want`, false after `ms` without such a report. */
  waitForLocked(want: boolean, ms: number): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      const timer = setTimeout(() => waiter.done(false), ms)
      const waiter = {
        want,
        done: (ok: boolean) => {
          clearTimeout(timer)
          this.waiters.delete(waiter)
          resolve(ok)
        },
        fail: (e: Error) => {
          clearTimeout(timer)
          this.waiters.delete(waiter)
          reject(e)
        },
      }
      this.waiters.add(waiter)
    })
  }

  resolveWaiters(locked: boolean): void {
    for (const w of [...this.waiters]) if (w.want === locked) w.done(true)
  }

  failWaiters(): void {
    for (const w of [...this.waiters]) w.fail(new TransientDeviceError(`Z-Wave node ${this.nodeId} went away`))
  }

  deferMode(ms: number, fn: () => void): void {
    this.cancelDeferredMode()
    this.modeTimer = setTimeout(() => {
      this.modeTimer = undefined
      fn()
    }, ms)
  }

  cancelDeferredMode(): void {
    if (this.modeTimer) clearTimeout(this.modeTimer)
    this.modeTimer = undefined
  }

  dispose(): void {
    this.cancelDeferredMode()
    this.failWaiters()
  }

  private refreshConstraints(): void {
    this.constraints = constraintsFor({ facts: this.facts, slotCount: this.slotCount, pinLength: this.pinLength, override: this.override })
  }
}
