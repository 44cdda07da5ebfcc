// Injected time (design rule 7). Everything that asks "what time is it" takes a Clock.

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number
}

export const systemClock: Clock = { now: () => Date.now() }

/** Real time plus an offset that only moves forward: the lab's `clock/advance` moves every part at once. */
export class OffsetClock implements Clock {
  private offsetMs = 0
  constructor(private readonly base: Clock = systemClock) {}
  now(): number {
    return this.base.now() + this.offsetMs
  }
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError('clock can only move forward')
    this.offsetMs += ms
  }
}

/** Fully manual time for unit tests. */
export class ManualClock implements Clock {
  constructor(private ms: number = Date.parse('2026-01-01T00:00:00Z')) {}
  now(): number {
    return this.ms
  }
  set(ms: number): void {
    this.ms = ms
  }
  advance(ms: number): void {
    this.ms += ms
  }
}

export function isoUtc(ms: number): string {
  return new Date(ms).toISOString()
}
