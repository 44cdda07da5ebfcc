// The webhook delivery engine: one DeliveryWorker per endpoint, woken by commits (the event log's
// after-commit listeners), and the one place their results are written. Successes are written in batches
// (a crash before a batch lands only means those events are sent again: at least once); failures at once,
// so retry counts and the give-up horizon survive a restart. Nothing is written while nothing is delivered.
import type { Config } from '../config.js'
import type { Clock } from '../kernel/clock.js'
import type { Random } from '../kernel/ids.js'
import { Outbox, type AttemptOutcome, type AttemptRow, type OutboxEvent } from '../store/outbox.js'
import type { Store } from '../store/store.js'
import { consumerOf, Webhooks, type Webhook } from '../store/webhooks.js'
import { defaultRetryPolicy, type RetryPolicy } from './backoff.js'
import { DeliveryWorker, type Timers, type WorkerHost } from './delivery-worker.js'
import { signedHeaders } from './signature.js'
import { httpPoster, type Poster } from './transport.js'
import type { UrlPolicyConfig } from './url-policy.js'

export type { Timers }

import { realTimers } from '../kernel/timers.js'

export { realTimers }

/** Metrics hooks (src/metrics.ts implements them). */
export interface DeliveryObserver {
  delivery(webhookId: string, outcome: AttemptOutcome, commitToDeliveredSeconds?: number): void
}

export interface WebhookDeliveryOptions {
  store: Store
  clock: Clock
  stampClock?: Clock
  random: Random
  timers?: Timers
  retry?: RetryPolicy
  policy: UrlPolicyConfig
  /** Per request: connect, send and answer. */
  timeoutMs?: number
  /** Attempt rows older than this are pruned (when there is something to write anyway). */
  retentionMs?: number
  /** /health says degraded when an endpoint's oldest undelivered event is older than this. */
  behindMs?: number
  /** How long successes wait to be written together. */
  flushMs?: number
  userAgent?: string
  observer?: DeliveryObserver
  log?: (msg: string, detail: Record<string, unknown>) => void
  /** Tests replace the HTTP client. */
  poster?: (url: string) => Poster
}

export interface EndpointHealth {
  webhook_id: string
  url: string
  status: 'ok' | 'failing'
  failing_since: number | null
  failing_reason: string | null
  /** Events after the endpoint's cursor (any type). */
  outbox_depth: number
  /** Age of the oldest event the endpoint has not finished with, seconds; null when caught up. */
  oldest_undelivered_seconds: number | null
}

const PRUNE_EVERY_MS = 3_600_000

export class WebhookDelivery {
  private readonly outbox: Outbox
  private readonly webhooks: Webhooks
  private readonly workers = new Map<string, DeliveryWorker>()
  private readonly host: WorkerHost
  private readonly dirty = new Set<DeliveryWorker>()
  private pendingAttempts: AttemptRow[] = []
  private flushTimer: unknown = null
  private mustSync = false
  private lastPrune = 0
  private unsubscribe: (() => void) | null = null
  private readonly timers: Timers
  private readonly timeoutMs: number
  private readonly retentionMs: number
  readonly behindMs: number
  private readonly flushMs: number

  constructor(private readonly opts: WebhookDeliveryOptions) {
    this.outbox = new Outbox(opts.store.ctx)
    this.webhooks = new Webhooks(opts.store.ctx)
    this.timers = opts.timers ?? realTimers
    this.timeoutMs = opts.timeoutMs ?? 10_000
    this.retentionMs = opts.retentionMs ?? 30 * 86_400_000
    this.behindMs = opts.behindMs ?? 300_000
    this.flushMs = opts.flushMs ?? 200
    this.host = {
      clock: opts.clock,
      stampClock: opts.stampClock ?? opts.clock,
      random: opts.random,
      timers: this.timers,
      retry: opts.retry ?? defaultRetryPolicy,
      readAfter: (seq, limit) => this.outbox.after(seq, limit),
      progressed: (w, attempt, event) => this.progressed(w, attempt, event),
      failed: (w, attempt, gaveUp) => this.failed(w, attempt, gaveUp),
      trouble: (w, err) => this.opts.log?.('webhook delivery worker failed; retrying', { webhook_id: w.webhookId, err: err.message }),
    }
  }

  start(): void {
    for (const w of this.webhooks.list()) this.add(w)
    this.unsubscribe = this.opts.store.events.subscribe(() => {
      for (const w of this.workers.values()) w.wake()
    })
  }

