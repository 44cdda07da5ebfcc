// Webhook delivery: N events to 3 loopback endpoints (receivers in this process), through the store, the
// outbox and the delivery engine, against a floor: the same signed POSTs (same bodies and headers, one
// kept-alive connection per endpoint, one at a time per endpoint as ordering requires) sent by a bare
// node:http client. Each lockstep round is followed by its floor round (the box is shared).
//   drain: N events committed while delivery is stopped (a backlog); start → last received by all three.
//     ratio = drain time ÷ floor time (the last line).
//   live: N events committed in transactions of 100 while delivery runs; first commit → last received
//     (the commits' own time included), with commit → received latency while saturated.
//   paced (not saturated): --paced events committed one per transaction every --interval ms; commit →
//     received per event and endpoint, p50/p99.
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
import { startReceiver, type Receiver } from '../testkit/webhook-receiver.js'

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

// Time the event loop spends inside SQLite (commits with their fsync, delivery-state batches): the box's
// disk, not delivery work, and on a shared machine a large source of noise.
let sqliteMs = 0
function engine(): WebhookDelivery {
  const d = new WebhookDelivery({ store, clock, random: cryptoRandom, policy })
  const flushOriginal = d.flush.bind(d)
  d.flush = () => {
    const t = performance.now()
    flushOriginal()
    sqliteMs += performance.now() - t
  }
  return d
}
let delivery = engine()
delivery.start()
const app = new WebhookUseCases(store, delivery, policy)
const hooks = receivers.map((r) => app.create({ url: r.url, event_types: ['lockstep.bench'] }))

const committedAt = new Map<string, number>()
function commit(n: number, tag: string): void {
  const t = performance.now()
  const ids = store.tx(() => Array.from({ length: n }, (_, i) => store.events.append({ event_type: 'lockstep.bench', tag, n: i, device_id: null }).event_id as string))
  const at = performance.now()
  sqliteMs += at - t
  for (const id of ids) committedAt.set(id, at)
}
const received = () => Math.min(...receivers.map((r) => r.received.length))
const latencies = (from: number) => receivers.flatMap((r) => r.received.slice(from).map((x) => x.at - committedAt.get(JSON.parse(x.body).event_id)!))
const bodiesOf = (tag: string) => store.db.prepare('SELECT event_id, body FROM events WHERE body LIKE ? ORDER BY seq').all(`%"${tag}"%`) as { event_id: string; body: string }[]

// Warm-up (JIT, connections).
commit(500, 'warm')
await until(() => received() >= 500)

interface Round { ms: number; cpuMs: number; sqliteMs: number; lat: number[]; bodies: { event_id: string; body: string }[]; commitMs?: number }

/** Live: N events committed in transactions of 100 while delivery runs; first commit → last received. */
async function live(tag: string): Promise<Round> {
  const base = received()
  sqliteMs = 0
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  for (let i = 0; i < N; i += 100) {
    commit(Math.min(100, N - i), tag)
    await new Promise((r) => setImmediate(r))
  }
  await until(() => received() >= base + N)
  const ms = performance.now() - t0
  const cpu = process.cpuUsage(cpu0)
  delivery.flush()
  return { ms, cpuMs: (cpu.user + cpu.system) / 1000, sqliteMs, lat: latencies(base), bodies: bodiesOf(tag) }
}

/** Drain: N events committed while the engine is stopped (a backlog, e.g. after an outage); start → last received. */
async function drain(tag: string): Promise<Round> {
  await delivery.stop()
  const c0 = performance.now()
  for (let i = 0; i < N; i += 100) commit(Math.min(100, N - i), tag)
  const commitMs = performance.now() - c0
  const base = received()
  sqliteMs = 0
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  delivery = engine()
  delivery.start()
  await until(() => received() >= base + N)
  const ms = performance.now() - t0
  const cpu = process.cpuUsage(cpu0)
  delivery.flush()
  return { ms, cpuMs: (cpu.user + cpu.system) / 1000, sqliteMs, lat: [], bodies: bodiesOf(tag), commitMs }
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

// Each lockstep round is followed by the floor for the same bodies (the box is shared: alternating evens
// out load that comes and goes).
const rounds: { kind: 'drain' | 'live'; l: Round; f: Awaited<ReturnType<typeof floor>> }[] = []
for (const [kind, tag] of [['drain', 'drain-1'], ['live', 'live-1'], ['drain', 'drain-2'], ['live', 'live-2']] as const) {
  const l = kind === 'drain' ? await drain(tag) : await live(tag)
  rounds.push({ kind, l, f: await floor(l.bodies) })
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
const of = (kind: 'drain' | 'live') => rounds.filter((r) => r.kind === kind)
const sum = (rs: typeof rounds, f: (r: (typeof rounds)[number]) => number) => rs.reduce((a, r) => a + f(r), 0)
const burstLat = of('live').flatMap((r) => r.l.lat)
process.stdout.write(`webhooks: ${N} events × ${ENDPOINTS} loopback endpoints (receivers in this process); attempt rows written: ${attempts}\n`)
for (const r of rounds) {
  process.stdout.write(`${r.kind.padEnd(5)}: lockstep ${total} deliveries in ${r.l.ms.toFixed(0)}ms (${(total / (r.l.ms / 1000)).toFixed(0)}/s, CPU ${r.l.cpuMs.toFixed(0)}ms, in SQLite ${r.l.sqliteMs.toFixed(0)}ms${r.l.commitMs !== undefined ? `; the backlog's commits took ${r.l.commitMs.toFixed(0)}ms before` : ', commits included'}); floor ${r.f.ms.toFixed(0)}ms (CPU ${r.f.cpuMs.toFixed(0)}ms)\n`)
}
const liveRatio = sum(of('live'), (r) => r.l.ms) / sum(of('live'), (r) => r.f.ms)
process.stdout.write(`throughput: drain ${(sum(of('drain'), () => total) / (sum(of('drain'), (r) => r.l.ms) / 1000)).toFixed(0)}/s, live ${(sum(of('live'), () => total) / (sum(of('live'), (r) => r.l.ms) / 1000)).toFixed(0)}/s; commit → received while saturated (live bursts of ${N}): p50=${pct(burstLat, 50).toFixed(0)}ms p99=${pct(burstLat, 99).toFixed(0)}ms\n`)
process.stdout.write(`latency (not saturated: ${PACED} events, one every ${INTERVAL}ms, × ${ENDPOINTS}): commit → received p50=${pct(pacedLat, 50).toFixed(2)}ms p99=${pct(pacedLat, 99).toFixed(2)}ms max=${Math.max(...pacedLat).toFixed(1)}ms\n`)
process.stdout.write(`cpu ratio=${(sum(rounds, (r) => r.l.cpuMs) / sum(rounds, (r) => r.f.cpuMs)).toFixed(2)} (process CPU, receivers included in both); live ratio=${liveRatio.toFixed(2)} (commits of the events included in lockstep's time)\n`)
const floorMs = sum(of('drain'), (r) => r.f.ms)
process.stdout.write(`floor=${floorMs.toFixed(0)}ms (the same signed POSTs from a bare node:http client, one connection per endpoint, one at a time)\n`)
process.stdout.write(`ratio=${(sum(of('drain'), (r) => r.l.ms) / floorMs).toFixed(2)} (delivery time of a committed backlog ÷ floor)\n`)
