// The gateway's reading and writing of Nuki command payloads (docs/protocols/nuki-ble.md §4). Frames and crypto come from the
// shared codec; these layouts are the adapter's own (the simulator has its own, design rule 6).
import { FrameError } from '../../src/protocols/nuki/frame-error.js'

const NAME_SIZE = 20

/** A name zero-padded to its field, cut at a UTF-8 character boundary. */
export function nameField(name: string, size = NAME_SIZE): Buffer {
  const out = Buffer.alloc(size)
  let used = 0
  for (const ch of name) {
    const bytes = Buffer.from(ch, 'utf8')
    if (used + bytes.length > size) break
    bytes.copy(out, used)
    used += bytes.length
  }
  return out
}

export function readNameField(field: Buffer): string {
  const end = field.indexOf(0)
  return field.subarray(0, end === -1 ? field.length : end).toString('utf8')
}

function pinBytes(pin: number): Buffer {
  const b = Buffer.alloc(2)
  b.writeUInt16LE(pin, 0)
  return b
}

/** Keypad codes travel as u32: "654321" → 654321. */
function codeBytes(code: string): Buffer {
  const b = Buffer.alloc(4)
  b.writeUInt32LE(Number(code), 0)
  return b
}

/** time limited = 0, dates/weekdays/times zero: the lockstep schedule lives in the reconciler. */
const NOT_TIME_LIMITED = Buffer.alloc(1 + 7 + 7 + 1 + 2 + 2)

export function requestData(command: number): Buffer {
  const b = Buffer.alloc(2)
  b.writeUInt16LE(command, 0)
  return b
}

export function addKeypadCode(code: string, name: string, challenge: Buffer, pin: number): Buffer {
  return Buffer.concat([codeBytes(code), nameField(name), NOT_TIME_LIMITED, challenge, pinBytes(pin)])
}

export function updateKeypadCode(id: number, code: string, name: string, challenge: Buffer, pin: number): Buffer {
  const idb = Buffer.alloc(2)
  idb.writeUInt16LE(id, 0)
  return Buffer.concat([idb, codeBytes(code), nameField(name), Buffer.from([1]), NOT_TIME_LIMITED, challenge, pinBytes(pin)])
}

export function removeKeypadCode(id: number, challenge: Buffer, pin: number): Buffer {
  const idb = Buffer.alloc(2)
  idb.writeUInt16LE(id, 0)
  return Buffer.concat([idb, challenge, pinBytes(pin)])
}

export function requestKeypadCodes(offset: number, count: number, challenge: Buffer, pin: number): Buffer {
  const b = Buffer.alloc(4)
  b.writeUInt16LE(offset, 0)
  b.writeUInt16LE(count, 2)
  return Buffer.concat([b, challenge, pinBytes(pin)])
}

export function lockAction(action: number, appId: number, challenge: Buffer): Buffer {
  const b = Buffer.alloc(6)
  b[0] = action
  b.writeUInt32LE(appId >>> 0, 1)
  b[5] = 0 // flags: no auto-unlock, no force
  return Buffer.concat([b, challenge])
}

export interface KeypadCodeEntry {
  id: number
  /** Six digits as the lock stores them. */
  code: string
  name: string
  enabled: boolean
  lockCount: number
}

/** Keypad Code 0x0045: 44 bytes, or 63 with the time-limit fields (docs/protocols/nuki-ble.md §4.6). */
export function parseKeypadCode(p: Buffer): KeypadCodeEntry {
  if (p.length !== 44 && p.length !== 63) throw new FrameError('bad_length', `keypad code record of ${p.length} bytes`)
  return {
    id: p.readUInt16LE(0),
    code: String(p.readUInt32LE(2)),
    name: readNameField(p.subarray(6, 26)),
    enabled: p[26] === 1,
    lockCount: p.readUInt16LE(41),
  }
}

export interface KeyturnerStates {
  nukiState: number
  lockState: number
  trigger: number
  batteryCritical: boolean
  batteryPercent?: number
  lastLockActionTrigger?: number
}

/** Bytes 0–12 are required; later ones optional (docs/protocols/nuki-ble.md §4.4). */
export function parseKeyturnerStates(p: Buffer): KeyturnerStates {
  if (p.length < 13) throw new FrameError('bad_length', `keyturner states of ${p.length} bytes`)
  const battery = p[12]!
  return {
    nukiState: p[0]!,
    lockState: p[1]!,
    trigger: p[2]!,
    batteryCritical: (battery & 1) === 1,
    batteryPercent: ((battery >> 2) & 0x3f) * 2,
    lastLockActionTrigger: p.length > 16 ? p[16] : undefined,
  }
}

export interface ErrorReport {
  code: number
  command: number
}

export function parseErrorReport(p: Buffer): ErrorReport {
  if (p.length < 1) throw new FrameError('bad_length', 'empty error report')
  return { code: p[0]!, command: p.length >= 3 ? p.readUInt16LE(1) : 0 }
}

export interface LockConfig {
  nukiId: number
  name: string
  hasKeypad: boolean
}

/** Config 0x0015: the 74-byte V2.1 layout; newer firmware appends bytes (docs/protocols/nuki-ble.md §4.5). */
export function parseConfig(p: Buffer): LockConfig {
  if (p.length < 74) throw new FrameError('bad_length', `config of ${p.length} bytes`)
  return { nukiId: p.readUInt32LE(0), name: readNameField(p.subarray(4, 36)), hasKeypad: p[65] === 1 }
}
