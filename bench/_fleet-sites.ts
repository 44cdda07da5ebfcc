// The fleet bench's emulated sites: N real Uplink instances (one MQTT 5 session each) in this one process,
// each with a light in-memory request handler, plus the floor: the same handler behind one loopback HTTP server.
// argv: <broker url> <sites>. Prints "sites ready <floor url>" once every session is up.
import Fastify from 'fastify'
import { Uplink } from '../src/uplink/uplink.js'
import type { RequestHandler } from '../src/uplink/wire.js'

const [broker, count] = [process.argv[2]!, Number(process.argv[3] ?? 1000)]

/** What a small site answers: a device list for the site, built per request (no I/O). */
function handlerFor(site: string): RequestHandler {
  return async (req) => ({
    status: 200,
    headers: { 'content-type': 'application/json; charset=utf-8' },
    body: JSON.stringify({ devices: [{ device_id: `${site}-lock-1`, display_name: 'Room 1', properties: { online: true, path: req.path } }], ok: true }),
  })
}

const uplinks: Uplink[] = []
for (let i = 0; i < count; i++) {
  const site = `bench-${i}`
  const u = new Uplink({ url: broker, siteId: site, version: 'bench', handler: handlerFor(site), keepaliveSeconds: 60 })
  u.start()
  uplinks.push(u)
  // Connect in waves so the broker is not hit by a thousand CONNECTs at once.
  if (i % 100 === 99) await new Promise((r) => setTimeout(r, 50))
}
while (uplinks.some((u) => !u.connected)) await new Promise((r) => setTimeout(r, 50))

const floor = Fastify({ logger: false })
floor.removeAllContentTypeParsers()
floor.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body))
floor.post('/sites/:site/*', async (req, reply) => {
  const site = (req.params as { site: string }).site
  const path = '/' + (req.params as { '*': string })['*']
  const r = await handlerFor(site)({ method: 'POST', path, query: {}, body: (req.body as string) || null, headers: {} })
  reply.code(r.status).headers(r.headers)
  return reply.send(r.body)
})
await floor.listen({ host: '127.0.0.1', port: 0 })
const address = floor.server.address() as { port: number }
process.stdout.write(`sites ready http://127.0.0.1:${address.port}\n`)
process.on('SIGTERM', async () => {
  await floor.close()
  await Promise.all(uplinks.map((u) => u.stop()))
  process.exit(0)
})
