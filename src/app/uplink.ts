// What the fleet uplink (src/uplink) needs from the site: the outbox under the consumer 'uplink', mutation
// answers kept durably for duplicates (the store's idempotency table), and the device counts of the status.
import { Outbox } from '../store/outbox.js'
import type { Store } from '../store/store.js'

export const UPLINK_CONSUMER = 'uplink'
const ANSWER_SCOPE = 'uplink'
/** Mutation answers are kept this long (a gateway retries within seconds; a day covers a long outage). */
const ANSWER_TTL_MS = 24 * 3_600_000
const CURSOR_FLUSH_MS = 200
const STARTED = '{"started":true}'

export class UplinkApp {
  private readonly outbox: Outbox
  private pendingSeq: number | null = null
  private timer: NodeJS.Timeout | null = null

  constructor(private readonly store: Store, private readonly onWriteError: (err: Error) => void = () => {}) {
    this.outbox = new Outbox(store.ctx)
  }

  // --- duplicates: the answer text (JSON) by request id; 'started' when only the marker is there ---
  recallAnswer(requestId: string): string | 'started' | undefined {
    const raw = this.store.idempotency.recall(ANSWER_SCOPE, requestId, ANSWER_TTL_MS)
    return raw === STARTED ? 'started' : raw
  }

  markStarted(requestId: string): void {
    this.store.tx(() => this.store.idempotency.remember(ANSWER_SCOPE, requestId, STARTED))
  }

  rememberAnswer(requestId: string, answer: string): void {
    this.store.tx(() => this.store.idempotency.remember(ANSWER_SCOPE, requestId, answer))
  }

  // --- the event stream: a new uplink starts at the beginning of the log (the fleet hears the history once) ---
  startSeq(): number {
    return this.outbox.cursor(UPLINK_CONSUMER)?.lastSeq ?? 0
  }

  after(seq: number, limit: number): Array<{ seq: number; eventType: string; body: string }> {
    return this.outbox.after(seq, limit)
  }

  /** The broker acknowledged every event up to seq: written in batches, and only after progress (quiet when idle). */
  acked(seq: number): void {
    this.pendingSeq = seq
    if (this.timer) return
    this.timer = setTimeout(() => this.flush(), CURSOR_FLUSH_MS)
    this.timer.unref()
  }

  subscribe(wake: () => void): () => void {
    return this.store.events.subscribe(() => wake())
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
    if (this.pendingSeq === null) return
    const lastSeq = this.pendingSeq
    this.pendingSeq = null
    try {
      this.store.tx(() => this.outbox.saveCursor(UPLINK_CONSUMER, { lastSeq, headAttempts: 0, headFirstFailedAt: null }))
    } catch (err) {
      // Unwritten progress only means those events are published again after a restart (at least once).
      this.onWriteError(err as Error)
    }
  }

  deviceCounts(): { total: number; online: number } {
    const list = this.store.devices.list()
    return { total: list.length, online: list.filter((d) => d.online).length }
  }
}
