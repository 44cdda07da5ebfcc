// One webhook endpoint's delivery loop: the next wanted event after its cursor, one POST at a time (order
// per endpoint), retried with backoff until it is delivered or the horizon passes. Each endpoint has its
// own loop and connection, so a slow or dead one never holds another. The loop parks when there is
// nothing to send and is woken by a commit (no polling, rule 12).
import type { Clock } from '../kernel/clock.js'
import type { Random } from '../kernel/ids.js'
import type { AttemptRow, Cursor, OutboxEvent } from '../store/outbox.js'
import type { Webhook } from '../store/webhooks.js'
import { pastHorizon, retryDelay, type RetryPolicy } from './backoff.js'
import { wants } from './event-types.js'
import { signedHeaders } from './signature.js'
import type { Poster } from './transport.js'

export type { Timers } from '../kernel/timers.js'
import type { Timers } from '../kernel/timers.js'

/** What a worker needs from the engine: reads, and where its results go (the engine writes them). */
export interface WorkerHost {
  clock: Clock
  /** Signature timestamps: the real time receivers compare against, not a lab clock moved forward. */
  stampClock: Clock
  random: Random
  timers: Timers
  retry: RetryPolicy
  readAfter(seq: number, limit: number): OutboxEvent[]
  /** A delivery succeeded or an unwanted event was passed: written with the next batch. */
  progressed(worker: DeliveryWorker, attempt: AttemptRow | null, event: OutboxEvent): void
  /** A failure: written at once (the retry state must survive a crash). */
  failed(worker: DeliveryWorker, attempt: AttemptRow, gaveUp: string | null): void
  /** Something unexpected (a store read failed): logged; the worker tries again after a pause. */
  trouble(worker: DeliveryWorker, err: Error): void
}

const BATCH = 200

export class DeliveryWorker {
  cursor: Cursor
  private batch: OutboxEvent[] = []
  private parked: (() => void) | null = null
  private woken = false
  private sleeping: { handle: unknown; resolve: () => void } | null = null
  private stopped = false
  private loop: Promise<void> | null = null

  constructor(
    public webhook: Webhook,
    cursor: Cursor,
    public poster: Poster,
    private readonly host: WorkerHost,
  ) {
    this.cursor = { ...cursor }
  }

  get webhookId(): string {
    return this.webhook.webhookId
  }

  start(): void {
    this.loop ??= this.run()
  }

  /** Something was committed: look again if parked (a retry wait is not cut short: order first). */
  wake(): void {
    this.woken = true
    const p = this.parked
    this.parked = null
    p?.()
  }

  /** The webhook changed (url, types, failing cleared) or it is stopping: drop what was read, look again now. */
  interrupt(): void {
    this.batch = []
    if (this.sleeping) {
      this.host.timers.clearTimeout(this.sleeping.handle)
      const s = this.sleeping
      this.sleeping = null
      s.resolve()
    }
    this.wake()
  }

  async stop(): Promise<void> {
    this.stopped = true
    this.poster.close()
    this.interrupt()
    await this.loop
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        if (this.webhook.failingSince !== null) {
          await this.park()
          continue
        }
        const head = this.nextWanted()
        if (!head) {
          await this.park()
          continue
        }
        await this.deliver(head)
      } catch (err) {
        // A store that cannot be read (disk trouble) must not end the loop or the process: look again later.
        this.host.trouble(this, err as Error)
        this.batch = []
        await this.sleep(this.host.retry.firstMs)
      }
    }
  }

  private park(): Promise<void> {
    if (this.woken || this.stopped) {
      this.woken = false
      return Promise.resolve()
    }
    return new Promise<void>((r) => {
      this.parked = () => {
        this.woken = false
        r()
      }
    })
  }

  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const handle = this.host.timers.setTimeout(() => {
        this.sleeping = null
        resolve()
      }, ms)
      this.sleeping = { handle, resolve }
    })
  }

  /** The first event after the cursor this webhook wants; unwanted ones are passed (the cursor moves). */
  private nextWanted(): OutboxEvent | undefined {
    for (;;) {
      if (this.batch.length === 0) {
        this.woken = false
        this.batch = this.host.readAfter(this.cursor.lastSeq, BATCH)
        if (this.batch.length === 0) return undefined
      }
      const e = this.batch[0]!
      if (e.seq <= this.cursor.lastSeq) {
        this.batch.shift()
        continue
      }
      if (wants(this.webhook.eventTypes, e.eventType)) return e
      this.batch.shift()
      this.cursor = { lastSeq: e.seq, headAttempts: 0, headFirstFailedAt: null }
      this.host.progressed(this, null, e)
    }
  }

  private async deliver(head: OutboxEvent): Promise<void> {
    const { clock, stampClock, random, retry } = this.host
    const startedAt = clock.now()
    const t0 = performance.now()
    const poster = this.poster
    const result = await poster.post(head.body, signedHeaders(this.webhook.secret, head.eventId, stampClock.now(), head.body))
    // Stopping or a new URL closes the connection under the request: that failure is ours, not the endpoint's.
    if (this.stopped || poster !== this.poster) return
    // The cursor may have moved meanwhile (the webhook was reconfigured): this result is stale.
    if (this.cursor.lastSeq >= head.seq) return
    const attempt = this.cursor.headAttempts + 1
    const row: AttemptRow = {
      attemptId: random.uuid(), webhookId: this.webhookId, eventId: head.eventId, eventType: head.eventType, attempt,
      outcome: 'delivered', statusCode: result.statusCode, error: result.error, durationMs: Math.round(performance.now() - t0),
      attemptedAt: startedAt, nextAttemptAt: null,
    }
    if (result.ok) {
      this.batch.shift()
      this.cursor = { lastSeq: head.seq, headAttempts: 0, headFirstFailedAt: null }
      this.host.progressed(this, row, head)
      return
    }
    const now = clock.now()
    const firstFailedAt = this.cursor.headFirstFailedAt ?? startedAt
    const delay = retryDelay(attempt, random, retry)
    if (pastHorizon(firstFailedAt, now + delay, retry)) {
      this.batch.shift()
      this.cursor = { lastSeq: head.seq, headAttempts: 0, headFirstFailedAt: null }
      const hours = ((now - firstFailedAt) / 3_600_000).toFixed(1)
      const why = `gave up on event ${head.eventId} (${head.eventType}) after ${attempt} attempts over ${hours} h; last: ${result.error}`
      this.host.failed(this, { ...row, outcome: 'gave_up' }, why)
      return
    }
    this.cursor = { lastSeq: this.cursor.lastSeq, headAttempts: attempt, headFirstFailedAt: firstFailedAt }
    this.host.failed(this, { ...row, outcome: 'failed', nextAttemptAt: now + delay }, null)
    await this.sleep(delay)
  }

  /** The event this endpoint is on (being sent or waiting for a retry), if any. */
  pending(): OutboxEvent | undefined {
    return this.batch.find((e) => e.seq > this.cursor.lastSeq)
  }
}
