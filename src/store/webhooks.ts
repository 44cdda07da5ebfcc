// Webhook endpoints: rows only. The delivery engine (src/events) and the use cases (src/app/webhooks.ts)
// decide; a webhook's outbox cursor is created with it, at the newest event.
import { json, type StoreContext } from './context.js'
import { Outbox } from './outbox.js'

export interface Webhook {
  webhookId: string
  url: string
  eventTypes: string[]
  secret: string
  createdAt: number
  failingSince: number | null
  failingReason: string | null
}

interface Row {
  webhook_id: string
  url: string
  event_types: string
  secret: string
  created_at: number
  failing_since: number | null
  failing_reason: string | null
}

const fromRow = (r: Row): Webhook => ({
  webhookId: r.webhook_id,
  url: r.url,
  eventTypes: json.parse<string[]>(r.event_types),
  secret: r.secret,
  createdAt: r.created_at,
  failingSince: r.failing_since,
  failingReason: r.failing_reason,
})

export const consumerOf = (webhookId: string): string => `webhook:${webhookId}`

export class Webhooks {
  private readonly outbox: Outbox
  constructor(private readonly ctx: StoreContext) {
    this.outbox = new Outbox(ctx)
  }

  /** Inside the caller's transaction: the row and its cursor at the newest event (it hears what happens from now on). */
  create(w: { url: string; eventTypes: string[]; secret: string }): Webhook {
    const webhookId = this.ctx.random.uuid()
    const now = this.ctx.clock.now()
    this.ctx.db
      .prepare('INSERT INTO webhooks (webhook_id, url, event_types, secret, created_at) VALUES (?, ?, ?, ?, ?)')
      .run(webhookId, w.url, json.str(w.eventTypes), w.secret, now)
    this.outbox.saveCursor(consumerOf(webhookId), { lastSeq: this.outbox.headSeq(), headAttempts: 0, headFirstFailedAt: null })
    return this.find(webhookId)!
  }

  find(webhookId: string): Webhook | undefined {
    const row = this.ctx.db.prepare('SELECT * FROM webhooks WHERE webhook_id = ?').get(webhookId) as Row | undefined
    return row && fromRow(row)
  }

  list(): Webhook[] {
    return (this.ctx.db.prepare('SELECT * FROM webhooks ORDER BY seq').all() as Row[]).map(fromRow)
  }

  update(webhookId: string, patch: { url?: string; eventTypes?: string[] }): void {
    if (patch.url !== undefined) this.ctx.db.prepare('UPDATE webhooks SET url = ? WHERE webhook_id = ?').run(patch.url, webhookId)
    if (patch.eventTypes !== undefined) this.ctx.db.prepare('UPDATE webhooks SET event_types = ? WHERE webhook_id = ?').run(json.str(patch.eventTypes), webhookId)
  }

  setFailing(webhookId: string, since: number | null, reason: string | null): void {
    this.ctx.db.prepare('UPDATE webhooks SET failing_since = ?, failing_reason = ? WHERE webhook_id = ?').run(since, reason, webhookId)
  }

  delete(webhookId: string): boolean {
    const changed = this.ctx.db.prepare('DELETE FROM webhooks WHERE webhook_id = ?').run(webhookId).changes > 0
    this.outbox.dropCursor(consumerOf(webhookId))
    this.outbox.dropAttempts(webhookId)
    return changed
  }
}
