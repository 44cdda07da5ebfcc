// Cross-origin access, narrowly: a page on another origin (Seam Components in a property's web app) may call
// the API with a client session token. Preflights are answered for the SDK's own headers and methods; a real
// answer is readable cross-origin only when the request carried a client session token, so an API key (a
// backend secret) never works from a browser page on another origin. Seam's SDK sends client-session
// requests with `withCredentials` (credentials mode `include`), so the origin is echoed and credentials are
// allowed; that grants nothing ambient, because lockstep sets no cookies and takes no HTTP Basic or TLS client
// authentication: the explicit token header is the only authority a page can present.
import type { FastifyReply, FastifyRequest } from 'fastify'
import { isClientSessionToken } from '../domain/client-session.js'

/** The headers Seam's JavaScript SDK sends (1.x and 2.x) besides the CORS-safelisted ones. */
export const CORS_ALLOWED_HEADERS = [
  'authorization', 'client-session-token', 'content-type', 'seam-sdk-name', 'seam-sdk-version', 'seam-lts-version',
  'seam-publishable-key', 'seam-workspace',
]
const METHODS = 'GET, POST, PUT, PATCH, DELETE'

function carriesClientSession(request: FastifyRequest): boolean {
  if (request.headers['client-session-token']) return true
  const auth = request.headers.authorization
  return typeof auth === 'string' && auth.startsWith('Bearer ') && isClientSessionToken(auth.slice(7).trim())
}

export function corsHook() {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const origin = request.headers.origin
    if (typeof origin !== 'string') return
    if (request.method === 'OPTIONS' && request.headers['access-control-request-method']) {
      const asked = String(request.headers['access-control-request-headers'] ?? '').split(',').map((h) => h.trim().toLowerCase()).filter(Boolean)
      const refused = asked.filter((h) => !CORS_ALLOWED_HEADERS.includes(h))
      void reply.header('vary', 'Origin, Access-Control-Request-Headers')
      // A header the SDK never sends: no CORS headers, so the browser refuses the request.
      if (refused.length) return reply.status(204).send()
      void reply
        .header('access-control-allow-origin', origin)
        .header('access-control-allow-methods', METHODS)
        .header('access-control-allow-headers', CORS_ALLOWED_HEADERS.join(', '))
        .header('access-control-allow-credentials', 'true')
        .header('access-control-max-age', '600')
      // Chromium's Private Network Access: a public page reaching a box on the LAN asks first.
      if (request.headers['access-control-request-private-network'] === 'true') void reply.header('access-control-allow-private-network', 'true')
      return reply.status(204).send()
    }
    if (carriesClientSession(request)) {
      void reply
        .header('access-control-allow-origin', origin)
        .header('access-control-allow-credentials', 'true')
        .header('vary', 'Origin')
        .header('access-control-expose-headers', 'seam-request-id')
    }
  }
}
