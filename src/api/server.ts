// The HTTP API: fastify with Seam's envelopes, both SDK request styles, auth, and one error handler.
import Fastify, { type FastifyInstance, type FastifyPluginAsync } from 'fastify'
import { randomUUID } from 'node:crypto'
import { DomainError } from '../domain/errors.js'
import type { Logger } from '../log.js'
import type { UseCases } from '../app/index.js'
import { authHook } from './auth.js'
import { corsHook } from './cors.js'
import { forbiddenForClientSession } from './client-session-policy.js'
import { envelope, errorHandler } from './errors.js'
import { refuseControlCharacters } from './params.js'
import { accessCodeRoutes } from './routes/access-codes.js'
import { deviceRoutes } from './routes/devices.js'
import { eventRoutes } from './routes/events.js'
import { spaceRoutes } from './routes/spaces.js'
import { acsRoutes } from './routes/acs.js'
import { accessGrantRoutes } from './routes/access-grants.js'
import { customerRoutes } from './routes/customers.js'
import { userIdentityRoutes } from './routes/user-identities.js'
import { clientSessionRoutes } from './routes/client-sessions.js'
import { siteRoutes } from './routes/site.js'
import { acsCredentialRoutes } from './routes/acs-credentials.js'
import { deviceUpdateRoutes } from './routes/device-update.js'
import { accessHelperRoutes } from './routes/access-helpers.js'
import { accessCodeExtraRoutes } from './routes/access-code-extras.js'
import { documentRoute, openApiRoute, trackRoutes } from './openapi.js'
import type { Metrics } from '../metrics.js'
import { ConfigError } from '../config.js'

/** A port that cannot be bound is one line naming it and the variable to change (the CLI exits 2), not a stack trace. */
export function explainListenError(err: unknown, what: string, host: string, port: number, variable: string): unknown {
  const code = (err as NodeJS.ErrnoException)?.code
  if (code === 'EADDRINUSE') return new ConfigError(`${what}: port ${port} on ${host} is already in use (another lockstep?); set ${variable} to a free port`)
  if (code === 'EACCES') return new ConfigError(`${what}: not allowed to listen on port ${port} on ${host}; set ${variable} to a port above 1023`)
  if (code === 'EADDRNOTAVAIL') return new ConfigError(`${what}: ${host} is not an address of this machine`)
  return err
}

/** Binds the API; see explainListenError. */
export async function listenApi(app: FastifyInstance, host: string, port: number): Promise<void> {
  try {
    await app.listen({ host, port })
  } catch (err) {
    throw explainListenError(err, 'HTTP API', host, port, 'LOCKSTEP_HTTP_PORT')
  }
}

export interface ApiDeps {
  /** What every route calls (src/app). */
  useCases: UseCases
  log: Logger
  encoderOnline?: (acsEncoderId: string) => boolean
  /** Further route groups (encoding, lab, console, metrics…) as fastify plugins, registered after the core
   *  groups; each is encapsulated and inherits the root's auth, envelope, error handler and metrics hook. */
  plugins?: RouteGroup[]
  /** Paths that answer without an API key (besides /health). */
  openPaths?: (path: string) => boolean
  health?: () => Record<string, unknown>
  /** Times every request (HTTP latency histogram per route). */
  metrics?: Metrics
  /** Shown in /openapi.json. */
  version?: string
}

/** A route group: a fastify plugin, optionally under a path prefix. */
export type RouteGroup = FastifyPluginAsync | { plugin: FastifyPluginAsync; prefix?: string }

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

  // fastify parses text/plain as a string by default; a body must be JSON (415), so only the catch-all below remains.
  app.removeContentTypeParser('text/plain')
  // 1.x POSTs parameterless calls with an empty form-encoded body: an empty body of any type means {}.
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => {
    if ((body as string).trim() === '') return done(null, undefined)
    done(Object.assign(new Error('not json'), { code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE', statusCode: 415 }), undefined)
  })

  app.addHook('onRequest', async (request, reply) => {
    reply.header('seam-request-id', request.id)
  })
  // Before auth: a preflight carries no credentials (cors.ts says what is allowed and why).
  app.addHook('onRequest', corsHook())
  const open = deps.openPaths ?? (() => false)
  app.decorateRequest('clientScope', null)
  app.addHook('onRequest', authHook(deps.useCases.keys, deps.useCases.clientSessions, (p) => p === '/health' || p === '/openapi.json' || open(p)))
  // Deny by default: a client session reaches only Seam routes added through addRoute, which apply its scope.
  app.addHook('preHandler', async (request) => {
    if (request.clientScope && !request.is404 && !(request.routeOptions.config as { clientSessionGuarded?: boolean } | undefined)?.clientSessionGuarded) {
      throw forbiddenForClientSession(request.routeOptions.url ?? request.url.split('?')[0]!)
    }
  })
  // Names with control or bidi-override characters are refused whichever route they come to.
  app.addHook('preHandler', async (request) => {
    refuseControlCharacters(request.body)
    refuseControlCharacters(request.query)
  })
  app.setErrorHandler(errorHandler(deps.log))
  app.setNotFoundHandler((request, reply) => {
    const err = new DomainError('route_not_found', `No route ${request.method} ${request.url.split('?')[0]}`, 404)
    void reply.status(404).type('application/json').send(envelope(err, request.id))
  })

  deps.metrics?.instrument(app)
  documentRoute(app, { path: '/health', method: 'GET', summary: 'Liveness (always ok: true) and degraded parts', auth: false })
  app.get('/health', async () => ({ ok: true, ...(deps.health?.() ?? {}) }))
  // Each route group is a plugin: routes, schemas and any hook it adds stay inside its own context.
  const group = (routes: (app: FastifyInstance) => void): FastifyPluginAsync => async (g) => routes(g)
  const uc = deps.useCases
  app.register(group((g) => accessCodeRoutes(g, uc)))
  app.register(group((g) => deviceRoutes(g, uc)))
  app.register(group((g) => eventRoutes(g, uc)))
  app.register(group((g) => spaceRoutes(g, uc)))
  app.register(group((g) => acsRoutes(g, uc, deps.encoderOnline)))
  app.register(group((g) => userIdentityRoutes(g, uc)))
  app.register(group((g) => accessGrantRoutes(g, uc)))
  app.register(group((g) => customerRoutes(g, uc)))
  app.register(group((g) => clientSessionRoutes(g, uc)))
  app.register(group((g) => siteRoutes(g, uc)))
  app.register(group((g) => acsCredentialRoutes(g, uc)))
  app.register(group((g) => deviceUpdateRoutes(g, uc)))
  app.register(group((g) => accessHelperRoutes(g, uc)))
  app.register(group((g) => accessCodeExtraRoutes(g, uc)))
  for (const g of deps.plugins ?? []) {
    if (typeof g === 'function') app.register(g)
    else app.register(g.plugin, g.prefix ? { prefix: g.prefix } : {})
  }
  openApiRoute(app, deps.version ?? '0.0.0')
  return app
}
