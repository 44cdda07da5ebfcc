// Device side of the PN532 HSU framing (UM0701 §6.2), written from the manual and independent of
// the adapter's codec (design rule 6); both are pinned by the same golden frames.

export const DEVICE_ACK = Buffer.from('0000ff00ff00', 'hex')
/** Application-level error frame: LEN 1, no TFI, data 7F, DCS 81. */
export const DEVICE_SYNTAX_ERROR = Buffer.from('0000ff01ff7f8100', 'hex')

export type HostItem =
  | { t: 'command'; pd: Buffer }
  | { t: 'ack' }
  | { t: 'nack' }
  /** Start code seen but the frame was damaged (LCS/DCS/TFI/postamble): the PN532 stays silent. */
  | { t: 'damaged'; why: string }

/** PN532 → host information frame around PD (response code first). */
export function deviceFrame(pd: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from([0xd5]), pd])
  const sum = body.reduce((a, x) => a + x, 0)
  return Buffer.concat([Buffer.from([0x00, 0x00, 0xff, body.length, (256 - body.length) & 0xff]), body, Buffer.from([(256 - (sum & 0xff)) & 0xff, 0x00])])
}

/** Incremental host-frame scanner; drops wake-up bytes (55, 00) and noise before a start code. */
export class HostFrameScanner {
  private pending = Buffer.alloc(0)

  feed(bytes: Buffer): HostItem[] {
    this.pending = Buffer.concat([this.pending, bytes])
    const items: HostItem[] = []
    for (;;) {
      const start = this.pending.indexOf(Buffer.from([0x00, 0xff]))
      if (start < 0) {
        this.pending = this.pending.length && this.pending[this.pending.length - 1] === 0 ? this.pending.subarray(-1) : Buffer.alloc(0)
        break
      }
      const f = this.pending.subarray(start)
      if (f.length < 4) {
        this.pending = f
        break
      }
      const [len, lcs] = [f[2]!, f[3]!]
      if (len === 0x00 && lcs === 0xff) {
        items.push({ t: 'ack' })
        this.pending = f.subarray(4)
        continue
      }
      if (len === 0xff && lcs === 0x00) {
        items.push({ t: 'nack' })
        this.pending = f.subarray(4)
        continue
      }
      if (len === 0xff && lcs === 0xff) {
        // Extended frames are legal but nothing we emulate needs one; treat as damaged.
        items.push({ t: 'damaged', why: 'extended frame' })
        this.pending = f.subarray(4)
        continue
      }
      if (((len + lcs) & 0xff) !== 0 || len === 0) {
        items.push({ t: 'damaged', why: 'LCS' })
        this.pending = f.subarray(2)
        continue
      }
      if (f.length < 4 + len + 2) {
        this.pending = f
        break
      }
      const body = f.subarray(4, 4 + len)
      const dcs = f[4 + len]!
      this.pending = f.subarray(6 + len)
      if (((body.reduce((a, x) => a + x, 0) + dcs) & 0xff) !== 0) items.push({ t: 'damaged', why: 'DCS' })
      else if (body[0] !== 0xd4 || body.length < 2) items.push({ t: 'damaged', why: 'TFI' })
      else items.push({ t: 'command', pd: Buffer.from(body.subarray(1)) })
    }
    if (this.pending.length > 1024) this.pending = Buffer.alloc(0)
    return items
  }
}
