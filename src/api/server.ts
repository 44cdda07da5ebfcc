// The HTTP API: fastify with Seam's envelopes, both SDK request styles, auth, and one error handler.
import Fastify, { type FastifyInstance } from 'fastify'
import { randomUUID } from 'node:crypto'
import { DomainError } from '../domain/errors.js'
import type { Logger } from '../log.js'
import type { UseCases } from '../app/index.js'
import { authHook } from './auth.js'
import { envelope, errorHandler } from './errors.js'
import { accessCodeRoutes } from './routes/access-codes.js'
import { deviceRoutes } from './routes/devices.js'
import { eventRoutes } from './routes/events.js'
import { spaceRoutes } from './routes/spaces.js'
import { acsRoutes } from './routes/acs.js'
import { accessGrantRoutes } from './routes/access-grants.js'
import { customerRoutes } from './routes/customers.js'
import { userIdentityRoutes } from './routes/user-identities.js'
import { documentRoute, openApiRoute, trackRoutes } from './openapi.js'
import type { Metrics } from '../metrics.js'

export interface ApiDeps {
  /** What every route calls (src/app). */
  useCases: UseCases
  log: Logger
  encoderOnline?: (acsEncoderId: string) => boolean
  /** Further route groups (lab, spaces, …), registered after the core routes with the same auth and envelope. */
  plugins?: ((app: FastifyInstance) => void)[]
  /** Paths that answer without an API key (besides /health). */
  openPaths?: (path: string) => boolean
  health?: () => Record<string, unknown>
  /** Times every request (HTTP latency histogram per route). */
  metrics?: Metrics
  /** Shown in /openapi.json. */
  version?: string
}

export function buildApi(deps: ApiDeps): FastifyInstance {
  const app = Fastify({
    logger: false,
    genReqId: () => randomUUID(),
    bodyLimit: 8 * 1024 * 1024,
    routerOptions: { ignoreTrailingSlash: true },
  })
  trackRoutes(app)

  // 1.x sends content-type: application/json on bodiless requests, and POSTs `{}`-less bodies.
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    const text = (body as string).trim()
    if (text === '') return done(null, undefined)
    try {
      done(null, JSON.parse(text))
    } catch {
      done(Object.assign(new Error('bad json'), { code: 'LOCKSTEP_BAD_JSON', statusCode: 400 }), undefined)
    }
  })

  // 1.x POSTs parameterless calls with an empty form-encoded body: an empty body of any type means {}.
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => {
    if ((body as string).trim() === '') return done(null, undefined)
    done(Object.assign(new Error('not json'), { code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE', statusCode: 415 }), undefined)
  })

  app.addHook('onRequest', async (request, reply) => {
    reply.header('seam-request-id', request.id)
  })
  const open = deps.openPaths ?? (() => false)
  app.addHook('onRequest', authHook(deps.useCases.keys, (p) => p === '/health' || p === '/openapi.json' || open(p)))
  app.setErrorHandler(errorHandler(deps.log))
  app.setNotFoundHandler((request, reply) => {
    const err = new DomainError('route_not_found', `No route ${request.method} ${request.url.split('?')[0]}`, 404)
    void reply.status(404).type('application/json').send(envelope(err, request.id))
  })

  deps.metrics?.instrument(app)
  documentRoute(app, { path: '/health', method: 'GET', summary: 'Liveness (always ok: true) and degraded parts', auth: false })
  app.get('/health', async () => ({ ok: true, ...(deps.health?.() ?? {}) }))
  const uc = deps.useCases
  accessCodeRoutes(app, uc)
  deviceRoutes(app, uc)
  eventRoutes(app, uc)
  spaceRoutes(app, uc)
  acsRoutes(app, uc, deps.encoderOnline)
  userIdentityRoutes(app, uc)
  accessGrantRoutes(app, uc)
  customerRoutes(app, uc)
  for (const plugin of deps.plugins ?? []) plugin(app)
  openApiRoute(app, deps.version ?? '0.0.0')
  return app
}
