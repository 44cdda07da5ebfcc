// The uplink as a daemon service: requests run through the daemon's own fastify app (app.inject, so auth,
// validation, use cases and errors are those of the HTTP API); the outbox, durable answers and device counts
// come from src/app/uplink.ts.
import type { FastifyInstance } from 'fastify'
import type { Config } from '../config.js'
import type { DaemonBus } from '../bus.js'
import type { Service } from '../kernel/service.js'
import type { Logger } from '../log.js'
import type { UplinkApp } from '../app/uplink.js'
import { Answers, type DurableAnswers } from './answers.js'
import { Uplink } from './uplink.js'
import { HOP_HEADERS, type ApiResponse, type RequestHandler } from './wire.js'

/** Runs a relayed request through the app in memory: the same routes, hooks and error handler as HTTP. */
export function injectHandler(app: FastifyInstance): RequestHandler {
  return async (req) => {
    const res = await app.inject({
      method: req.method,
      url: req.path,
      query: req.query,
      headers: req.headers,
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

/** Mutation answers kept by the app (JSON text), as the duplicate ledger wants them. */
export function durableAnswers(app: UplinkApp): DurableAnswers {
  return {
    recall(requestId) {
      const raw = app.recallAnswer(requestId)
      return raw === undefined || raw === 'started' ? raw : (JSON.parse(raw) as ApiResponse)
    },
    markStarted: (requestId) => app.markStarted(requestId),
    remember: (requestId, answer) => app.rememberAnswer(requestId, JSON.stringify(answer)),
  }
}

export class UplinkService implements Service {
  readonly name = 'uplink'
  readonly uplink: Uplink

  constructor(private readonly deps: { config: NonNullable<Config['uplink']>; site: UplinkApp; app: FastifyInstance; bus: DaemonBus; log: Logger; version: string }) {
    const { config, site, app, log } = deps
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
      answers: new Answers(durableAnswers(site)),
      events: site,
      devices: () => site.deviceCounts(),
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
    this.deps.site.flush()
  }
}
