// Plain frames (pairing GDIO): command id u16 LE | payload | CRC u16 LE over id and payload (docs/protocols/nuki-ble.md §2.2).
import { crcMatches, withCrc } from './crc16.js'
import { FrameError } from './frame-error.js'

export interface PlainMessage {
  command: number
  payload: Buffer
}

export function encodePlain(command: number, payload: Uint8Array = new Uint8Array(0)): Buffer {
  const body = Buffer.alloc(2 + payload.length)
  body.writeUInt16LE(command, 0)
  body.set(payload, 2)
  return withCrc(body)
}

export function decodePlain(frame: Uint8Array): PlainMessage {
  if (frame.length < 4) throw new FrameError('too_short', `plain frame of ${frame.length} bytes is shorter than 4`)
  if (!crcMatches(frame)) throw new FrameError('bad_crc', 'plain frame CRC mismatch')
  const buf = Buffer.from(frame)
  return { command: buf.readUInt16LE(0), payload: buf.subarray(2, buf.length - 2) }
}
