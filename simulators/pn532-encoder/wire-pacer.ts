// Baud-rate emulation: every byte occupies the wire for 10 bits (8N1), so at 115200 baud 11.52
// bytes per millisecond. Runs callbacks at sub-millisecond precision: a coarse setTimeout, then
// setImmediate for the last stretch, so wire-time floors hold without inflating them.
import { performance } from 'node:perf_hooks'

export class WirePacer {
  private readonly queue: Array<{ due: number; run: () => void }> = []
  // Kept apart: clearImmediate() on a Timeout (or the reverse) corrupts Node's timer lists.
  private timeout: NodeJS.Timeout | undefined
  private immediate: NodeJS.Immediate | undefined

  constructor(private readonly bytesPerMs: number | null) {}

  /** How long n bytes take on this wire, ms (0 when timing is off). */
  wireMs(n: number): number {
    return this.bytesPerMs ? n / this.bytesPerMs : 0
  }

  at(due: number, run: () => void): void {
    this.queue.push({ due, run })
    this.queue.sort((a, b) => a.due - b.due)
    this.pump()
  }

  stop(): void {
    this.queue.length = 0
    this.clear()
  }

  private clear(): void {
    if (this.timeout) clearTimeout(this.timeout)
    if (this.immediate) clearImmediate(this.immediate)
    this.timeout = undefined
    this.immediate = undefined
  }

  private pump = (): void => {
    this.clear()
    while (this.queue.length) {
      const wait = this.queue[0]!.due - performance.now()
      if (wait > 2) {
        this.timeout = setTimeout(this.pump, wait - 1.5)
        return
      }
      if (wait > 0) {
        this.immediate = setImmediate(this.pump)
        return
      }
      this.queue.shift()!.run()
    }
  }
}

export function bytesPerMsAt(baud: number): number {
  return baud / 10 / 1000
}
