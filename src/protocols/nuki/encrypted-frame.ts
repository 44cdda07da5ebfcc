// Encrypted frames (USDIO), docs/protocols/nuki-ble.md §2.3:
//   ADATA = nonce(24) | authorization id u32 | length u16   (clear)
//   secretbox(PDATA, nonce, sharedKey), PDATA = authorization id u32 | command u16 | payload | CRC u16
import nacl from 'tweetnacl'
import { ADATA_LENGTH } from './constants.js'
import { crcMatches, withCrc } from './crc16.js'
import { FrameError } from './frame-error.js'

export interface EncryptedMessage {
  authorizationId: number
  command: number
  payload: Buffer
}

export interface Adata {
  nonce: Buffer
  authorizationId: number
  /** Bytes after ADATA: 16-byte tag + PDATA. */
  length: number
}

export function encodePdata(authorizationId: number, command: number, payload: Uint8Array): Buffer {
  const body = Buffer.alloc(6 + payload.length)
  body.writeUInt32LE(authorizationId >>> 0, 0)
  body.writeUInt16LE(command, 4)
  body.set(payload, 6)
  return withCrc(body)
}

export function decodePdata(pdata: Uint8Array): EncryptedMessage {
  if (pdata.length < 8) throw new FrameError('too_short', `PDATA of ${pdata.length} bytes is shorter than 8`)
  if (!crcMatches(pdata)) throw new FrameError('bad_crc', 'PDATA CRC mismatch')
  const buf = Buffer.from(pdata)
  return { authorizationId: buf.readUInt32LE(0), command: buf.readUInt16LE(4), payload: buf.subarray(6, buf.length - 2) }
}

/** nonce must be 24 fresh random bytes: the caller injects them (design rule 7). */
export function encryptMessage(sharedKey: Uint8Array, nonce: Uint8Array, msg: EncryptedMessage): Buffer {
  if (nonce.length !== 24) throw new RangeError('message nonce must be 24 bytes')
  const pdata = encodePdata(msg.authorizationId, msg.command, msg.payload)
  const box = nacl.secretbox(Uint8Array.from(pdata), Uint8Array.from(nonce), Uint8Array.from(sharedKey))
  const adata = Buffer.alloc(ADATA_LENGTH)
  adata.set(nonce, 0)
  adata.writeUInt32LE(msg.authorizationId >>> 0, 24)
  adata.writeUInt16LE(box.length, 28)
  return Buffer.concat([adata, box])
}

export function decodeAdata(frame: Uint8Array): Adata {
  if (frame.length < ADATA_LENGTH) throw new FrameError('too_short', `encrypted frame of ${frame.length} bytes has no full ADATA`)
  const buf = Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength)
  return { nonce: Buffer.from(buf.subarray(0, 24)), authorizationId: buf.readUInt32LE(24), length: buf.readUInt16LE(28) }
}

/** Total frame size announced by a (possibly partial) frame's ADATA, or undefined before 30 bytes arrived. */
export function announcedEncryptedLength(partial: Uint8Array): number | undefined {
  if (partial.length < ADATA_LENGTH) return undefined
  return ADATA_LENGTH + (partial[28]! | (partial[29]! << 8))
}

/** Opens one whole encrypted frame. Checks length, Poly1305, CRC, and that both authorization ids agree. */
export function decryptMessage(sharedKey: Uint8Array, frame: Uint8Array): EncryptedMessage & { nonce: Buffer } {
  const adata = decodeAdata(frame)
  if (frame.length !== ADATA_LENGTH + adata.length) {
    throw new FrameError('bad_length', `ADATA announces ${adata.length} bytes, frame carries ${frame.length - ADATA_LENGTH}`)
  }
  if (adata.length < 16 + 8) throw new FrameError('too_short', 'ciphertext shorter than tag + minimal PDATA')
  const opened = nacl.secretbox.open(
    Uint8Array.from(frame.subarray(ADATA_LENGTH)),
    Uint8Array.from(adata.nonce),
    Uint8Array.from(sharedKey),
  )
  if (!opened) throw new FrameError('auth_failed', 'encrypted frame failed authentication')
  const msg = decodePdata(opened)
  if (msg.authorizationId !== adata.authorizationId) {
    throw new FrameError('auth_id_mismatch', 'authorization id in PDATA differs from ADATA')
  }
  return { ...msg, nonce: adata.nonce }
}