  async stop(): Promise<void> {
    this.unsubscribe?.()
    this.unsubscribe = null
    await Promise.all([...this.workers.values()].map((w) => w.stop()))
    this.flush() // before forgetting the workers: flush writes only the cursors of live ones
    this.workers.clear()
  }

  /** A webhook was created, updated (url, types, failing cleared) or deleted: follow the store. */
  changed(webhookId: string): void {
    const row = this.webhooks.find(webhookId)
    const worker = this.workers.get(webhookId)
    if (!row) {
      if (worker) this.remove(worker)
      return
    }
    if (!worker) return this.add(row)
    if (row.url !== worker.webhook.url) {
      worker.poster.close()
      worker.poster = this.posterFor(row.url)
    }
    worker.webhook = row
    // A changed webhook starts afresh: retry count and horizon restart with its (possibly different) next event.
    worker.cursor = { ...worker.cursor, headAttempts: 0, headFirstFailedAt: null }
    worker.interrupt()
  }

  /** One attempt now, outside the endpoint's queue and order (an operator's re-send); recorded like the others. */
  async resend(webhookId: string, event: OutboxEvent): Promise<AttemptRow> {
    const webhook = this.webhooks.find(webhookId)
    if (!webhook) throw new Error(`no webhook ${webhookId}`)
    this.flush() // so the attempt number below counts every earlier attempt
    const poster = this.posterFor(webhook.url)
    const startedAt = this.opts.clock.now()
    const t0 = performance.now()
    try {
      const result = await poster.post(event.body, signedHeaders(webhook.secret, event.eventId, this.host.stampClock.now(), event.body))
      const previous = this.outbox.attempts(webhookId, { eventId: event.eventId, limit: 1 })[0]?.attempt ?? 0
      const row: AttemptRow = {
        attemptId: this.opts.random.uuid(), webhookId, eventId: event.eventId, eventType: event.eventType, attempt: previous + 1,
        outcome: result.ok ? 'delivered' : 'failed', statusCode: result.statusCode, error: result.error,
        durationMs: Math.round(performance.now() - t0), attemptedAt: startedAt, nextAttemptAt: null,
      }
      this.opts.observer?.delivery(webhookId, row.outcome)
      this.opts.store.tx(() => {
        this.outbox.recordAttempts([row])
        // The endpoint answers again: it is not failing any more, and its queue moves on.
        if (result.ok && webhook.failingSince !== null) this.webhooks.setFailing(webhookId, null, null)
      })
      if (result.ok && webhook.failingSince !== null) this.changed(webhookId)
      return row
    } finally {
      poster.close()
    }
  }

  health(): EndpointHealth[] {
    const now = this.opts.clock.now()
    return [...this.workers.values()].map((w) => {
      const next = w.pending() ?? this.outbox.after(w.cursor.lastSeq, 1)[0]
      return {
        webhook_id: w.webhookId,
        url: w.webhook.url,
        status: w.webhook.failingSince !== null ? 'failing' : 'ok',
        failing_since: w.webhook.failingSince,
        failing_reason: w.webhook.failingReason,
        outbox_depth: next ? this.outbox.depth(w.cursor.lastSeq) : 0,
        oldest_undelivered_seconds: next ? Math.max(0, (now - next.createdAt) / 1000) : null,
      }
    })
  }

  /** Human lines for /health's `degraded`. */
  degraded(): string[] {
    const out: string[] = []
    for (const h of this.health()) {
      if (h.status === 'failing') out.push(`webhook ${h.webhook_id} (${h.url}) failing: ${h.failing_reason}`)
      else if (h.oldest_undelivered_seconds !== null && h.oldest_undelivered_seconds * 1000 > this.behindMs) {
        out.push(`webhook ${h.webhook_id} (${h.url}) is ${Math.round(h.oldest_undelivered_seconds)} s behind (${h.outbox_depth} events after its cursor)`)
      }
    }
    return out
  }

