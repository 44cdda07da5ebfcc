// The request/response payloads carried over MQTT 5 between a gateway and a site: an HTTP request as data,
// and its answer. Correlation data (the request id) and the response topic travel as MQTT 5 properties.
import { z } from 'zod'

export const apiRequestSchema = z.object({
  method: z.enum(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']),
  /** Starts with '/', no query string. */
  path: z.string().regex(/^\/[^?#]*$/),
  query: z.record(z.string(), z.union([z.string(), z.array(z.string())])).default({}),
  /** The raw body text as the client sent it, so the site's own parser and validation see the same bytes. */
  body: z.string().nullable().default(null),
  headers: z.record(z.string(), z.string()).default({}),
})
export type ApiRequest = z.infer<typeof apiRequestSchema>

export interface ApiResponse {
  status: number
  headers: Record<string, string>
  body: string
}

/** Runs one API request; the daemon's runs it through its fastify app, the bench's is a light in-memory one. */
export type RequestHandler = (req: ApiRequest) => Promise<ApiResponse>

/** Seam's API uses POST for reads too: a request is a read when its last path segment says so. */
const READS = new Set(['list', 'get', 'health', 'openapi.json'])
export function isMutation(req: Pick<ApiRequest, 'method' | 'path'>): boolean {
  if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS') return false
  const last = req.path.split('/').pop() ?? ''
  return !READS.has(last) && !last.startsWith('list_') && !last.startsWith('get_')
}

/** Seam's error envelope, for answers the transport itself gives (timeouts, offline site, bad payload). */
export function errorResponse(status: number, type: string, message: string): ApiResponse {
  return { status, headers: { 'content-type': 'application/json; charset=utf-8' }, body: JSON.stringify({ error: { type, message } }) }
}

/** Headers that describe one HTTP hop, never relayed. */
export const HOP_HEADERS = new Set(['host', 'connection', 'content-length', 'transfer-encoding', 'keep-alive', 'upgrade', 'te', 'trailer', 'proxy-authorization', 'date'])
