// Exponential backoff with "full jitter": the delay is drawn uniformly from [base·2^(n-1)/2, base·2^(n-1)],
// capped. Jitter keeps many devices that failed together (a broker restart) from retrying in lockstep;
// keeping the lower half out guarantees some minimum spacing. Randomness is injected (design rule 7).
import type { Random } from '../kernel/ids.js'

export interface BackoffOptions {
  baseMs: number
  maxMs: number
}

export const defaultBackoff: BackoffOptions = { baseMs: 1_000, maxMs: 5 * 60_000 }

/** Delay before retry number `attempt` (1 = first retry). */
export function backoffDelay(attempt: number, random: Pick<Random, 'int'>, opts: BackoffOptions = defaultBackoff): number {
  const n = Math.max(1, Math.floor(attempt))
  // Cap the exponent first so 2^n cannot overflow into Infinity for long outages.
  const ceiling = Math.min(opts.maxMs, opts.baseMs * 2 ** Math.min(n - 1, 40))
  const floor = Math.floor(ceiling / 2)
  return floor + random.int(ceiling - floor + 1)
}
