// npm run bench -- fleet [--sites 1000] [--requests 20000] [--concurrency 16]
// 1,000 emulated sites (the real uplink, light in-memory handlers, one process) and two `lockstep gateway`
// replicas on one mosquitto (TCP_NODELAY); the requests spread over the sites, alternating gateways. The floor
// is the same requests straight to one handler over loopback HTTP. Prints latency, throughput, every process's
// RSS, and last ratio=<gateway p50 ÷ floor p50> (goal ≤ 3).
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { findMosquitto, freePort, Mosquitto } from '../testkit/mosquitto.js'

const { values } = parseArgs({ options: { sites: { type: 'string', default: '1000' }, requests: { type: 'string', default: '20000' }, concurrency: { type: 'string', default: '16' } } })
const SITES = Number(values.sites)
const REQUESTS = Number(values.requests)
const CONCURRENCY = Number(values.concurrency)
const ROOT = resolve(import.meta.dirname, '..')

function child(args: string[], env: Record<string, string>, ready: RegExp): Promise<{ proc: ChildProcess; match: RegExpExecArray }> {
  const proc = spawn(process.execPath, ['--import', 'tsx', ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  return new Promise((ok, fail) => {
    const onData = (d: Buffer) => {
      out += d
      const m = ready.exec(out)
      if (m) ok({ proc, match: m })
    }
    proc.stdout!.on('data', onData)
    proc.stderr!.on('data', (d: Buffer) => (out += d))
    proc.once('exit', (code) => fail(new Error(`${args.join(' ')} exited ${code}:\n${out}`)))
  })
}

function rssMiB(pid: number | undefined): string {
  if (!pid) return '?'
  try {
    const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1])
    return (kb / 1024).toFixed(0)
  } catch {
    return '?'
  }
}

interface Run { p50: number; p99: number; perSecond: number; failed: number }

async function load(urlOf: (i: number) => string, count: number): Promise<Run> {
  const latencies: number[] = []
  let next = 0
  let failed = 0
  const started = performance.now()
  const worker = async () => {
    for (;;) {
      const i = next++
      if (i >= count) return
      const t0 = performance.now()
      const res = await fetch(urlOf(i), { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer seam_bench_site_key' }, body: '{"limit":10}' })
      await res.arrayBuffer()
      if (res.status !== 200) failed++
      latencies.push(performance.now() - t0)
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, worker))
  const seconds = (performance.now() - started) / 1000
  latencies.sort((a, b) => a - b)
  const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]!
  return { p50: q(0.5), p99: q(0.99), perSecond: count / seconds, failed }
}

const bin = findMosquitto()
if (!bin) {
  process.stderr.write('fleet bench: mosquitto is not installed (apt-get install -y mosquitto)\n')
  process.exit(2)
}
const dir = mkdtempSync(join(tmpdir(), 'lockstep-fleet-bench-'))
const broker = new Mosquitto(bin, await freePort())
const procs: ChildProcess[] = []
try {
  await broker.start()
  const t0 = performance.now()
  const sites = await child(['bench/_fleet-sites.ts', broker.url, String(SITES)], {}, /sites ready (\S+)/)
  procs.push(sites.proc)
  const floorUrl = sites.match[1]!
  process.stdout.write(`fleet: ${SITES} sites connected in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`)
  const config = join(dir, 'gateway.json')
  writeFileSync(config, JSON.stringify({ log_level: 'warn', data_dir: join(dir, 'gw'), gateway: { timeout_ms: 10_000 } }))
  const gateways: string[] = []
  for (let g = 0; g < 2; g++) {
    const gw = await child(['src/cli.ts', 'gateway', '--broker', broker.url], { LOCKSTEP_CONFIG: config, LOCKSTEP_HTTP_PORT: '0', LOCKSTEP_HTTP_HOST: '127.0.0.1' }, /lockstep gateway \S+ on (\S+)/)
    procs.push(gw.proc)
    gateways.push(gw.match[1]!)
  }
  // The gateways learn every site's retained status on subscribe.
  const site = (i: number) => `bench-${i % SITES}`
  const viaGateway = (i: number) => `${gateways[i % 2]}/sites/${site(i)}/devices/list`
  const direct = (i: number) => `${floorUrl}/sites/${site(i)}/devices/list`
  for (let tries = 0; ; tries++) {
    const warm = await load(viaGateway, Math.min(SITES, 2000))
    if (warm.failed === 0) break
    if (tries > 50) throw new Error(`gateways still refuse ${warm.failed} requests`)
    await new Promise((r) => setTimeout(r, 200))
  }
  await load(direct, 2000)
  const floor = await load(direct, REQUESTS)
  const gw = await load(viaGateway, REQUESTS)
  const f = (n: number) => n.toFixed(2)
  process.stdout.write(`fleet: ${REQUESTS} requests over ${SITES} sites, ${CONCURRENCY} in flight, two gateways\n`)
  process.stdout.write(`gateway: p50=${f(gw.p50)} ms p99=${f(gw.p99)} ms throughput=${gw.perSecond.toFixed(0)}/s failed=${gw.failed}\n`)
  process.stdout.write(`floor:   p50=${f(floor.p50)} ms p99=${f(floor.p99)} ms throughput=${floor.perSecond.toFixed(0)}/s failed=${floor.failed}\n`)
  process.stdout.write(`rss_mib: broker=${rssMiB(broker.pid)} sites=${rssMiB(sites.proc.pid)} gateway1=${rssMiB(procs[1]!.pid)} gateway2=${rssMiB(procs[2]!.pid)} bench=${(process.memoryUsage().rss / 1048576).toFixed(0)}\n`)
  process.stdout.write(`ratio=${(gw.p50 / floor.p50).toFixed(2)}\n`)
} finally {
  for (const p of procs.reverse()) {
    const gone = new Promise((r) => p.once('exit', r))
    p.kill('SIGTERM')
    const t = setTimeout(() => p.kill('SIGKILL'), 5000)
    await gone
    clearTimeout(t)
  }
  await broker.dispose()
  rmSync(dir, { recursive: true, force: true })
}
