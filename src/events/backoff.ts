// When a failed webhook delivery is tried again: tripling from a few seconds (two failures in a row are
// retried within a minute), capped at a few hours, each delay drawn from its upper half so endpoints that
// failed together do not retry together. Pure; randomness injected (design rule 7).
import type { Random } from '../kernel/ids.js'

export interface RetryPolicy {
  /** Upper bound of the first delay (the delay is drawn from [first/2, first]). */
  firstMs: number
  /** No delay is longer than this. */
  maxMs: number
  /** Give up on an event this long after its first failure. */
  horizonMs: number
}

export const defaultRetryPolicy: RetryPolicy = { firstMs: 5_000, maxMs: 4 * 3_600_000, horizonMs: 3 * 86_400_000 }

/** Delay before retry number `failures` (1 = after the first failure). */
export function retryDelay(failures: number, random: Pick<Random, 'int'>, policy: RetryPolicy = defaultRetryPolicy): number {
  const n = Math.max(1, Math.floor(failures))
  const ceiling = Math.min(policy.maxMs, policy.firstMs * 3 ** Math.min(n - 1, 30))
  const floor = Math.floor(ceiling / 2)
  return floor + random.int(ceiling - floor + 1)
}

/** Whether to give up rather than schedule another attempt at `nextAt`. */
export function pastHorizon(firstFailedAt: number, nextAt: number, policy: RetryPolicy = defaultRetryPolicy): boolean {
  return nextAt - firstFailedAt > policy.horizonMs
}
