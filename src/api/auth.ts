// Who is calling: an API key (Bearer, checked against stored hashes) sees the whole site; a client session
// token (`seam_cst…`, as `Authorization: Bearer` and/or `client-session-token`, the way Seam's SDK sends it)
// sees only its scope, which this hook puts on the request for the route guard (client-session-policy.ts).
// Routes listed in `open` answer without either.
import type { FastifyReply, FastifyRequest } from 'fastify'
import { isClientSessionToken, type ClientScope, type ClientSession } from '../domain/client-session.js'
import { DomainError } from '../domain/errors.js'
import { envelope } from './errors.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** Set when the request carries a client session token: what it may see. null for API keys. */
    clientScope: ClientScope | null
  }
}

export interface SessionAuth {
  authenticate(token: string): ClientSession | undefined
  scope(s: ClientSession): ClientScope
}

const oneHeader = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v)?.trim() || undefined

export function authHook(keys: { verify(key: string): boolean }, sessions: SessionAuth, open: (path: string) => boolean) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const path = request.url.split('?')[0]!
    if (open(path)) return
    const refuse = (message: string) => reply.status(401).type('application/json').send(envelope(new DomainError('unauthorized', message, 401), request.id))
    const header = request.headers.authorization
    const bearer = header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined
    const sessionHeader = oneHeader(request.headers['client-session-token'])
    const token = sessionHeader ?? (bearer && isClientSessionToken(bearer) ? bearer : undefined)
    if (token !== undefined) {
      if (bearer !== undefined && bearer !== token) return refuse('Unauthorized: the Authorization header and client-session-token name different credentials')
      const session = isClientSessionToken(token) ? sessions.authenticate(token) : undefined
      if (!session) return refuse('Unauthorized: the client session token is unknown, expired or revoked')
      request.clientScope = sessions.scope(session)
      return
    }
    if (oneHeader(request.headers['seam-publishable-key'])) {
      return refuse('Unauthorized: lockstep has no publishable keys; create a client session from your backend with an API key (client_sessions/create or get_or_create) and give its token to the page')
    }
    if (bearer && keys.verify(bearer)) return
    return refuse(bearer ? 'Unauthorized: the API key is unknown or revoked' : 'Unauthorized: send "Authorization: Bearer <api key>"')
  }
}
