// CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, no final XOR), as Nuki frames use it.
// Check value over ASCII "123456789" is 0x29B1 (docs/protocols/nuki-ble.md §2.2).

const TABLE = (() => {
  const t = new Uint16Array(256)
  for (let i = 0; i < 256; i++) {
    let c = i << 8
    for (let b = 0; b < 8; b++) c = c & 0x8000 ? ((c << 1) ^ 0x1021) & 0xffff : (c << 1) & 0xffff
    t[i] = c
  }
  return t
})()

export function crc16(data: Uint8Array): number {
  let crc = 0xffff
  for (const byte of data) crc = ((crc << 8) & 0xffff) ^ TABLE[((crc >> 8) ^ byte) & 0xff]!
  return crc
}

/** The bytes followed by their CRC, little-endian, as every Nuki frame ends. */
export function withCrc(data: Uint8Array): Buffer {
  const out = Buffer.alloc(data.length + 2)
  out.set(data, 0)
  out.writeUInt16LE(crc16(data), data.length)
  return out
}

/** True when the last two bytes are the little-endian CRC of everything before them. */
export function crcMatches(frame: Uint8Array): boolean {
  if (frame.length < 2) return false
  const body = frame.subarray(0, frame.length - 2)
  const stored = frame[frame.length - 2]! | (frame[frame.length - 1]! << 8)
  return crc16(body) === stored
}
