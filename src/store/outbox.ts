// The outbox (design rule 9): event rows are committed with their change (events.ts); here is what each
// consumer has done with them. A consumer's cursor only moves past an event it delivered, gave up on or
// does not want, so an event committed before a crash is read again after it: at least once, in order.
// Nothing here runs on a timer: callers write only when a delivery happened.
import type { StoreContext } from './context.js'

/** An event as the outbox hands it to a consumer: the stored JSON text is sent as is (signatures cover it). */
export interface OutboxEvent {
  seq: number
  eventId: string
  eventType: string
  createdAt: number
  body: string
}

export interface Cursor {
  lastSeq: number
  /** Attempts already made on the event after lastSeq (the head), and when the first of them failed. */
  headAttempts: number
  headFirstFailedAt: number | null
}

export type AttemptOutcome = 'delivered' | 'failed' | 'gave_up'

export interface AttemptRow {
  attemptId: string
  webhookId: string
  eventId: string
  eventType: string
  attempt: number
  outcome: AttemptOutcome
  statusCode: number | null
  error: string | null
  durationMs: number
  attemptedAt: number
  nextAttemptAt: number | null
}

export interface StoredAttempt extends AttemptRow {
  seq: number
}

export class Outbox {
  constructor(private readonly ctx: StoreContext) {}

  /** The newest event's position: a consumer created now starts after it. */
  headSeq(): number {
    return (this.ctx.db.prepare('SELECT coalesce(max(seq), 0) AS s FROM events').get() as { s: number }).s
  }

  cursor(consumer: string): Cursor | undefined {
    const row = this.ctx.db
      .prepare('SELECT last_seq, head_attempts, head_first_failed_at FROM outbox_cursors WHERE consumer = ?')
      .get(consumer) as { last_seq: number; head_attempts: number; head_first_failed_at: number | null } | undefined
    return row && { lastSeq: row.last_seq, headAttempts: row.head_attempts, headFirstFailedAt: row.head_first_failed_at }
  }

  /** Inside the caller's transaction. */
  saveCursor(consumer: string, c: Cursor): void {
    this.ctx.db
      .prepare(
        `INSERT INTO outbox_cursors (consumer, last_seq, head_attempts, head_first_failed_at, updated_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (consumer) DO UPDATE SET last_seq = excluded.last_seq, head_attempts = excluded.head_attempts,
           head_first_failed_at = excluded.head_first_failed_at, updated_at = excluded.updated_at`,
      )
      .run(consumer, c.lastSeq, c.headAttempts, c.headFirstFailedAt, this.ctx.clock.now())
  }

  dropCursor(consumer: string): void {
    this.ctx.db.prepare('DELETE FROM outbox_cursors WHERE consumer = ?').run(consumer)
  }

  /** The next events after `seq`, oldest first. */
  after(seq: number, limit: number): OutboxEvent[] {
    const rows = this.ctx.db
      .prepare('SELECT seq, event_id, event_type, created_at, body FROM events WHERE seq > ? ORDER BY seq LIMIT ?')
      .all(seq, limit) as { seq: number; event_id: string; event_type: string; created_at: number; body: string }[]
    return rows.map((r) => ({ seq: r.seq, eventId: r.event_id, eventType: r.event_type, createdAt: r.created_at, body: r.body }))
  }

  event(eventId: string): OutboxEvent | undefined {
    const r = this.ctx.db
      .prepare('SELECT seq, event_id, event_type, created_at, body FROM events WHERE event_id = ?')
      .get(eventId) as { seq: number; event_id: string; event_type: string; created_at: number; body: string } | undefined
    return r && { seq: r.seq, eventId: r.event_id, eventType: r.event_type, createdAt: r.created_at, body: r.body }
  }

  /** Events after the cursor (all types: an upper bound of what the consumer still has to look at). */
  depth(seq: number): number {
    return (this.ctx.db.prepare('SELECT count(*) AS n FROM events WHERE seq > ?').get(seq) as { n: number }).n
  }

  /** Inside the caller's transaction. */
  recordAttempts(rows: readonly AttemptRow[]): void {
    const stmt = this.ctx.db.prepare(
      `INSERT INTO webhook_attempts (attempt_id, webhook_id, event_id, event_type, attempt, outcome, status_code, error, duration_ms, attempted_at, next_attempt_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    for (const a of rows) {
      stmt.run(a.attemptId, a.webhookId, a.eventId, a.eventType, a.attempt, a.outcome, a.statusCode, a.error, a.durationMs, a.attemptedAt, a.nextAttemptAt)
    }
  }

  /** Newest first; `beforeSeq` pages back. */
  attempts(webhookId: string, opts: { eventId?: string; beforeSeq?: number; limit: number }): StoredAttempt[] {
    const where = ['webhook_id = ?']
    const args: unknown[] = [webhookId]
    if (opts.eventId) (where.push('event_id = ?'), args.push(opts.eventId))
    if (opts.beforeSeq !== undefined) (where.push('seq < ?'), args.push(opts.beforeSeq))
    const rows = this.ctx.db
      .prepare(`SELECT * FROM webhook_attempts WHERE ${where.join(' AND ')} ORDER BY seq DESC LIMIT ?`)
      .all(...args, opts.limit) as Record<string, any>[]
    return rows.map((r) => ({
      seq: r.seq, attemptId: r.attempt_id, webhookId: r.webhook_id, eventId: r.event_id, eventType: r.event_type, attempt: r.attempt,
      outcome: r.outcome, statusCode: r.status_code, error: r.error, durationMs: r.duration_ms, attemptedAt: r.attempted_at, nextAttemptAt: r.next_attempt_at,
    }))
  }

  dropAttempts(webhookId: string): void {
    this.ctx.db.prepare('DELETE FROM webhook_attempts WHERE webhook_id = ?').run(webhookId)
  }

  /** Retention: attempt rows older than `beforeMs` go. Returns how many. */
  prune(beforeMs: number): number {
    return this.ctx.db.prepare('DELETE FROM webhook_attempts WHERE attempted_at < ?').run(beforeMs).changes
  }
}
