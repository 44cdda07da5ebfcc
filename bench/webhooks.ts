// Webhook delivery: N events to 3 loopback endpoints (in this process), through the store, the outbox and
// the delivery engine, against a floor: the same signed POSTs (same bodies and headers, one kept-alive
// connection per endpoint, one at a time per endpoint as ordering requires) sent by a bare node:http client.
//   throughput phase: N events committed in transactions of 100 as fast as they go; delivery time = first
//     commit → last event received by all three endpoints; ratio = that ÷ the floor's time for the same POSTs.
//   latency phase (not saturated): --paced events committed one per transaction every --interval ms;
//     commit → received per event and endpoint, p50/p99.
//
//   tsx bench/webhooks.ts --events 10000 --paced 2000 --interval 2
import { mkdtempSync, rmSync } from 'node:fs'
import http from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { WebhookUseCases } from '../src/app/webhooks.js'
import { signedHeaders } from '../src/events/signature.js'
import { WebhookDelivery } from '../src/events/webhooks.js'
import { OffsetClock } from '../src/kernel/clock.js'
import { cryptoRandom } from '../src/kernel/ids.js'
import { Store } from '../src/store/store.js'
import { startReceiver, type Receiver } from '../test/helpers/webhook-receiver.js'

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`)
  return i > 0 ? Number(process.argv[i + 1]) : fallback
}
const N = arg('events', 10_000)
const PACED = arg('paced', 2_000)
const INTERVAL = arg('interval', 2)
const ENDPOINTS = 3
const dir = mkdtempSync(join(tmpdir(), 'lockstep-bench-webhooks-'))

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!
}
const until = async (cond: () => boolean) => {
  while (!cond()) await new Promise((r) => setTimeout(r, 1))
}

const receivers: Receiver[] = []
for (let i = 0; i < ENDPOINTS; i++) receivers.push(await startReceiver())

const clock = new OffsetClock()
const store = Store.open(join(dir, 'lockstep.db'), clock, cryptoRandom)
const policy = { allowHosts: [], allowLoopback: true }
const delivery = new WebhookDelivery({ store, clock, random: cryptoRandom, policy })
delivery.start()
const app = new WebhookUseCases(store, delivery, policy)
const hooks = receivers.map((r) => app.create({ url: r.url, event_types: ['lockstep.bench'] }))

const committedAt = new Map<string, number>()
function commit(n: number, tag: string): void {
  const ids = store.tx(() => Array.from({ length: n }, (_, i) => store.events.append({ event_type: 'lockstep.bench', tag, n: i, device_id: null }).event_id as string))
  const at = performance.now()
  for (const id of ids) committedAt.set(id, at)
}
const received = () => Math.min(...receivers.map((r) => r.received.length))
const latencies = (from: number) => receivers.flatMap((r) => r.received.slice(from).map((x) => x.at - committedAt.get(JSON.parse(x.body).event_id)!))

// Warm-up (JIT, connections).
commit(500, 'warm')
await until(() => received() >= 500)

// Throughput, twice, each followed by the floor for the same bodies (the box is shared: alternating evens
// out load that comes and goes).
async function burst(tag: string): Promise<{ ms: number; cpuMs: number; lat: number[]; bodies: { event_id: string; body: string }[] }> {
  const base = received()
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  for (let i = 0; i < N; i += 100) {
    commit(Math.min(100, N - i), tag)
    await new Promise((r) => setImmediate(r))
  }
  await until(() => received() >= base + N)
  const ms = performance.now() - t0
  const cpu = process.cpuUsage(cpu0)
  const lat = latencies(base)
  delivery.flush()
  const bodies = store.db.prepare('SELECT event_id, body FROM events WHERE body LIKE ? ORDER BY seq').all(`%"${tag}"%`) as { event_id: string; body: string }[]
  return { ms, cpuMs: (cpu.user + cpu.system) / 1000, lat, bodies }
}

/** The same POSTs (bodies and signed headers prepared in the timed part too) from a bare client. */
async function floor(bodies: { event_id: string; body: string }[]): Promise<{ ms: number; cpuMs: number }> {
  const cpu0 = process.cpuUsage()
  const t1 = performance.now()
  await Promise.all(receivers.map(async (r, k) => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
    const u = new URL(r.url)
    for (const b of bodies) {
      const headers = { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(b.body)), ...signedHeaders(hooks[k]!.secret, b.event_id, Date.now(), b.body) }
      await new Promise<void>((ok, fail) => {
        const req = http.request(u, { method: 'POST', agent, headers }, (res) => {
          res.resume()
          res.on('end', () => ok())
        })
        req.on('error', fail)
        req.end(b.body)
      })
    }
    agent.destroy()
  }))
  const cpu = process.cpuUsage(cpu0)
  return { ms: performance.now() - t1, cpuMs: (cpu.user + cpu.system) / 1000 }
}

const runs: { l: Awaited<ReturnType<typeof burst>>; f: Awaited<ReturnType<typeof floor>> }[] = []
for (const tag of ['burst-1', 'burst-2']) {
  const l = await burst(tag)
  runs.push({ l, f: await floor(l.bodies) })
}

// Latency, not saturated.
const base2 = received()
for (let i = 0; i < PACED; i++) {
  commit(1, 'paced')
  await new Promise((r) => setTimeout(r, INTERVAL))
}
await until(() => received() >= base2 + PACED)
const pacedLat = latencies(base2)
const attempts = (store.db.prepare('SELECT count(*) AS n FROM webhook_attempts').get() as { n: number }).n

await delivery.stop()
store.close()
for (const r of receivers) await r.close()
rmSync(dir, { recursive: true, force: true })

const total = N * ENDPOINTS
const sum = (f: (r: (typeof runs)[number]) => number) => runs.reduce((a, r) => a + f(r), 0)
const lockstepMs = sum((r) => r.l.ms)
const floorMs = sum((r) => r.f.ms)
const burstLat = runs.flatMap((r) => r.l.lat)
process.stdout.write(`webhooks: ${N} events × ${ENDPOINTS} loopback endpoints (receivers in this process), ${runs.length} rounds; attempt rows written: ${attempts}\n`)
for (const [i, r] of runs.entries()) {
  process.stdout.write(`round ${i + 1}: lockstep ${total} deliveries in ${r.l.ms.toFixed(0)}ms (${(total / (r.l.ms / 1000)).toFixed(0)}/s, CPU ${r.l.cpuMs.toFixed(0)}ms, commits included); floor ${r.f.ms.toFixed(0)}ms (CPU ${r.f.cpuMs.toFixed(0)}ms)\n`)
}
process.stdout.write(`throughput: ${(runs.length * total / (lockstepMs / 1000)).toFixed(0)} deliveries/s; commit → received while saturated (bursts of ${N}): p50=${pct(burstLat, 50).toFixed(0)}ms p99=${pct(burstLat, 99).toFixed(0)}ms\n`)
process.stdout.write(`latency (not saturated: ${PACED} events, one every ${INTERVAL}ms, × ${ENDPOINTS}): commit → received p50=${pct(pacedLat, 50).toFixed(2)}ms p99=${pct(pacedLat, 99).toFixed(2)}ms max=${Math.max(...pacedLat).toFixed(1)}ms\n`)
process.stdout.write(`cpu ratio=${(sum((r) => r.l.cpuMs) / sum((r) => r.f.cpuMs)).toFixed(2)} (process CPU, receivers included in both)\n`)
process.stdout.write(`floor=${floorMs.toFixed(0)}ms (the same signed POSTs from a bare node:http client, one connection per endpoint, one at a time)\n`)
process.stdout.write(`ratio=${(lockstepMs / floorMs).toFixed(2)}\n`)
