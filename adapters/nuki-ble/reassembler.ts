// Indications arrive in pieces of at most 20 bytes and carry no end marker; the reader knows each frame's
// length (docs/protocols/nuki-ble.md §1.2). Pure: push pieces, take whole frames. A length it cannot know is a framing error,
// and the caller drops the link, which clears the buffer.
import { ADATA_LENGTH, PLAIN_FRAME_LENGTH } from '../../src/protocols/nuki/constants.js'
import { FrameError } from '../../src/protocols/nuki/frame-error.js'

/** No Nuki reply comes near this; a bigger announced length means the stream is misaligned. */
const MAX_ENCRYPTED_FRAME = 512

export type FrameKind = 'plain' | 'encrypted'

export class Reassembler {
  private buffer = Buffer.alloc(0)

  constructor(private readonly kind: FrameKind) {}

  push(piece: Uint8Array): Buffer[] {
    this.buffer = Buffer.concat([this.buffer, piece])
    const frames: Buffer[] = []
    for (;;) {
      const size = this.expectedLength()
      if (size === undefined || this.buffer.length < size) break
      frames.push(Buffer.from(this.buffer.subarray(0, size)))
      this.buffer = this.buffer.subarray(size)
    }
    return frames
  }

  get pending(): number {
    return this.buffer.length
  }

  clear(): void {
    this.buffer = Buffer.alloc(0)
  }

  private expectedLength(): number | undefined {
    if (this.kind === 'encrypted') {
      if (this.buffer.length < ADATA_LENGTH) return undefined
      const size = ADATA_LENGTH + this.buffer.readUInt16LE(28)
      if (size > MAX_ENCRYPTED_FRAME || size < ADATA_LENGTH + 24) {
        this.clear()
        throw new FrameError('bad_length', `encrypted frame announces ${size} bytes`)
      }
      return size
    }
    if (this.buffer.length < 2) return undefined
    const command = this.buffer.readUInt16LE(0)
    const size = PLAIN_FRAME_LENGTH[command]
    if (size === undefined) {
      this.clear()
      throw new FrameError('bad_length', `no known length for plain command 0x${command.toString(16).padStart(4, '0')}`)
    }
    return size
  }
}

