// A loopback HTTP endpoint that records every webhook delivery; its answer (status, delay) is scriptable.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface Received {
  body: string
  headers: Record<string, string>
  at: number
  status: number
}

export interface Receiver {
  url: string
  received: Received[]
  /** Status and delay for the n-th request (0-based); default 200 at once. */
  answer: (n: number, body: string) => { status?: number; delayMs?: number }
  close(): Promise<void>
}

function flat(h: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v
  return out
}

export async function startReceiver(answer: Receiver['answer'] = () => ({})): Promise<Receiver> {
  let n = 0
  const r: Receiver = { url: '', received: [], answer, close: async () => {} }
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8')
      const { status = 200, delayMs = 0 } = r.answer(n++, body)
      const reply = () => {
        r.received.push({ body, headers: flat(req.headers), at: performance.now(), status })
        res.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : 'nope')
      }
      if (delayMs > 0) setTimeout(reply, delayMs)
      else reply()
    })
  })
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok))
  r.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`
  r.close = () => new Promise<void>((ok) => {
    server.closeAllConnections()
    server.close(() => ok())
  })
  return r
}
