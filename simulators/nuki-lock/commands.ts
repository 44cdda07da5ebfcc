// What the simulated Nuki lock does with a command once it is authenticated: the keypad code store,
// the lock state machine and the states it reports. No frames here (transport.ts), no radio.
import type { Clock } from '../../src/kernel/clock.js'
import { CMD, ERROR_CODE, LOCK_ACTION, LOCK_STATE, NUKI_STATE, STATUS, TRIGGER } from '../../src/protocols/nuki/constants.js'
import { KeypadCodeStore, isValidKeypadCode } from './keypad-codes.js'
import {
  encodeConfig,
  encodeDateTime,
  encodeErrorReport,
  encodeKeypadCode,
  encodeKeyturnerStates,
  parseAddKeypadCode,
  parseUpdateKeypadCode,
  u16,
} from './wire.js'

export interface Reply {
  command: number
  payload: Buffer
}

/** Trigger the simulator records for keypad-initiated actions; docs/protocols/nuki-ble.md §7 lists none [unverified choice]. */
const KEYPAD_TRIGGER = 0x04

export interface LockCommandsOptions {
  clock: Clock
  nukiId: number
  name: string
  keypadCapacity: number
  /** Time the motor takes for one lock action. */
  motorMs: number
  pairingMode(): boolean
  /** The state-changed beacon bit went up: advertise it. */
  onStateChange(): void
  journal: string[]
}

export class LockCommands {
  readonly keypad: KeypadCodeStore
  private lockState: number = LOCK_STATE.locked
  private trigger: number = TRIGGER.system
  private lastAction = 0
  private lastActionTrigger: number = TRIGGER.system
  private busy = false
  /** The beacon's state-changed bit: set by a change, cleared when someone reads the states. */
  stateChanged = false

  constructor(private readonly options: LockCommandsOptions) {
    this.keypad = new KeypadCodeStore(options.keypadCapacity)
  }

  /**
   * Runs one authenticated command on its own fields. Returns its replies, or undefined when they go
   * through `reply` instead (a lock action answers ACCEPTED now and COMPLETE when the motor stops).
   */
  execute(command: number, f: Buffer, reply: (replies: Reply[]) => void): Reply[] | undefined {
    const now = this.options.clock.now()
    const journal = this.options.journal
    switch (command) {
      case CMD.addKeypadCode: {
        const { code, name } = parseAddKeypadCode(f)
        const entry = this.keypad.add(code, name, now)
        journal.push(`added code id ${entry.id}`)
        const out = Buffer.alloc(9)
        out.writeUInt16LE(entry.id, 0)
        encodeDateTime(now).copy(out, 2)
        return [{ command: CMD.keypadCodeId, payload: out }]
      }
      case CMD.updateKeypadCode: {
        const u = parseUpdateKeypadCode(f)
        this.keypad.update(u.id, u.code, u.name, u.enabled)
        journal.push(`updated code id ${u.id}`)
        return [statusReply(STATUS.complete)]
      }
      case CMD.removeKeypadCode: {
        const id = f.readUInt16LE(0)
        this.keypad.remove(id)
        journal.push(`removed code id ${id}`)
        return [statusReply(STATUS.complete)]
      }
      case CMD.requestKeypadCodes: {
        const offset = f.readUInt16LE(0)
        const count = f.readUInt16LE(2)
        const all = this.keypad.list()
        const page = all.slice(offset, offset + count)
        return [
          { command: CMD.keypadCodeCount, payload: u16(all.length) },
          ...page.map((e) => ({ command: CMD.keypadCode, payload: encodeKeypadCode(e) })),
          statusReply(STATUS.complete),
        ]
      }
      case CMD.lockAction:
        return this.lockAction(f[0]!, reply)
      case CMD.requestConfig:
        return [{ command: CMD.config, payload: encodeConfig(this.options.nukiId, this.options.name, now, true, this.options.pairingMode()) }]
      default:
        return [{ command: CMD.errorReport, payload: encodeErrorReport(ERROR_CODE.unknown, command) }]
    }
  }