  /** Writes what is pending now (tests and stop). */
  flush(): void {
    if (this.flushTimer !== null) {
      this.timers.clearTimeout(this.flushTimer)
      this.flushTimer = null
    }
    if (this.dirty.size === 0 && this.pendingAttempts.length === 0) return
    const mustSync = this.mustSync
    this.mustSync = false
    // A webhook deleted meanwhile leaves nothing behind.
    const cursors = [...this.dirty].filter((w) => this.workers.get(w.webhookId) === w).map((w) => [consumerOf(w.webhookId), { ...w.cursor }] as const)
    const attempts = this.pendingAttempts.filter((a) => this.workers.has(a.webhookId))
    this.dirty.clear()
    this.pendingAttempts = []
    const now = this.opts.clock.now()
    // Progress alone is written without waiting for the disk (WAL, synchronous=NORMAL): a power cut may lose
    // it, which only means those events are sent again. A failure's retry state waits for the disk.
    const db = this.opts.store.db
    const relaxed = !mustSync && db.pragma('synchronous', { simple: true }) === 2
    try {
      if (relaxed) db.pragma('synchronous = NORMAL')
      this.opts.store.tx(() => {
        for (const [consumer, c] of cursors) this.outbox.saveCursor(consumer, c)
        this.outbox.recordAttempts(attempts)
        if (now - this.lastPrune >= PRUNE_EVERY_MS) {
          this.lastPrune = now
          this.outbox.prune(now - this.retentionMs)
        }
      })
    } catch (err) {
      // Unwritten progress only means those events are sent again after a restart.
      this.opts.log?.('webhook delivery state not written', { err: (err as Error).message })
    } finally {
      if (relaxed) db.pragma('synchronous = FULL')
    }
  }

  private add(webhook: Webhook): void {
    const consumer = consumerOf(webhook.webhookId)
    let cursor = this.outbox.cursor(consumer)
    if (!cursor) {
      cursor = { lastSeq: this.outbox.headSeq(), headAttempts: 0, headFirstFailedAt: null }
      this.opts.store.tx(() => this.outbox.saveCursor(consumer, cursor!))
    }
    const worker = new DeliveryWorker(webhook, cursor, this.posterFor(webhook.url), this.host)
    this.workers.set(webhook.webhookId, worker)
    worker.start()
  }

  private remove(worker: DeliveryWorker): void {
    this.workers.delete(worker.webhookId)
    this.dirty.delete(worker)
    this.pendingAttempts = this.pendingAttempts.filter((a) => a.webhookId !== worker.webhookId)
    void worker.stop()
  }

  private posterFor(url: string): Poster {
    return this.opts.poster?.(url) ?? httpPoster(url, this.opts.policy, this.timeoutMs, this.opts.userAgent ?? 'lockstep')
  }

  private progressed(worker: DeliveryWorker, attempt: AttemptRow | null, event: OutboxEvent): void {
    this.dirty.add(worker)
    if (attempt) {
      this.pendingAttempts.push(attempt)
      this.opts.observer?.delivery(worker.webhookId, 'delivered', Math.max(0, (this.opts.clock.now() - event.createdAt) / 1000))
    }
    if (this.flushTimer === null) this.flushTimer = this.timers.setTimeout(() => {
      this.flushTimer = null
      this.flush()
    }, this.flushMs)
  }

  private failed(worker: DeliveryWorker, attempt: AttemptRow, gaveUp: string | null): void {
    this.dirty.add(worker)
    this.pendingAttempts.push(attempt)
    this.opts.observer?.delivery(worker.webhookId, attempt.outcome)
    this.mustSync = true
    if (gaveUp) {
      const since = this.opts.clock.now()
      worker.webhook = { ...worker.webhook, failingSince: since, failingReason: gaveUp }
      try {
        this.opts.store.tx(() => this.webhooks.setFailing(worker.webhookId, since, gaveUp))
      } catch (err) {
        this.opts.log?.('webhook failing state not written', { err: (err as Error).message })
      }
      this.opts.log?.('webhook endpoint failing; delivery paused until it is updated or an event is re-sent', {
        webhook_id: worker.webhookId, url: worker.webhook.url, reason: gaveUp,
      })
    }
    this.flush()
  }
}

/** The engine's settings from the site config (`webhooks`, `outbox`). */
export function deliverySettings(config: Config): Pick<WebhookDeliveryOptions, 'retry' | 'policy' | 'timeoutMs' | 'retentionMs' | 'behindMs'> {
  return {
    retry: {
      firstMs: config.webhooks.first_retry_seconds * 1000,
      maxMs: config.webhooks.max_retry_seconds * 1000,
      horizonMs: config.webhooks.give_up_after_hours * 3_600_000,
    },
    policy: urlPolicy(config),
    timeoutMs: config.webhooks.timeout_seconds * 1000,
    retentionMs: config.outbox.retention_days * 86_400_000,
    behindMs: config.outbox.behind_seconds * 1000,
  }
}

export function urlPolicy(config: Config): UrlPolicyConfig {
  return { allowHosts: config.webhooks.allow_hosts, allowLoopback: config.webhooks.allow_loopback ?? config.lab }
}
