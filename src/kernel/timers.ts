// Timers that cope with instants years away (design rule 12). Node's setTimeout takes a signed 32-bit
// delay: anything above ~24.8 days is replaced by 1 ms with a TimeoutOverflowWarning, so a code that
// starts in a month would wake its device a thousand times a second. `wakeAt` waits in steps of at most
// `maxStepMs` and re-arms until the injected clock says the instant has come; an idle far-away wake-up
// costs one timer callback per step (a day by default).
import type { Clock } from './clock.js'

/** The setTimeout/clearTimeout pair, injected so tests run on fake time (design rule 7). */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
}

/** Node's own timers, unref'd: a pending wake-up never keeps the process alive on its own. */
export const realTimers: Timers = {
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms)
    t.unref?.()
    return t
  },
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
}

/** The largest delay Node's setTimeout honours (2^31 − 1 ms). */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1

/** Default step of a far-away wake-up: a day, well inside MAX_TIMEOUT_MS. */
export const DEFAULT_TIMER_STEP_MS = 24 * 3_600_000

export interface WakeUp {
  /** Stop waiting; `fn` will not run. Safe to call more than once. */
  cancel(): void
}

/**
 * Run `fn` once when `clock.now()` reaches `at` (at once, on the next timer turn, if it already has).
 * Each underlying timer waits at most `maxStepMs`; on waking early the wait is armed again from the
 * clock's new reading, so a clock moved forward (the lab's clock/advance) is honoured at the next step.
 */
export function wakeAt(clock: Clock, timers: Timers, at: number, fn: () => void, maxStepMs: number = DEFAULT_TIMER_STEP_MS): WakeUp {
  if (Number.isNaN(at)) throw new RangeError('wakeAt: the instant is not a number')
  const step = Math.max(1, Math.min(maxStepMs, MAX_TIMEOUT_MS))
  let handle: unknown
  let cancelled = false
  const arm = (): void => {
    const delay = Math.min(step, Math.max(0, at - clock.now()))
    handle = timers.setTimeout(() => {
      handle = undefined
      if (cancelled) return
      if (clock.now() >= at) fn()
      else arm()
    }, delay)
  }
  arm()
  return {
    cancel() {
      cancelled = true
      if (handle !== undefined) timers.clearTimeout(handle)
      handle = undefined
    },
  }
}

/** `wakeAt(clock.now() + ms)`: a delay of any length. */
export function wakeAfter(clock: Clock, timers: Timers, ms: number, fn: () => void, maxStepMs?: number): WakeUp {
  return wakeAt(clock, timers, clock.now() + Math.max(0, ms), fn, maxStepMs)
}
