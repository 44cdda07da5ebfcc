// One HTTP POST of a delivery: a keep-alive connection per endpoint, an overall deadline, no redirects
// followed, and every address a name resolves to checked against the URL policy before connecting.
import { lookup as dnsLookup, type LookupAddress, type LookupOneOptions } from 'node:dns'
import http from 'node:http'
import https from 'node:https'
import { refusedAddress, refusedUrl, type UrlPolicyConfig } from './url-policy.js'

export interface PostResult {
  /** 2xx: delivered. */
  ok: boolean
  statusCode: number | null
  /** Why it failed, for the attempt row and the endpoint's failing reason. */
  error: string | null
}

export interface Poster {
  post(body: string, headers: Record<string, string>): Promise<PostResult>
  close(): void
}

const RESPONSE_KEEP = 512

function describe(err: NodeJS.ErrnoException, timeoutMs: number): string {
  switch (err.code) {
    case 'ECONNREFUSED': return 'connection refused'
    case 'ECONNRESET': return 'connection reset'
    case 'ENOTFOUND': case 'EAI_AGAIN': return 'host not found'
    case 'LOCKSTEP_TIMEOUT': return `no answer within ${timeoutMs / 1000} s`
    case 'LOCKSTEP_REFUSED': return err.message
    default: return err.code ? `${err.code}: ${err.message}` : err.message
  }
}

type Resolver = (hostname: string, options: Record<string, unknown>, cb: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void) => void

/** A poster for one endpoint URL; requests go one at a time over one kept-alive connection. `resolve`: DNS (tests replace it). */
export function httpPoster(url: string, policy: UrlPolicyConfig, timeoutMs: number, userAgent: string, resolve: Resolver = dnsLookup as Resolver): Poster {
  const u = new URL(url)
  const client = u.protocol === 'https:' ? https : http
  const agent = new client.Agent({ keepAlive: true, maxSockets: 1 })
  const host = u.hostname.replace(/^\[|\]$/g, '')
  // Names are checked once resolved, so DNS cannot point a webhook at a refused address later.
  const lookup = (hostname: string, options: LookupOneOptions, cb: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void) => {
    resolve(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return cb(err, [])
      const allowed = addresses.filter((a) => refusedAddress(host, a.address, policy) === null)
      if (allowed.length === 0) {
        const why = refusedAddress(host, addresses[0]!.address, policy) ?? 'no address'
        return cb(Object.assign(new Error(`${hostname} resolves to a refused address: ${why}`), { code: 'LOCKSTEP_REFUSED' }), [])
      }
      if ((options as { all?: boolean }).all) cb(null, allowed)
      else cb(null, allowed[0]!.address, allowed[0]!.family)
    })
  }
  // The URL and the policy are fixed for this poster: check the literal once (names are checked per lookup).
  const refused = refusedUrl(url, policy)
  return {
    post(body, headers) {
      if (refused) return Promise.resolve({ ok: false, statusCode: null, error: `URL refused: ${refused}` })
      return new Promise<PostResult>((settle) => {
        let settled = false
        const done = (r: PostResult) => {
          if (settled) return
          settled = true
          clearTimeout(deadline)
          settle(r)
        }
        const req = client.request(u, {
          method: 'POST',
          agent,
          lookup: lookup as never,
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'user-agent': userAgent, ...headers },
        })
        // The deadline covers connect, send and the whole answer: a slow endpoint holds only its own worker.
        const deadline = setTimeout(() => req.destroy(Object.assign(new Error('timeout'), { code: 'LOCKSTEP_TIMEOUT' })), timeoutMs)
        req.on('error', (err: NodeJS.ErrnoException) => done({ ok: false, statusCode: null, error: describe(err, timeoutMs) }))
        req.on('response', (res) => {
          const status = res.statusCode ?? 0
          let text = ''
          res.setEncoding('utf8')
          res.on('data', (chunk: string) => {
            if (text.length < RESPONSE_KEEP) text += chunk
          })
          res.on('error', (err: NodeJS.ErrnoException) => done({ ok: false, statusCode: status, error: describe(err, timeoutMs) }))
          res.on('end', () => {
            const ok = status >= 200 && status < 300
            const snippet = text.slice(0, 200).replace(/\s+/g, ' ').trim()
            done({ ok, statusCode: status, error: ok ? null : `HTTP ${status}${snippet ? `: ${snippet}` : ''}` })
          })
        })
        req.end(body)
      })
    },
    close() {
      agent.destroy()
    },
  }
}
