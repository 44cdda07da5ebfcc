// `lockstep gateway`: a stateless HTTP front speaking the sites' Seam API. The site comes from the path
// (/sites/<site>/…, so an SDK's endpoint is http://gateway/sites/<site>) or from the caller's API key (the
// key→site map in config). Requests travel over the broker (relay.ts); the site checks its own API keys.
// Only GET /sites is the gateway's own, for its operator keys. Bodies are relayed as raw text and never logged.
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import { randomBytes, timingSafeEqual } from 'node:crypto'
import type { Logger } from '../log.js'
import { errorResponse, HOP_HEADERS, type ApiRequest, type ApiResponse } from '../uplink/wire.js'
import { SITE_ID_RULE } from '../config.js'
import { Relay } from './relay.js'
import type { BrokerCredentials } from '../uplink/session.js'

export interface GatewayOptions extends BrokerCredentials {
  broker: string
  host: string
  port: number
  timeoutMs: number
  operatorKeys: string[]
  keySites: Record<string, string>
  gatewayId?: string
  log?: Logger
  /** Largest request body relayed (bytes). */
  bodyLimit?: number
}

export interface Gateway {
  url: string
  gatewayId: string
  relay: Relay
  app: FastifyInstance
  stop(): Promise<void>
}

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'])

function bearer(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization
  const m = typeof h === 'string' ? /^Bearer\s+(\S+)$/i.exec(h) : null
  return m?.[1]
}

function sameKey(a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

function send(reply: FastifyReply, r: ApiResponse): FastifyReply {
  reply.code(r.status)
  for (const [k, v] of Object.entries(r.headers)) if (!HOP_HEADERS.has(k)) reply.header(k, v)
  return reply.send(r.body)
}

/** The relayed request as data: path without the /sites/<site> prefix, query as parsed, raw body, end-to-end headers. */
function toApiRequest(req: FastifyRequest, path: string, query: string): ApiRequest {
  const q: Record<string, string | string[]> = {}
  for (const [k, v] of new URLSearchParams(query)) {
    const prev = q[k]
    q[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v]
  }
  const headers: Record<string, string> = {}
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined || HOP_HEADERS.has(k)) continue
    headers[k] = Array.isArray(v) ? v.join(', ') : v
  }
  const body = typeof req.body === 'string' && req.body.length > 0 ? req.body : null
  return { method: req.method as ApiRequest['method'], path, query: q, body, headers }
}

export async function startGateway(o: GatewayOptions): Promise<Gateway> {
  const gatewayId = o.gatewayId ?? randomBytes(8).toString('hex')
  const relay = new Relay({
    broker: o.broker, gatewayId, timeoutMs: o.timeoutMs, username: o.username, password: o.password, cert: o.cert, key: o.key, ca: o.ca,
    log: (level, msg, detail) => o.log?.[level]({ ...detail }, msg),
  })
  const app = Fastify({ logger: false, bodyLimit: o.bodyLimit ?? 10 * 1024 * 1024 })
  // Bodies stay text: the site's own parser and validation judge them, byte for byte.
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body))

  app.get('/sites', async (req, reply) => {
    const key = bearer(req)
    if (!key || !o.operatorKeys.some((k) => sameKey(k, key))) {
      return send(reply, errorResponse(401, 'unauthorized', 'GET /sites needs one of the gateway\'s operator keys as a bearer token'))
    }
    return reply.send({ sites: relay.sites(), ok: true })
  })

  // For the load balancer: this replica can relay (it has a broker session), without a key.
  app.get('/health', async (_req, reply) => {
    const connected = relay.connected
    return reply.code(connected ? 200 : 503).send({ ok: connected, gateway_id: gatewayId, broker_connected: connected, sites_known: relay.sites().length })
  })

  app.all('/*', async (req, reply) => {
    if (!METHODS.has(req.method)) return send(reply, errorResponse(405, 'method_not_allowed', `${req.method} is not relayed`))
    const raw = req.raw.url ?? '/'
    const qAt = raw.indexOf('?')
    const path = qAt < 0 ? raw : raw.slice(0, qAt)
    const query = qAt < 0 ? '' : raw.slice(qAt + 1)
    let site: string | undefined
    let rest = path
    const m = /^\/sites\/([^/]+)(\/.*)?$/.exec(path)
    if (m) {
      site = decodeURIComponent(m[1]!)
      rest = m[2] ?? '/'
      if (!SITE_ID_RULE.test(site)) return send(reply, errorResponse(404, 'site_not_found', `"${site}" is not a site id`))
    } else {
      const key = bearer(req)
      site = key ? o.keySites[key] : undefined
      if (!site) {
        return send(reply, errorResponse(404, 'site_not_found', 'name the site in the path (/sites/<site>/…) or use an API key the gateway maps to a site'))
      }
    }
    const started = performance.now()
    const answer = await relay.forward(site, toApiRequest(req, rest, query))
    o.log?.debug({ site, method: req.method, path: rest, status: answer.status, ms: Math.round(performance.now() - started) }, 'relayed')
    return send(reply, answer)
  })

  await relay.start()
  try {
    await app.listen({ host: o.host, port: o.port })
  } catch (err) {
    await relay.stop()
    throw err
  }
  const address = app.server.address()
  const port = typeof address === 'object' && address ? address.port : o.port
  const url = `http://${o.host.includes(':') ? `[${o.host}]` : o.host}:${port}`
  o.log?.info({ url, gateway_id: gatewayId, broker: o.broker }, 'lockstep gateway listening')
  return {
    url, gatewayId, relay, app,
    async stop() {
      await app.close()
      await relay.stop()
    },
  }
}
