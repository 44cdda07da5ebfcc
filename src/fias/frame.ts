// FIAS over TCP: each record travels as STX + record bytes + ETX; no LRC, no ACK/NAK (those are serial only).
// One TCP read may carry several frames or a part of one, so a reader buffers and splits on ETX.

export const STX = 0x02
export const ETX = 0x03
/** S1 caps a record at 2000 characters; a longer run without ETX is a broken peer, not a record. */
export const MAX_RECORD_BYTES = 2000

export type FrameItem =
  | { kind: 'frame'; body: Buffer }
  /** Bytes the reader dropped, and why; the stream resynchronises on the next STX. */
  | { kind: 'frame_error'; reason: 'noise' | 'control_byte' | 'too_long' | 'unterminated'; message: string }

export function encodeFrame(record: Uint8Array): Buffer {
  for (const b of record) {
    if (b < 0x20 || b === 0x7f) throw new RangeError(`byte 0x${b.toString(16).padStart(2, '0')} may not appear inside a FIAS frame`)
  }
  if (record.length > MAX_RECORD_BYTES) throw new RangeError(`FIAS record of ${record.length} bytes exceeds ${MAX_RECORD_BYTES}`)
  const out = Buffer.allocUnsafe(record.length + 2)
  out[0] = STX
  Buffer.from(record.buffer, record.byteOffset, record.byteLength).copy(out, 1)
  out[out.length - 1] = ETX
  return out
}

/**
 * Splits a byte stream into frames. Bytes outside a frame are noise; a control byte inside a frame
 * (other than a fresh STX, which restarts the frame) spoils that frame; memory stays bounded.
 */
export class FrameReader {
  private body: number[] | null = null
  private spoiled: string | null = null
  private noise = 0

  push(chunk: Uint8Array): FrameItem[] {
    const out: FrameItem[] = []
    for (const b of chunk) {
      if (this.body === null) {
        if (b === STX) {
          this.flushNoise(out)
          this.body = []
          this.spoiled = null
        } else this.noise++
        continue
      }
      if (b === STX) {
        // A new STX before ETX: the peer gave up on the frame (or restarted); keep the new one.
        out.push({ kind: 'frame_error', reason: 'unterminated', message: `frame of ${this.body.length} bytes restarted by STX before ETX` })
        this.body = []
        this.spoiled = null
      } else if (b === ETX) {
        if (this.spoiled !== null) {
          out.push({ kind: 'frame_error', reason: this.spoiled === 'too_long' ? 'too_long' : 'control_byte', message: this.spoiledMessage() })
        } else out.push({ kind: 'frame', body: Buffer.from(this.body) })
        this.body = null
        this.spoiled = null
      } else if (this.spoiled === null) {
        if (b < 0x20 || b === 0x7f) {
          this.spoiled = `control byte 0x${b.toString(16).padStart(2, '0')}`
          this.body = []
        } else if (this.body.length >= MAX_RECORD_BYTES) {
          this.spoiled = 'too_long'
          this.body = []
        } else this.body.push(b)
      }
    }
    this.flushNoise(out)
    return out
  }

  private spoiledMessage(): string {
    return this.spoiled === 'too_long' ? `frame longer than ${MAX_RECORD_BYTES} bytes dropped` : `frame dropped: ${this.spoiled} inside a frame`
  }

  /** Noise is reported once per run, when the run ends at an STX or at the end of a read. */
  private flushNoise(out: FrameItem[]): void {
    if (this.noise === 0) return
    out.push({ kind: 'frame_error', reason: 'noise', message: `${this.noise} byte(s) outside STX…ETX ignored` })
    this.noise = 0
  }
}
