// The uplink as a daemon service: requests run through the daemon's own fastify app (app.inject, so auth,
// validation, use cases and errors are those of the HTTP API), mutation answers kept in the store's
// idempotency table, events read from the outbox under the consumer 'uplink'.
import type { FastifyInstance } from 'fastify'
import type { Config } from '../config.js'
import type { DaemonBus } from '../bus.js'
import type { Service } from '../kernel/service.js'
import type { Logger } from '../log.js'
import { Outbox } from '../store/outbox.js'
import type { Store } from '../store/store.js'
import { Answers, type DurableAnswers } from './answers.js'
import type { EventFeed } from './event-stream.js'
import { Uplink } from './uplink.js'
import { HOP_HEADERS, type ApiResponse, type RequestHandler } from './wire.js'

export const UPLINK_CONSUMER = 'uplink'
const ANSWER_SCOPE = 'uplink'
/** Mutation answers are kept this long (a gateway retries within seconds; a day covers a long outage). */
const ANSWER_TTL_MS = 24 * 3_600_000
const CURSOR_FLUSH_MS = 200

/** Runs a relayed request through the app in memory: the same routes, hooks and error handler as HTTP. */
export function injectHandler(app: FastifyInstance): RequestHandler {
  return async (req) => {
    const res = await app.inject({
      method: req.method,
      url: req.path,
      query: req.query,
      headers: { ...req.headers, 'x-forwarded-by': 'lockstep-uplink' },
      ...(req.body !== null ? { payload: req.body } : {}),
    })
    const headers: Record<string, string> = {}
    for (const [k, v] of Object.entries(res.headers)) {
      if (v === undefined || HOP_HEADERS.has(k)) continue
      headers[k] = Array.isArray(v) ? v.join(', ') : String(v)
    }
    return { status: res.statusCode, headers, body: res.body }
  }
}

/** Mutation answers in the store's idempotency table (scope 'uplink', keyed by request id). */
export function storeAnswers(store: Store): DurableAnswers {
  return {
    recall(requestId) {
      const raw = store.idempotency.recall(ANSWER_SCOPE, requestId, ANSWER_TTL_MS)
      if (raw === undefined) return undefined
      const parsed = JSON.parse(raw) as { started: true } | ApiResponse
      return 'started' in parsed ? 'started' : parsed
    },
    markStarted(requestId) {
      store.tx(() => store.idempotency.remember(ANSWER_SCOPE, requestId, JSON.stringify({ started: true })))
    },
    remember(requestId, answer) {
      store.tx(() => store.idempotency.remember(ANSWER_SCOPE, requestId, JSON.stringify(answer)))
    },
  }
}

/** The outbox under the consumer 'uplink'. A new uplink starts at the beginning of the log: the fleet hears the site's history once. */
export function outboxFeed(store: Store, onWriteError: (err: Error) => void): EventFeed & { flush(): void } {
  const outbox = new Outbox(store.ctx)
  let pending: number | null = null
  let timer: NodeJS.Timeout | null = null
  const flush = () => {
    if (timer) clearTimeout(timer)
    timer = null
    if (pending === null) return
    const seq = pending
    pending = null
    try {
      store.tx(() => outbox.saveCursor(UPLINK_CONSUMER, { lastSeq: seq, headAttempts: 0, headFirstFailedAt: null }))
    } catch (err) {
      // Unwritten progress only means those events are published again after a restart (at least once).
      onWriteError(err as Error)
    }
  }
  return {
    startSeq: () => outbox.cursor(UPLINK_CONSUMER)?.lastSeq ?? 0,
    after: (seq, limit) => outbox.after(seq, limit),
    acked(seq) {
      pending = seq
      // Written in batches, and only when something was delivered (quiet when idle).
      timer ??= setTimeout(flush, CURSOR_FLUSH_MS)
    },
    subscribe: (wake) => store.events.subscribe(() => wake()),
    flush,
  }
}

export class UplinkService implements Service {
  readonly name = 'uplink'
  readonly uplink: Uplink
  private readonly feed: ReturnType<typeof outboxFeed>

  constructor(private readonly deps: { config: NonNullable<Config['uplink']>; store: Store; app: FastifyInstance; bus: DaemonBus; log: Logger; version: string }) {
    const { config, store, app, log } = deps
    this.feed = outboxFeed(store, (err) => log.warn({ err: err.message }, 'uplink cursor not written'))
    this.uplink = new Uplink({
      url: config.url,
      siteId: config.site_id,
      username: config.username ?? config.site_id,
      password: config.password,
      cert: config.cert,
      key: config.key,
      ca: config.ca,
      keepaliveSeconds: config.keepalive_seconds,
      sessionExpirySeconds: config.session_expiry_seconds,
      version: deps.version,
      handler: injectHandler(app),
      answers: new Answers(storeAnswers(store)),
      events: this.feed,
      devices: () => {
        const list = store.devices.list()
        return { total: list.length, online: list.filter((d) => d.online).length }
      },
      // Only metadata: a request or answer body may carry a PIN.
      log: (level, msg, detail) => log[level]({ ...detail }, msg),
    })
  }

  start(): void {
    this.uplink.start()
    this.deps.bus.on('event.committed', this, (e) => {
      if (typeof e.event_type === 'string' && e.event_type.startsWith('device.')) this.uplink.statusChanged()
    })
  }

  async stop(): Promise<void> {
    this.deps.bus.removeListeners(this)
    await this.uplink.stop()
    this.feed.flush()
  }
}
