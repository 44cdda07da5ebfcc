// An in-process serial cable: two Duplex ends, bytes written to one are read from the other.
// Node 20 has no stream.duplexPair. `cut()` simulates a pulled cable: both ends error and close.
import { Duplex } from 'node:stream'

class End extends Duplex {
  peer!: End
  override _read(): void {}
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (this.peer.destroyed) return cb(new Error('link closed'))
    this.peer.push(Buffer.from(chunk))
    cb()
  }
  override _final(cb: () => void): void {
    this.peer.push(null)
    cb()
  }
}

export interface DuplexPair {
  host: Duplex
  device: Duplex
  /** Pull the cable: both ends are destroyed with an EIO-like error. */
  cut(): void
}

export function duplexPair(): DuplexPair {
  const a = new End()
  const b = new End()
  a.peer = b
  b.peer = a
  return {
    host: a,
    device: b,
    cut() {
      const err = Object.assign(new Error('link lost (EIO)'), { code: 'EIO' })
      // An end nobody listens to just closes (no unhandled 'error').
      for (const end of [a, b]) end.destroy(end.listenerCount('error') > 0 ? err : undefined)
    },
  }
}