  /** The Keyturner States a Request Data asks for; reading them clears the state-changed bit. */
  readStates(): Buffer {
    this.stateChanged = false
    return this.keyturnerStates()
  }

  /** Someone types a code on the keypad (the lock is reachable). */
  enterCode(code: string): { granted: boolean; reason: 'granted' | 'unknown_code' | 'disabled' } {
    const entry = /^\d{6}$/.test(code) ? this.keypad.findByCode(Number(code)) : undefined
    if (!entry) return { granted: false, reason: 'unknown_code' }
    if (!entry.enabled) return { granted: false, reason: 'disabled' }
    entry.lockCount++
    entry.lastActiveMs = this.options.clock.now()
    this.lockState = LOCK_STATE.unlocked
    this.lastAction = LOCK_ACTION.unlock
    this.lastActionTrigger = KEYPAD_TRIGGER
    this.trigger = KEYPAD_TRIGGER
    this.options.journal.push(`keypad unlock by code id ${entry.id}`)
    this.flagStateChange()
    return { granted: true, reason: 'granted' }
  }

  /** The owner edits keypad code `slot` (the lock's code id) in the Nuki app; null deletes it. */
  programCode(slot: number, code: string | null, name: string): void {
    if (code === null) {
      if (this.keypad.get(slot)) this.keypad.remove(slot)
      return
    }
    const n = Number(code)
    if (!/^\d{6}$/.test(code) || !isValidKeypadCode(n)) throw new RangeError('the Nuki app refuses this code')
    if (this.keypad.get(slot)) this.keypad.update(slot, n, name, true)
    else this.keypad.add(n, name, this.options.clock.now(), slot)
  }

  isLocked(): boolean {
    return this.lockState === LOCK_STATE.locked
  }

  private lockAction(action: number, reply: (replies: Reply[]) => void): Reply[] | undefined {
    const target = action === LOCK_ACTION.unlock ? LOCK_STATE.unlocked : action === LOCK_ACTION.lock ? LOCK_STATE.locked : undefined
    if (target === undefined) return [{ command: CMD.errorReport, payload: encodeErrorReport(ERROR_CODE.kBadParameter, CMD.lockAction) }]
    if (this.busy) return [{ command: CMD.errorReport, payload: encodeErrorReport(ERROR_CODE.kBusy, CMD.lockAction) }]
    this.lastAction = action
    this.lastActionTrigger = TRIGGER.system
    this.trigger = TRIGGER.system
    if (this.lockState === target) return [statusReply(STATUS.complete)]
    this.busy = true
    this.lockState = target === LOCK_STATE.unlocked ? LOCK_STATE.unlocking : LOCK_STATE.locking
    reply([statusReply(STATUS.accepted), { command: CMD.keyturnerStates, payload: this.keyturnerStates() }])
    setTimeout(() => {
      this.busy = false
      this.lockState = target
      this.options.journal.push(target === LOCK_STATE.locked ? 'locked' : 'unlocked')
      this.flagStateChange()
      reply([{ command: CMD.keyturnerStates, payload: this.keyturnerStates() }, statusReply(STATUS.complete)])
    }, this.options.motorMs)
    return undefined
  }

  private keyturnerStates(): Buffer {
    return encodeKeyturnerStates({
      nukiState: this.options.pairingMode() ? NUKI_STATE.pairingMode : NUKI_STATE.doorMode,
      lockState: this.lockState,
      trigger: this.trigger,
      nowMs: this.options.clock.now(),
      batteryPercent: 88,
      lastLockAction: this.lastAction,
      lastLockActionTrigger: this.lastActionTrigger,
      lastCompletion: 0,
    })
  }

  private flagStateChange(): void {
    this.stateChanged = true
    this.options.onStateChange()
  }
}

export function statusReply(status: number): Reply {
  return { command: CMD.status, payload: Buffer.from([status]) }
}
