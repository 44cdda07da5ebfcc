// Use cases for webhooks (Seam's /webhooks/* and lockstep's attempts and re-send): each owns its
// transaction, then tells the delivery engine what changed.
import { DomainError, invalidInput, notFound } from '../domain/errors.js'
import { EVENT_TYPE_PATTERN, wants } from '../events/event-types.js'
import { newSecret } from '../events/signature.js'
import { refusedUrl, type UrlPolicyConfig } from '../events/url-policy.js'
import type { WebhookDelivery } from '../events/webhooks.js'
import { Outbox, type AttemptRow, type StoredAttempt } from '../store/outbox.js'
import type { Store } from '../store/store.js'
import { Webhooks, type Webhook } from '../store/webhooks.js'

const MAX_WEBHOOKS = 100
const MAX_URL_LENGTH = 2048

export class WebhookUseCases {
  private readonly webhooks: Webhooks
  private readonly outbox: Outbox

  constructor(
    private readonly store: Store,
    private readonly delivery: WebhookDelivery,
    private readonly policy: UrlPolicyConfig,
  ) {
    this.webhooks = new Webhooks(store.ctx)
    this.outbox = new Outbox(store.ctx)
  }

  create(p: { url: string; event_types?: string[] }): Webhook {
    this.checkUrl(p.url)
    const eventTypes = checkTypes(p.event_types ?? ['*'])
    if (this.webhooks.list().length >= MAX_WEBHOOKS) {
      throw new DomainError('too_many_webhooks', `A site has at most ${MAX_WEBHOOKS} webhooks; delete one first`, 400)
    }
    const webhook = this.store.tx(() => this.webhooks.create({ url: p.url, eventTypes, secret: newSecret(this.store.ctx.random) }))
    this.delivery.changed(webhook.webhookId)
    return webhook
  }

  list(): Webhook[] {
    return this.webhooks.list()
  }

  get(webhookId: string): Webhook {
    const w = this.webhooks.find(webhookId)
    if (!w) throw notFound('webhook', webhookId)
    return w
  }

  /** Also the way back from `failing`: an update resumes delivery from where it stopped. */
  update(p: { webhook_id: string; event_types?: string[]; url?: string }): Webhook {
    this.get(p.webhook_id)
    if (p.url !== undefined) this.checkUrl(p.url)
    const eventTypes = p.event_types === undefined ? undefined : checkTypes(p.event_types)
    this.store.tx(() => {
      this.webhooks.update(p.webhook_id, { ...(p.url !== undefined ? { url: p.url } : {}), ...(eventTypes ? { eventTypes } : {}) })
      this.webhooks.setFailing(p.webhook_id, null, null)
    })
    this.delivery.changed(p.webhook_id)
    return this.get(p.webhook_id)
  }

  delete(webhookId: string): void {
    // A repeated delete (its first answer lost) is not an error (seam-api.md §7).
    this.store.tx(() => this.webhooks.delete(webhookId))
    this.delivery.changed(webhookId)
  }

  attempts(p: { webhook_id: string; event_id?: string; limit: number; beforeSeq?: number }): StoredAttempt[] {
    this.get(p.webhook_id)
    return this.outbox.attempts(p.webhook_id, { ...(p.event_id ? { eventId: p.event_id } : {}), limit: p.limit, ...(p.beforeSeq !== undefined ? { beforeSeq: p.beforeSeq } : {}) })
  }

  /** Sends one event to one webhook again now, wherever its cursor: an event of a type the webhook receives. */
  async resend(p: { webhook_id: string; event_id: string }): Promise<AttemptRow> {
    const webhook = this.get(p.webhook_id)
    const event = this.outbox.event(p.event_id)
    if (!event) throw notFound('event', p.event_id)
    if (!wants(webhook.eventTypes, event.eventType)) {
      throw new DomainError('event_type_not_subscribed', `This webhook does not receive ${event.eventType} events (its event_types: ${webhook.eventTypes.join(', ')})`, 400)
    }
    return this.delivery.resend(p.webhook_id, event)
  }

  private checkUrl(url: string): void {
    if (url.length > MAX_URL_LENGTH) throw invalidInput(`url: at most ${MAX_URL_LENGTH} characters`, 'url')
    const refused = refusedUrl(url, this.policy)
    if (refused) throw invalidInput(`url: ${refused}`, 'url')
  }
}

function checkTypes(types: string[]): string[] {
  if (types.length === 0) throw invalidInput('event_types: name at least one event type, or "*" for all', 'event_types')
  for (const t of types) {
    if (!EVENT_TYPE_PATTERN.test(t)) throw invalidInput(`event_types: "${t}" is not an event type (e.g. "access_code.set_on_device", "lock.*" or "*")`, 'event_types')
  }
  return [...new Set(types)]
}
