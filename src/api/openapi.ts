// GET /openapi.json, generated from the zod schemas the routes parse with (addRoute's registry), plus the
// plain routes that declared themselves with documentRoute. One source of truth: a route cannot drift
// from its document. Seam's SDK helper getOpenapiSchema(endpoint) fetches this path.
import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import { registeredRoutes, type Verb } from './route.js'
import { REFUSED_PARAMS } from './refused-params.js'

export interface PlainRoute {
  path: string
  method: Verb
  summary: string
  /** false: answers without an API key. */
  auth: boolean
  /** Content type of a 200 answer (default application/json). */
  produces?: string
}

// Keyed by the app's server: route groups are encapsulated fastify plugins, each with its own instance.
const plainRoutes = new WeakMap<object, PlainRoute[]>()
const allRoutes = new WeakMap<FastifyInstance, { method: string; url: string }[]>()

/** Records every route fastify serves (for the test that the document misses none). Call before routes. */
export function trackRoutes(app: FastifyInstance): void {
  const list: { method: string; url: string }[] = []
  allRoutes.set(app, list)
  app.addHook('onRoute', (r) => {
    for (const method of [r.method].flat()) list.push({ method, url: r.url })
  })
}

export function servedRoutes(app: FastifyInstance): readonly { method: string; url: string }[] {
  return allRoutes.get(app) ?? []
}

/** Records a route that is not a Seam route (health, metrics, console, lab…) so the document lists it. */
export function documentRoute(app: FastifyInstance, route: PlainRoute): void {
  let list = plainRoutes.get(app.server)
  if (!list) plainRoutes.set(app.server, (list = []))
  list.push(route)
}

export function documentedPlainRoutes(app: FastifyInstance): readonly PlainRoute[] {
  return plainRoutes.get(app.server) ?? []
}

function jsonSchema(schema: z.ZodType): Record<string, any> {
  const out = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' }) as Record<string, any>
  delete out.$schema
  return out
}

const errorEnvelope = {
  type: 'object',
  required: ['error', 'ok'],
  properties: {
    ok: { const: false },
    error: {
      type: 'object',
      required: ['type', 'message'],
      properties: { type: { type: 'string' }, message: { type: 'string' }, data: {}, validation_errors: { type: 'object' } },
    },
  },
}

const errorResponses = {
  '400': { description: 'invalid input', content: { 'application/json': { schema: { $ref: '#/components/schemas/error' } } } },
  '401': { description: 'missing or unknown API key', content: { 'application/json': { schema: { $ref: '#/components/schemas/error' } } } },
  '404': { description: 'not found', content: { 'application/json': { schema: { $ref: '#/components/schemas/error' } } } },
}

export function buildOpenApi(app: FastifyInstance, info: { title?: string; version: string }): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {}
  for (const route of registeredRoutes(app)) {
    const schema = jsonSchema(route.params)
    const props: Record<string, any> = schema.properties ?? {}
    // Only what is implemented: a parameter refused for some values says which (refused-params.ts).
    for (const [name, rule] of Object.entries(REFUSED_PARAMS[route.path] ?? {})) {
      if (typeof rule !== 'string' && rule.when && props[name]) props[name] = { ...props[name], description: `Refused with a 400 for ${rule.values ?? 'some values'}: ${rule.reason}` }
      else delete props[name]
    }
    const required = new Set<string>(schema.required ?? [])
    const op = (verb: Verb) => {
      const base = {
        operationId: `${route.path.slice(1).replaceAll('/', '_')}_${verb.toLowerCase()}`,
        tags: [route.path.split('/')[1]],
        responses: {
          '200': {
            description: 'ok',
            content: { 'application/json': { schema: { type: 'object', required: ['ok'], properties: { ok: { const: true } }, additionalProperties: true } } },
          },
          ...errorResponses,
        },
      }
      if (verb === 'GET' || verb === 'DELETE') {
        return {
          ...base,
          parameters: Object.entries(props).map(([name, s]) => ({ name, in: 'query', required: required.has(name), schema: s })),
        }
      }
      return { ...base, requestBody: { required: false, content: { 'application/json': { schema } } } }
    }
    const entry = (paths[route.path] ??= {})
    for (const verb of route.methods) entry[verb.toLowerCase()] = op(verb)
  }
  for (const r of documentedPlainRoutes(app)) {
    ;(paths[r.path] ??= {})[r.method.toLowerCase()] = {
      operationId: `lockstep_${r.path.replace(/[^a-z0-9]+/gi, '_')}_${r.method.toLowerCase()}`.replace(/__+/g, '_'),
      summary: r.summary,
      tags: ['lockstep'],
      ...(r.auth ? {} : { security: [] }),
      responses: { '200': { description: 'ok', content: { [r.produces ?? 'application/json']: {} } } },
    }
  }
  return {
    openapi: '3.1.0',
    info: { title: info.title ?? 'lockstep (Seam Connect wire format)', version: info.version },
    servers: [{ url: '/' }],
    components: {
      securitySchemes: { api_key: { type: 'http', scheme: 'bearer', description: 'A lockstep API key (seam_…)' } },
      schemas: { error: errorEnvelope },
    },
    security: [{ api_key: [] }],
    paths: Object.fromEntries(Object.entries(paths).sort(([a], [b]) => a.localeCompare(b))),
  }
}

/** Serves the document; built once on first request (routes are all added by then). */
export function openApiRoute(app: FastifyInstance, version: string): void {
  let cached: string | undefined
  documentRoute(app, { path: '/openapi.json', method: 'GET', summary: 'This OpenAPI document', auth: false })
  app.get('/openapi.json', async (_request, reply) => {
    cached ??= JSON.stringify(buildOpenApi(app, { version }))
    return reply.type('application/json').send(cached)
  })
}
