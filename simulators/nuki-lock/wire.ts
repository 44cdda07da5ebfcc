// The lock's own reading and writing of command payloads (docs/protocols/nuki-ble.md §2.1, §4), written independently of the
// adapter (design rule 6). Only frames and crypto come from the shared, vector-pinned codec.

export function encodeDateTime(ms: number): Buffer {
  const d = new Date(ms)
  const b = Buffer.alloc(7)
  b.writeUInt16LE(d.getUTCFullYear(), 0)
  b[2] = d.getUTCMonth() + 1
  b[3] = d.getUTCDate()
  b[4] = d.getUTCHours()
  b[5] = d.getUTCMinutes()
  b[6] = d.getUTCSeconds()
  return b
}

export function readName(field: Buffer): string {
  const end = field.indexOf(0)
  return field.subarray(0, end === -1 ? field.length : end).toString('utf8')
}

export function writeName(name: string, size: number): Buffer {
  const out = Buffer.alloc(size)
  Buffer.from(name, 'utf8').copy(out, 0, 0, size)
  return out
}

/** Where the challenge and PIN sit after a command's own fields. */
export interface Authenticated {
  fields: Buffer
  challenge: Buffer
  pin?: number
}

export function splitAuthenticated(payload: Buffer, ownLength: number, withPin: boolean): Authenticated | undefined {
  const total = ownLength + 32 + (withPin ? 2 : 0)
  if (payload.length !== total) return undefined
  return {
    fields: payload.subarray(0, ownLength),
    challenge: payload.subarray(ownLength, ownLength + 32),
    pin: withPin ? payload.readUInt16LE(ownLength + 32) : undefined,
  }
}

export interface KeypadCodeFields {
  code: number
  name: string
  enabled: boolean
}

/** Add Keypad Code 0x0041 own fields (44 bytes): code u32 | name[20] | time limited | from[7] | until[7] | weekdays | from time[2] | until time[2]. */
export function parseAddKeypadCode(f: Buffer): KeypadCodeFields {
  return { code: f.readUInt32LE(0), name: readName(f.subarray(4, 24)), enabled: true }
}

/** Update Keypad Code 0x0046 own fields (47 bytes): code id u16 | code u32 | name[20] | enabled | time limited | … */
export function parseUpdateKeypadCode(f: Buffer): KeypadCodeFields & { id: number } {
  return { id: f.readUInt16LE(0), code: f.readUInt32LE(2), name: readName(f.subarray(6, 26)), enabled: f[26] === 1 }
}

export interface KeypadEntry {
  id: number
  code: number
  name: string
  enabled: boolean
  createdMs: number
  lastActiveMs: number
  lockCount: number
}

/** Keypad Code 0x0045: always the full 63-byte record (time-limit fields zero when not time limited). */
export function encodeKeypadCode(e: KeypadEntry): Buffer {
  const b = Buffer.alloc(63)
  b.writeUInt16LE(e.id, 0)
  b.writeUInt32LE(e.code, 2)
  writeName(e.name, 20).copy(b, 6)
  b[26] = e.enabled ? 1 : 0
  encodeDateTime(e.createdMs).copy(b, 27)
  if (e.lastActiveMs > 0) encodeDateTime(e.lastActiveMs).copy(b, 34)
  b.writeUInt16LE(e.lockCount, 41)
  return b
}

export interface KeyturnerStatesFields {
  nukiState: number
  lockState: number
  trigger: number
  nowMs: number
  batteryPercent: number
  lastLockAction: number
  lastLockActionTrigger: number
  lastCompletion: number
}

/** The 19-byte V2.1 layout (docs/protocols/nuki-ble.md §4.4). */
export function encodeKeyturnerStates(s: KeyturnerStatesFields): Buffer {
  const b = Buffer.alloc(19)
  b[0] = s.nukiState
  b[1] = s.lockState
  b[2] = s.trigger
  encodeDateTime(s.nowMs).copy(b, 3)
  b.writeInt16LE(0, 10)
  b[12] = (Math.round(s.batteryPercent / 2) & 0x3f) << 2
  b[13] = 0
  b[14] = 0
  b[15] = s.lastLockAction
  b[16] = s.lastLockActionTrigger
  b[17] = s.lastCompletion
  b[18] = 0x00 // door sensor unavailable
  return b
}

export function encodeErrorReport(code: number, command: number): Buffer {
  const b = Buffer.alloc(3)
  b[0] = code
  b.writeUInt16LE(command, 1)
  return b
}

export function u16(n: number): Buffer {
  const b = Buffer.alloc(2)
  b.writeUInt16LE(n, 0)
  return b
}

/** Config 0x0015, the 74-byte V2.1 layout (docs/protocols/nuki-ble.md §4.5); fields the simulator has no notion of are zero. */
export function encodeConfig(nukiId: number, name: string, nowMs: number, hasKeypad: boolean, pairingEnabled: boolean): Buffer {
  const b = Buffer.alloc(74)
  b.writeUInt32LE(nukiId >>> 0, 0)
  writeName(name, 32).copy(b, 4)
  // 36 latitude, 40 longitude (f32, zero); 44 auto unlatch; 45 pairing enabled; 46 button; 47 LED; 48 brightness
  b[45] = pairingEnabled ? 1 : 0
  b[46] = 1
  b[47] = 1
  b[48] = 3
  encodeDateTime(nowMs).copy(b, 49)
  // 56 timezone offset s16; 58 DST mode; 59 has fob; 60–62 fob actions; 63 single lock; 64 advertising mode
  b[65] = hasKeypad ? 1 : 0
  b.set([2, 9, 0], 66) // firmware 2.9.0
  b.set([4, 0], 69) // hardware revision
  b[71] = 0 // HomeKit status
  b.writeUInt16LE(0xffff, 72) // no timezone id
  return b
}
