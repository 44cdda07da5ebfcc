// Duplicate requests (a gateway's retry, a QoS 1 redelivery) are answered, not run twice. Every answer is
// kept in a small memory cache; a mutation's answer is also kept durably (DurableAnswers) so a daemon restart
// does not forget it. A mutation is marked "started" durably before it runs: if the process dies between
// running it and storing its answer (the one window left, docs/fleet.md), a retry is told the outcome is
// unknown (409) instead of running it a second time.
import type { ApiResponse } from './wire.js'
import { errorResponse } from './wire.js'

/** Durable storage of mutation answers (the daemon's SQLite idempotency table; absent in the bench). */
export interface DurableAnswers {
  /** The stored answer, 'started' when only the start marker is there, undefined when unknown. */
  recall(requestId: string): ApiResponse | 'started' | undefined
  markStarted(requestId: string): void
  remember(requestId: string, answer: ApiResponse): void
}

export type Admission = { answer: ApiResponse } | { running: Promise<ApiResponse> } | { run: true }

export const OUTCOME_UNKNOWN = errorResponse(
  409,
  'request_outcome_unknown',
  'this request was started before the site restarted and its answer was lost; look the result up before retrying with a new request',
)

export class Answers {
  private readonly cache = new Map<string, ApiResponse>()
  private readonly running = new Map<string, Promise<ApiResponse>>()

  constructor(private readonly durable: DurableAnswers | null, private readonly capacity = 2000) {}

  /** What to do with a request: answer from memory or disk, wait for the same one already running, or run it. */
  admit(requestId: string, mutation: boolean): Admission {
    const cached = this.cache.get(requestId)
    if (cached) return { answer: cached }
    const running = this.running.get(requestId)
    if (running) return { running }
    if (mutation && this.durable) {
      const stored = this.durable.recall(requestId)
      if (stored === 'started') return { answer: OUTCOME_UNKNOWN }
      if (stored) return { answer: stored }
    }
    return { run: true }
  }

  /** Runs `fn` once for the request id and keeps its answer. */
  async run(requestId: string, mutation: boolean, fn: () => Promise<ApiResponse>): Promise<ApiResponse> {
    const durable = mutation ? this.durable : null
    durable?.markStarted(requestId)
    const p = fn()
    this.running.set(requestId, p)
    try {
      const answer = await p
      durable?.remember(requestId, answer)
      this.keep(requestId, answer)
      return answer
    } finally {
      this.running.delete(requestId)
    }
  }

  private keep(requestId: string, answer: ApiResponse): void {
    this.cache.set(requestId, answer)
    // Oldest first out (Map keeps insertion order).
    if (this.cache.size > this.capacity) this.cache.delete(this.cache.keys().next().value!)
  }
}
