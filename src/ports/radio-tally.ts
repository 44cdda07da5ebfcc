// Counting a driver's radio exchanges per lock (the port's RadioStats). A small shared helper so every
// driver counts the same way: a running total by kind, and hourly buckets for the last day, on the
// driver's injected clock (design rule 7). Memory stays bounded: 24 buckets per lock.
import type { Clock } from '../kernel/clock.js'
import type { RadioStats } from './lock-driver.js'

const HOUR_MS = 3_600_000
const DAY_HOURS = 24

interface LockTally {
  total: Map<string, number>
  /** Hour number (clock ms / 1 h) → counts by kind; at most DAY_HOURS entries. */
  hours: Map<number, Map<string, number>>
}

export class RadioTally {
  private readonly locks = new Map<string, LockTally>()

  constructor(private readonly clock: Clock) {}

  /** One exchange of `kind` with the lock `nativeId` (a request sent, a connection opened). */
  count(nativeId: string, kind: string, n = 1): void {
    let t = this.locks.get(nativeId)
    if (!t) this.locks.set(nativeId, (t = { total: new Map(), hours: new Map() }))
    t.total.set(kind, (t.total.get(kind) ?? 0) + n)
    const hour = Math.floor(this.clock.now() / HOUR_MS)
    let bucket = t.hours.get(hour)
    if (!bucket) {
      t.hours.set(hour, (bucket = new Map()))
      for (const h of t.hours.keys()) if (h <= hour - DAY_HOURS) t.hours.delete(h)
    }
    bucket.set(kind, (bucket.get(kind) ?? 0) + n)
  }

  stats(nativeId: string): RadioStats {
    const t = this.locks.get(nativeId)
    const hour = Math.floor(this.clock.now() / HOUR_MS)
    const day = new Map<string, number>()
    for (const [h, bucket] of t?.hours ?? []) {
      if (h <= hour - DAY_HOURS) continue
      for (const [k, n] of bucket) day.set(k, (day.get(k) ?? 0) + n)
    }
    return { total: summed(t?.total ?? new Map()), lastDay: summed(day) }
  }
}

function summed(byKind: Map<string, number>): { exchanges: number; byKind: Record<string, number> } {
  let exchanges = 0
  for (const n of byKind.values()) exchanges += n
  return { exchanges, byKind: Object.fromEntries(byKind) }
}
