// /webhooks/* (Seam's shape, both SDK generations) and lockstep's /lockstep/webhooks/* (attempts, re-send).
// Parameters lockstep does not know are refused by name (strict objects, rule 11).
import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import type { WebhookUseCases } from '../../app/webhooks.js'
import { isoUtc } from '../../kernel/clock.js'
import type { AttemptRow, StoredAttempt } from '../../app/records.js'
import type { Webhook } from '../../app/records.js'
import { DomainError } from '../../domain/errors.js'
import { addRoute } from '../route.js'
import { uuid } from '../schemas.js'

const url = z.string().min(1, 'must be a URL')
const eventTypes = z.array(z.string())

export function webhookWire(w: Webhook): Record<string, unknown> {
  return {
    webhook_id: w.webhookId,
    url: w.url,
    event_types: w.eventTypes,
    secret: w.secret,
    // Beyond Seam's schema (stripped by the SDK's zod; shown to raw clients, the CLI and the console):
    status: w.failingSince === null ? 'ok' : 'failing',
    failing_since: w.failingSince === null ? null : isoUtc(w.failingSince),
    failing_reason: w.failingReason,
    created_at: isoUtc(w.createdAt),
  }
}

export function attemptWire(a: AttemptRow): Record<string, unknown> {
  return {
    webhook_attempt_id: a.attemptId,
    webhook_id: a.webhookId,
    event_id: a.eventId,
    event_type: a.eventType,
    attempt: a.attempt,
    outcome: a.outcome,
    status_code: a.statusCode,
    error: a.error,
    duration_ms: a.durationMs,
    attempted_at: isoUtc(a.attemptedAt),
    next_attempt_at: a.nextAttemptAt === null ? null : isoUtc(a.nextAttemptAt),
  }
}

const pageLimit = z.int().min(1).max(1000).optional()

function cursorOf(pageCursor: string | null | undefined): number | undefined {
  if (!pageCursor) return undefined
  const n = Number(Buffer.from(pageCursor, 'base64url').toString('utf8'))
  if (!Number.isInteger(n) || n < 1) {
    throw new DomainError('invalid_input', 'Invalid input: page_cursor: not a cursor this server issued', 400, undefined, { _errors: [], page_cursor: { _errors: ['not a cursor this server issued'] } })
  }
  return n
}

export function webhookRoutes(app: FastifyInstance, webhooks: WebhookUseCases): void {
  addRoute(app, {
    path: '/webhooks/create',
    verbs: ['POST'],
    params: z.strictObject({ url, event_types: eventTypes.optional() }),
    handler: (p) => ({ webhook: webhookWire(webhooks.create(p)) }),
  })
  addRoute(app, {
    path: '/webhooks/get',
    verbs: ['GET'],
    params: z.strictObject({ webhook_id: uuid }),
    handler: (p) => ({ webhook: webhookWire(webhooks.get(p.webhook_id)) }),
  })
  addRoute(app, {
    path: '/webhooks/list',
    verbs: ['GET'],
    params: z.strictObject({}),
    handler: () => ({
      webhooks: webhooks.list().map(webhookWire),
      pagination: { has_next_page: false, next_page_cursor: null, next_page_url: null },
    }),
  })
  addRoute(app, {
    path: '/webhooks/update',
    verbs: ['PUT', 'PATCH'],
    params: z.strictObject({ webhook_id: uuid, event_types: eventTypes.optional(), url: url.optional() }),
    handler: (p) => (webhooks.update(p), {}),
  })
  addRoute(app, {
    path: '/webhooks/delete',
    verbs: ['DELETE'],
    params: z.strictObject({ webhook_id: uuid }),
    handler: (p) => (webhooks.delete(p.webhook_id), {}),
  })

  addRoute(app, {
    path: '/lockstep/webhooks/attempts/list',
    verbs: ['GET'],
    params: z.strictObject({ webhook_id: uuid, event_id: uuid.optional(), limit: pageLimit, page_cursor: z.string().nullish() }),
    handler: (p) => {
      const limit = p.limit ?? 100
      const beforeSeq = cursorOf(p.page_cursor)
      const rows: StoredAttempt[] = webhooks.attempts({
        webhook_id: p.webhook_id, limit: limit + 1,
        ...(p.event_id ? { event_id: p.event_id } : {}),
        ...(beforeSeq !== undefined ? { beforeSeq } : {}),
      })
      const page = rows.slice(0, limit)
      const more = rows.length > limit
      return {
        webhook_attempts: page.map(attemptWire),
        pagination: {
          has_next_page: more,
          next_page_cursor: more ? Buffer.from(String(page[page.length - 1]!.seq)).toString('base64url') : null,
          next_page_url: null,
        },
      }
    },
  })
  addRoute(app, {
    path: '/lockstep/webhooks/resend',
    verbs: ['POST'],
    params: z.strictObject({ webhook_id: uuid, event_id: uuid }),
    handler: async (p) => ({ webhook_attempt: attemptWire(await webhooks.resend(p)) }),
  })
}
