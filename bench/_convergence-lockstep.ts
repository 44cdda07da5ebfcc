// Child process of bench/convergence.ts: lockstep itself, the way a site runs it (the daemon from the
// production bundle, no TypeScript loader), so the RSS reported is lockstep's own. Protocol: one JSON
// line on stdout when the locks are discovered and the first passes are done ({ready}); then, on a
// line "go" on stdin, it creates every code in one transaction (as one push_data does), waits until
// every code is `set`, prints one JSON line of figures and exits.
import { readFileSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { performance } from 'node:perf_hooks'
import { configSchema } from '../src/config.js'
import { startDaemon } from '../src/daemon.js'
import { createLogger } from '../src/log.js'
import { createCode } from '../src/app/access-codes.js'

export interface LockstepSideOptions {
  dataDir: string
  brokerUrl: string
  names: string[]
  slots: number
  codes: number
  concurrency: number
  trustEmptySeconds: number
  limitMs: number
  /** Write a CPU profile of the measured part here. */
  profileFile?: string
}

const o = JSON.parse(process.argv[2]!) as LockstepSideOptions
const say = (msg: Record<string, unknown>) => process.stdout.write(JSON.stringify(msg) + '\n')
/** The kernel's own high-water mark of this process's resident memory. */
const vmHwm = () => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0) * 1024

const config = configSchema.parse({
  data_dir: o.dataDir,
  log_level: 'silent',
  http: { host: '127.0.0.1', port: 0 },
  mqtt: { url: o.brokerUrl },
  reconcile: { concurrency: o.concurrency, resync_seconds: 86_400, trust_empty_seconds: o.trustEmptySeconds },
  locks: o.names.map((n) => ({
    name: n, driver: 'zigbee2mqtt', native_id: n, manufacturer: 'Yale', model: 'YRD256HA20BP', device_type: 'yale_lock', slots: o.slots, code_length: [4, 8],
  })),
})
const startT = performance.now()
const daemon = await startDaemon(config, { log: createLogger('silent'), print: () => {} })
const devices = () => daemon.store.devices.list()
while (devices().filter((d) => d.online).length < o.names.length) await new Promise((r) => setTimeout(r, 20))
await daemon.reconciler.idle()
// LOCKSTEP_BENCH_HEAP=<file>: a heap snapshot once start-up is done (what an idle site holds).
if (process.env.LOCKSTEP_BENCH_HEAP) (await import('node:v8')).writeHeapSnapshot(process.env.LOCKSTEP_BENCH_HEAP)
say({ ready: true, startupMs: performance.now() - startT, rssIdle: process.memoryUsage.rss(), hwmStartup: vmHwm(), memIdle: process.memoryUsage() })

await new Promise<void>((resolve) => createInterface({ input: process.stdin }).once('line', () => resolve()))

let peakRss = process.memoryUsage.rss()
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 50)
const { Session } = await import('node:inspector/promises')
const session = o.profileFile ? new Session() : undefined
if (session) {
  session.connect()
  await session.post('Profiler.enable')
  await session.post('Profiler.start')
}
// Done = every code's access_code.set_on_device event committed (the store notifies after commit).
const total = o.names.length * o.codes
let setCount = 0
let allSet: () => void = () => {}
const done = new Promise<void>((r) => (allSet = r))
daemon.store.events.subscribe((e) => {
  if (e.event_type === 'access_code.set_on_device' && ++setCount === total) allSet()
})
const cpu0 = process.cpuUsage()
const t0 = performance.now()
daemon.store.tx(() => {
  for (const [i, d] of devices().entries()) {
    for (let c = 0; c < o.codes; c++) {
      createCode(daemon.store, {
        deviceId: d.deviceId, name: `Guest ${c}`, code: String(10_000_000 + i * 1000 + c), startsAt: null, endsAt: null,
        allowExternalModification: false, isOneTimeUse: false, commonCodeKey: null, preferredCodeLength: null,
      })
    }
  }
})
const createdMs = performance.now() - t0
let timer: NodeJS.Timeout | undefined
const outcome = await Promise.race([
  done.then(() => 'done' as const),
  new Promise<'late'>((r) => (timer = setTimeout(r, o.limitMs, 'late'))),
])
clearTimeout(timer)
const lockstepMs = performance.now() - t0
const cpu = process.cpuUsage(cpu0)
clearInterval(sampler)
if (session) {
  const { profile } = await session.post('Profiler.stop')
  ;(await import('node:fs')).writeFileSync(o.profileFile!, JSON.stringify(profile))
  session.disconnect()
}
const rssEnd = process.memoryUsage.rss()
if (process.env.LOCKSTEP_BENCH_HEAP_END) (await import('node:v8')).writeHeapSnapshot(process.env.LOCKSTEP_BENCH_HEAP_END)
say({
  outcome, setCount, lockstepMs, createdMs, cpuMs: (cpu.user + cpu.system) / 1000,
  peakRss: Math.max(peakRss, rssEnd), rssEnd, hwm: vmHwm(), memEnd: process.memoryUsage(),
})
await daemon.stop()
process.exit(0)
