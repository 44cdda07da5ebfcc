// Timers driven by a ManualClock: advance() moves time and fires what became due, in order.
import { ManualClock } from '../../src/kernel/clock.js'
import type { Timers } from '../../src/reconcile/reconciler.js'

interface Pending {
  id: number
  at: number
  fn: () => void
}

export class FakeTimers implements Timers {
  private next = 1
  private pending: Pending[] = []
  constructor(readonly clock: ManualClock) {}

  setTimeout(fn: () => void, ms: number): unknown {
    const t = { id: this.next++, at: this.clock.now() + Math.max(0, ms), fn }
    this.pending.push(t)
    return t.id
  }

  clearTimeout(handle: unknown): void {
    this.pending = this.pending.filter((t) => t.id !== handle)
  }

  /** The time of the earliest pending timer, or null. */
  nextAt(): number | null {
    return this.pending.reduce<number | null>((m, t) => (m === null || t.at < m ? t.at : m), null)
  }

  get size(): number {
    return this.pending.length
  }

  /** Move the clock forward by ms, firing each timer that falls due on the way at its own time. */
  advance(ms: number): void {
    const end = this.clock.now() + ms
    for (;;) {
      const due = this.pending.filter((t) => t.at <= end).sort((a, b) => a.at - b.at || a.id - b.id)[0]
      if (!due) break
      this.pending = this.pending.filter((t) => t !== due)
      if (due.at > this.clock.now()) this.clock.set(due.at)
      due.fn()
    }
    this.clock.set(end)
  }
}
