// Convergence (issue 4): how long lockstep takes to bring L locks × C new codes to `set`, against the raw
// floor of the same number of set+get round trips done by a bare MQTT client at the same concurrency,
// in the same run, through the same broker, against the same simulated Zigbee2MQTT locks. The floor is
// measured twice: on fresh locks before lockstep starts, and after lockstep stopped (locks in the state it
// worked on; `ratio=` uses this one, the other ratio is printed too).
//
//   npm run bench -- convergence [--locks 1000] [--codes 20] [--broker aedes|mosquitto] [--concurrency 64] [--slots 250] [--trust-empty 600]
//
// The broker and the simulated locks run in a child process (bench/_convergence-sims.ts), so this
// process holds lockstep (daemon: store, driver, reconciler, API) and the floor's client only: its RSS
// is lockstep's. Codes are created through the store (one transaction, as push_data does), then the
// clock runs until every code is `set`. The last line is `ratio=<lockstep ÷ floor>`.
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { performance } from 'node:perf_hooks'
import { configSchema, type Config } from '../src/config.js'
import { startDaemon } from '../src/daemon.js'
import { createLogger } from '../src/log.js'
import { measureConvergenceFloor } from './convergence-floor.js'

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`)
  return i > 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback
}
const LOCKS = Number(arg('locks', '100'))
const CODES = Number(arg('codes', '10'))
const SLOTS = Number(arg('slots', '250'))
const BROKER = arg('broker', 'aedes')
const CONCURRENCY = Number(arg('concurrency', '64'))
// reconcile.trust_empty_seconds: the daemon's default (600); 0 makes every new code read its slot first.
const TRUST_EMPTY = Number(arg('trust-empty', '600'))
if (BROKER !== 'aedes' && BROKER !== 'mosquitto') throw new Error('--broker aedes|mosquitto')
if (CODES > SLOTS) throw new Error('--codes must not exceed --slots')

const names = Array.from({ length: LOCKS }, (_, i) => `bench_lock_${String(i).padStart(4, '0')}`)
const mib = (b: number) => (b / 1024 / 1024).toFixed(1)
const say = (line: string) => process.stdout.write(line + '\n')

// --- the device side, in a child ---
const sims = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '_convergence-sims.ts'), BROKER, String(LOCKS), String(SLOTS)], {
  stdio: ['pipe', 'pipe', 'inherit'],
})
const brokerUrl = await new Promise<string>((resolve, reject) => {
  sims.once('exit', (code) => reject(new Error(`simulators exited (${code})`)))
  createInterface({ input: sims.stdout! }).once('line', (line) => resolve((JSON.parse(line) as { brokerUrl: string }).brokerUrl))
})
const stopSims = () => new Promise<void>((r) => {
  sims.removeAllListeners('exit')
  sims.once('exit', () => r())
  sims.stdin!.end()
})

const dir = mkdtempSync(join(tmpdir(), 'lockstep-bench-conv-'))
try {
  // --- (a) the floor: bare client, same broker and locks, same concurrency, before lockstep exists ---
  const roundTrips = LOCKS * CODES
  const floorMs = await measureConvergenceFloor({
    brokerUrl, deviceNames: names, roundTrips, concurrency: Math.min(CONCURRENCY, LOCKS), timeoutMs: 30_000,
  })

  // --- (b) lockstep ---
  const config: Config = configSchema.parse({
    data_dir: dir,
    log_level: 'silent',
    http: { host: '127.0.0.1', port: 0 },
    mqtt: { url: brokerUrl },
    reconcile: { concurrency: CONCURRENCY, resync_seconds: 86_400, trust_empty_seconds: TRUST_EMPTY },
    locks: names.map((n) => ({
      name: n, driver: 'zigbee2mqtt', native_id: n, manufacturer: 'Yale', model: 'YRD256HA20BP', device_type: 'yale_lock', slots: SLOTS, code_length: [4, 8],
    })),
  })
  const rssBefore = process.memoryUsage().rss
  const startT = performance.now()
  const daemon = await startDaemon(config, { log: createLogger('silent'), print: () => {} })
  const devices = () => daemon.store.devices.list()
  while (devices().filter((d) => d.online).length < LOCKS) await new Promise((r) => setTimeout(r, 20))
  await daemon.reconciler.idle()
  const startupMs = performance.now() - startT

  let peakRss = process.memoryUsage().rss
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 100)
  // LOCKSTEP_BENCH_PROFILE=<file>: a CPU profile of this process over the measured part only.
  const profileFile = process.env.LOCKSTEP_BENCH_PROFILE
  const { Session } = await import('node:inspector/promises')
  const session = profileFile ? new Session() : undefined
  if (session) {
    session.connect()
    await session.post('Profiler.enable')
    await session.post('Profiler.start')
  }
  // Done = every code's access_code.set_on_device event committed (the store notifies after commit).
  let setCount = 0
  let allSet: () => void = () => {}
  const done = new Promise<void>((r) => (allSet = r))
  daemon.store.events.subscribe((e) => {
    if (e.event_type === 'access_code.set_on_device' && ++setCount === roundTrips) allSet()
  })
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  // One transaction, like one push_data: every code row, its event and its device's work item.
  daemon.store.tx(() => {
    for (const [i, d] of devices().entries()) {
      for (let c = 0; c < CODES; c++) {
        daemon.store.accessCodes.create({
          deviceId: d.deviceId, name: `Guest ${c}`, code: String(10_000_000 + i * 1000 + c), startsAt: null, endsAt: null,
          allowExternalModification: false, isOneTimeUse: false, commonCodeKey: null, preferredCodeLength: null,
        })
      }
    }
  })
  const createdMs = performance.now() - t0
  const limitMs = Math.max(120_000, floorMs * 30)
  let timer: NodeJS.Timeout | undefined
  await Promise.race([
    done,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`only ${setCount} of ${roundTrips} codes set after ${(limitMs / 1000).toFixed(0)} s`)), limitMs)
    }),
  ])
  clearTimeout(timer)
  const lockstepMs = performance.now() - t0
  const cpu = process.cpuUsage(cpu0)
  if (session) {
    const { profile } = await session.post('Profiler.stop')
    ;(await import('node:fs')).writeFileSync(profileFile!, JSON.stringify(profile))
    session.disconnect()
  }
  clearInterval(sampler)
  const rssEnd = process.memoryUsage().rss
  peakRss = Math.max(peakRss, rssEnd)
  await daemon.stop()

  // --- (a') the floor again, now that lockstep is stopped: the same locks in the state lockstep worked
  // on. Zigbee2MQTT's state cache repeats every slot ever read in each message, and lockstep's first
  // pass reads every slot once, so after it each answer is bigger for anyone (floor or lockstep).
  const floorAfterMs = await measureConvergenceFloor({
    brokerUrl, deviceNames: names, roundTrips, concurrency: Math.min(CONCURRENCY, LOCKS), timeoutMs: 30_000,
  })

  say(`convergence: ${LOCKS} locks × ${CODES} codes = ${roundTrips} codes, ${SLOTS} slots per lock, broker ${BROKER}, concurrency ${CONCURRENCY}, trust_empty_seconds ${TRUST_EMPTY}`)
  say(`machine: ${cpus().length} cores, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`)
  say(`lockstep startup (discover ${LOCKS} locks, first passes): ${startupMs.toFixed(0)} ms (not counted)`)
  say(`floor (fresh locks, before lockstep)=${floorMs.toFixed(0)}ms (${roundTrips} set+get round trips, bare client, ${Math.min(CONCURRENCY, LOCKS)} in flight; ${(roundTrips / floorMs * 1000).toFixed(0)}/s)`)
  say(`floor=${floorAfterMs.toFixed(0)}ms (the same, after lockstep: locks in the state lockstep worked on; ${(roundTrips / floorAfterMs * 1000).toFixed(0)}/s)`)
  say(`lockstep=${lockstepMs.toFixed(0)}ms (create in one transaction ${createdMs.toFixed(0)} ms, then until all set; ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms CPU in this process)`)
  say(`rss=${mib(peakRss)}MiB peak (${mib(rssEnd)} MiB at the end, ${mib(rssBefore)} MiB before the daemon started; broker and simulators are in another process)`)
  say(`ratio against the fresh-lock floor: ${(lockstepMs / floorMs).toFixed(2)}`)
  say(`ratio=${(lockstepMs / floorAfterMs).toFixed(2)}`)
} finally {
  await stopSims()
  rmSync(dir, { recursive: true, force: true })
}
