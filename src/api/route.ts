// Registers one Seam route under every verb the SDK generations use: POST always (1.x), plus the
// semantic verb of 2.x. GET/DELETE read the query string, POST/PATCH/PUT the JSON body.
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { z } from 'zod'
import { DomainError } from '../domain/errors.js'
import { clientSessionAccess, forbiddenForClientSession, guardParams, guardResponse } from './client-session-policy.js'
import { parseQuery, unknownKeys, unknownParamsError, zodToDomain } from './params.js'
import { refuseUnsupported } from './refused-params.js'

export type Verb = 'GET' | 'DELETE' | 'PATCH' | 'PUT' | 'POST'

export interface RouteSpec<S extends z.ZodType> {
  path: string
  verbs: Verb[]
  params: S
  handler: (params: z.infer<S>, request: FastifyRequest) => Promise<Record<string, unknown>> | Record<string, unknown>
}

/** Parses a request's parameters for `schema`; with the route's `path`, refuses what rule 11 says to refuse
 *  (the refused-params table, then any key the schema does not know) before and after parsing. */
export function readParams<S extends z.ZodType>(request: FastifyRequest, schema: S, path?: string): z.infer<S> {
  const fromQuery = request.method === 'GET' || request.method === 'DELETE'
  const body = request.body
  const raw = fromQuery || body === undefined || body === null
    ? parseQuery((request.query ?? {}) as Record<string, unknown>, schema)
    : body
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new DomainError('invalid_input', 'Invalid input: the request body must be a JSON object', 400, undefined, { _errors: ['the request body must be a JSON object'] })
  }
  const input = raw as Record<string, unknown>
  if (path !== undefined) {
    refuseUnsupported(path, input)
    const unknown = unknownKeys(schema, input)
    if (unknown.length) throw unknownParamsError(unknown)
  }
  const parsed = schema.safeParse(raw)
  if (!parsed.success) throw zodToDomain(parsed.error, raw)
  if (path !== undefined) refuseUnsupported(path, input, parsed.data as Record<string, unknown>)
  return parsed.data
}

/** Every Seam route added to an app, with its schema: the source of /openapi.json. */
export interface RouteRecord {
  path: string
  methods: Verb[]
  params: z.ZodType
}
// Keyed by the app's server: route groups are encapsulated fastify plugins, each with its own instance.
const registries = new WeakMap<object, RouteRecord[]>()

export function registeredRoutes(app: FastifyInstance): readonly RouteRecord[] {
  return registries.get(app.server) ?? []
}

export function addRoute<S extends z.ZodType>(app: FastifyInstance, spec: RouteSpec<S>): void {
  const methods = [...new Set<Verb>(['POST', ...spec.verbs])]
  let registry = registries.get(app.server)
  if (!registry) registries.set(app.server, (registry = []))
  registry.push({ path: spec.path, methods, params: spec.params })
  app.route({
    method: methods,
    url: spec.path,
    // Marks the route as guarded for client sessions (server.ts refuses them on any other route).
    config: { clientSessionGuarded: true },
    handler: async (request, reply) => {
      // A client session token: the route's decision (client-session-policy.ts) before anything else is read.
      const scope = request.clientScope
      const access = scope ? clientSessionAccess(spec.path) : undefined
      if (scope && (access === undefined || access === 'forbidden')) throw forbiddenForClientSession(spec.path)
      const params = readParams(request, spec.params, spec.path)
      if (scope) guardParams(access!, params, scope)
      const answer = await spec.handler(params, request)
      const body = scope ? guardResponse(spec.path, answer, scope) : answer
      return reply.type('application/json').send({ ...body, ok: true })
    },
  })
}
