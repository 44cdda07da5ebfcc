// PN532 HSU frame codec, host side (docs/protocols/pn532-mifare.md §2). Pinned by the golden frames in
// test/unit/pn532/frame.test.ts. The reader never throws on line noise: it reports typed errors.

export const TFI_HOST = 0xd4
export const TFI_PN532 = 0xd5
export const ACK_FRAME: Buffer = Buffer.from([0x00, 0x00, 0xff, 0x00, 0xff, 0x00])
export const NACK_FRAME: Buffer = Buffer.from([0x00, 0x00, 0xff, 0xff, 0x00, 0x00])
/** HSU wake-up: 55 55 then 14 zeros, sent right before the first frame (libnfc's length). */
export const WAKE_UP: Buffer = Buffer.concat([Buffer.from([0x55, 0x55]), Buffer.alloc(14)])

export type Pn532Frame =
  | { kind: 'ack' }
  | { kind: 'nack' }
  /** Application-level error frame `00 00 FF 01 FF 7F 81 00`. */
  | { kind: 'error' }
  /** A normal information frame: TFI then PD0…PDn. */
  | { kind: 'data'; tfi: number; pd: Buffer }

export type FrameErrorKind = 'bad_lcs' | 'bad_dcs' | 'bad_postamble' | 'extended_unsupported' | 'overflow'
export interface FrameError {
  kind: 'frame_error'
  error: FrameErrorKind
}

export type ReaderItem = Pn532Frame | FrameError

/** `00 00 FF LEN LCS TFI PD… DCS 00`. */
export function encodeFrame(tfi: number, pd: Uint8Array): Buffer {
  const len = pd.length + 1
  if (len > 255) throw new RangeError('normal frames carry at most 254 PD bytes')
  const out = Buffer.alloc(len + 7)
  out[0] = 0x00
  out[1] = 0x00
  out[2] = 0xff
  out[3] = len
  out[4] = (0x100 - len) & 0xff
  out[5] = tfi
  let sum = tfi
  for (let i = 0; i < pd.length; i++) {
    out[6 + i] = pd[i]!
    sum += pd[i]!
  }
  out[6 + pd.length] = (0x100 - (sum & 0xff)) & 0xff
  out[7 + pd.length] = 0x00
  return out
}

export function hostCommand(pd: Uint8Array): Buffer {
  return encodeFrame(TFI_HOST, pd)
}

const MAX_BUFFER = 1024

/**
 * Incremental reader: push whatever bytes arrived, get every complete frame (or framing error) in
 * order. Skips any run of preamble bytes before the start code; handles several frames per chunk.
 */
export class FrameReader {
  private buf: Buffer = Buffer.alloc(0)

  push(chunk: Uint8Array): ReaderItem[] {
    this.buf = this.buf.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.buf, chunk])
    const out: ReaderItem[] = []
    for (;;) {
      const item = this.next()
      if (item === undefined) break
      out.push(item)
    }
    if (this.buf.length > MAX_BUFFER) {
      this.buf = Buffer.alloc(0)
      out.push({ kind: 'frame_error', error: 'overflow' })
    }
    return out
  }

  reset(): void {
    this.buf = Buffer.alloc(0)
  }

  private drop(n: number): void {
    this.buf = this.buf.subarray(n)
  }

  private next(): ReaderItem | undefined {
    const b = this.buf
    // Find the start code 00 FF; everything before it is preamble or noise.
    let s = -1
    for (let i = 0; i + 1 < b.length; i++) {
      if (b[i] === 0x00 && b[i + 1] === 0xff) {
        s = i
        break
      }
    }
    if (s < 0) {
      // Keep a trailing 0x00: it may be the first half of a start code.
      this.drop(b.length > 0 && b[b.length - 1] === 0x00 ? b.length - 1 : b.length)
      return undefined
    }
    if (s > 0) {
      this.drop(s)
      return this.next()
    }
    if (b.length < 4) return undefined
    const len = b[2]!
    const lcs = b[3]!
    if (len === 0x00 && lcs === 0xff) {
      this.drop(4)
      if (this.buf[0] === 0x00) this.drop(1)
      return { kind: 'ack' }
    }
    if (len === 0xff && lcs === 0x00) {
      this.drop(4)
      if (this.buf[0] === 0x00) this.drop(1)
      return { kind: 'nack' }
    }
    if (len === 0xff && lcs === 0xff) {
      // Extended frame: nothing in our command set needs one; drop its header and resynchronise.
      this.drop(4)
      return { kind: 'frame_error', error: 'extended_unsupported' }
    }
    if (((len + lcs) & 0xff) !== 0) {
      this.drop(2)
      return { kind: 'frame_error', error: 'bad_lcs' }
    }
    if (b.length < 4 + len + 2) return undefined
    const body = b.subarray(4, 4 + len)
    const dcs = b[4 + len]!
    const post = b[5 + len]!
    let sum = dcs
    for (const x of body) sum += x
    if ((sum & 0xff) !== 0) {
      this.drop(2)
      return { kind: 'frame_error', error: 'bad_dcs' }
    }
    if (post !== 0x00) {
      this.drop(2)
      return { kind: 'frame_error', error: 'bad_postamble' }
    }
    const frameBody = Buffer.from(body)
    this.drop(6 + len)
    if (len === 1 && frameBody[0] === 0x7f) return { kind: 'error' }
    return { kind: 'data', tfi: frameBody[0]!, pd: frameBody.subarray(1) }
  }
}
