// Convergence (issue 4): how long lockstep takes to bring L locks × C new codes to `set`, against the raw
// floor of the same number of set+get round trips done by a bare MQTT client at the same concurrency,
// in the same run, through the same broker, against the same simulated Zigbee2MQTT locks. The floor is
// measured twice: on fresh locks before lockstep starts, and after lockstep stopped (locks in the state it
// worked on; `ratio=` uses this one, the other ratio is printed too).
//
//   npm run bench -- convergence [--locks 1000] [--codes 20] [--broker aedes|mosquitto] [--concurrency 64]
//                                [--slots 250] [--trust-empty 600]
//
// Three processes: the broker and the simulated locks (bench/_convergence-sims.ts), lockstep from the
// production bundle (bench/_convergence-lockstep.ts, built with scripts/build.ts: no TypeScript loader, as
// a site runs it), and this one, which holds only the floor's bare client. lockstep's RSS is its own.
// The last line is `ratio=<lockstep ÷ floor>`.
//
// Diagnostics (environment): LOCKSTEP_BENCH_PROFILE=<file> a CPU profile of lockstep over the measured
// part; LOCKSTEP_BENCH_HEAP=<file> / LOCKSTEP_BENCH_HEAP_END=<file> a heap snapshot after start-up / at
// the end; LOCKSTEP_BENCH_NODE_FLAGS="…" other node flags than the unit's; LOCKSTEP_BENCH_VERBOSE=1 prints
// process.memoryUsage() at both points.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { bundle, unitNodeFlags } from '../scripts/build.js'
import type { LockstepSideOptions } from './_convergence-lockstep.js'
import { measureConvergenceFloor } from '../testkit/convergence-floor.js'

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

/** Resident memory of Node alone with these flags: the part of lockstep's RSS that is not lockstep's. */
async function bareNodeRss(flags: string[]): Promise<number> {
  const child = spawn(process.execPath, [...flags, '-e', 'setTimeout(() => console.log(JSON.stringify({ rss: process.memoryUsage.rss() })), 300)'], { stdio: ['ignore', 'pipe', 'inherit'] })
  return (await jsonLines(child, 'node').next()).rss as number
}

/** A child that speaks JSON lines on stdout; `next()` resolves with the next one. */
function jsonLines(child: ChildProcess, what: string): { next: () => Promise<Record<string, unknown>> } {
  const lines: string[] = []
  let wake: (() => void) | undefined
  let exited: number | null | undefined
  createInterface({ input: child.stdout! }).on('line', (l) => (lines.push(l), wake?.()))
  child.once('exit', (code) => ((exited = code), wake?.()))
  return {
    async next() {
      while (lines.length === 0) {
        if (exited !== undefined) throw new Error(`${what} exited (${exited})`)
        await new Promise<void>((r) => (wake = r))
      }
      return JSON.parse(lines.shift()!) as Record<string, unknown>
    },
  }
}

// --- the device side, in a child ---
const sims = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '_convergence-sims.ts'), BROKER, String(LOCKS), String(SLOTS)], {
  stdio: ['pipe', 'pipe', 'inherit'],
})
const brokerUrl = (await jsonLines(sims, 'simulators').next()).brokerUrl as string
const stopSims = () => new Promise<void>((r) => {
  if (sims.exitCode !== null) return r()
  sims.once('exit', () => r())
  sims.stdin!.end()
})

const dir = mkdtempSync(join(tmpdir(), 'lockstep-bench-conv-'))
let lockstep: ChildProcess | undefined
try {
  // --- (a) the floor: bare client, same broker and locks, same concurrency, before lockstep exists ---
  const roundTrips = LOCKS * CODES
  const floorOpts = { brokerUrl, deviceNames: names, roundTrips, concurrency: Math.min(CONCURRENCY, LOCKS), timeoutMs: 30_000 }
  const floorMs = await measureConvergenceFloor(floorOpts)

  // --- (b) lockstep, in its own process from the production bundle ---
  const harness = await bundle('bench/_convergence-lockstep.ts', '.bench-build', 'convergence-lockstep')
  const sideOptions: LockstepSideOptions = {
    dataDir: dir, brokerUrl, names, slots: SLOTS, codes: CODES, concurrency: CONCURRENCY, trustEmptySeconds: TRUST_EMPTY,
    limitMs: Math.max(120_000, floorMs * 30),
    ...(process.env.LOCKSTEP_BENCH_PROFILE ? { profileFile: process.env.LOCKSTEP_BENCH_PROFILE } : {}),
  }
  const nodeFlags = process.env.LOCKSTEP_BENCH_NODE_FLAGS !== undefined ? process.env.LOCKSTEP_BENCH_NODE_FLAGS.split(' ').filter(Boolean) : unitNodeFlags()
  lockstep = spawn(process.execPath, [...nodeFlags, harness, JSON.stringify(sideOptions)], { stdio: ['pipe', 'pipe', 'inherit'] })
  const side = jsonLines(lockstep, 'lockstep')
  const ready = await side.next()
  lockstep.stdin!.write('go\n')
  const r = await side.next()
  if (r.outcome !== 'done') throw new Error(`only ${String(r.setCount)} of ${roundTrips} codes set after ${(sideOptions.limitMs / 1000).toFixed(0)} s`)
  await new Promise<void>((res) => (lockstep!.exitCode !== null ? res() : lockstep!.once('exit', () => res())))
  const lockstepMs = r.lockstepMs as number
  const nodeAloneRss = await bareNodeRss(nodeFlags)

  // --- (a') the floor again, now that lockstep is stopped: the same locks in the state lockstep worked
  // on. Zigbee2MQTT's state cache repeats every slot ever read in each message, and lockstep's first
  // pass reads every slot once, so after it each answer is bigger for anyone (floor or lockstep).
  const floorAfterMs = await measureConvergenceFloor(floorOpts)

  say(`convergence: ${LOCKS} locks × ${CODES} codes = ${roundTrips} codes, ${SLOTS} slots per lock, broker ${BROKER}, concurrency ${CONCURRENCY}, trust_empty_seconds ${TRUST_EMPTY}`)
  say(`machine: ${cpus().length} cores, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`)
  say(`lockstep startup (discover ${LOCKS} locks, first passes read every slot): ${(ready.startupMs as number).toFixed(0)} ms (not counted)`)
  say(`floor (fresh locks, before lockstep)=${floorMs.toFixed(0)}ms (${roundTrips} set+get round trips, bare client, ${floorOpts.concurrency} in flight; ${(roundTrips / floorMs * 1000).toFixed(0)}/s)`)
  say(`floor=${floorAfterMs.toFixed(0)}ms (the same, after lockstep: locks in the state lockstep worked on; ${(roundTrips / floorAfterMs * 1000).toFixed(0)}/s)`)
  say(`lockstep=${lockstepMs.toFixed(0)}ms (create in one transaction ${(r.createdMs as number).toFixed(0)} ms, then until all set; ${(r.cpuMs as number).toFixed(0)} ms CPU in lockstep's process)`)
  say(`rss=${mib(r.peakRss as number)}MiB peak while converging (lockstep's process, node ${nodeFlags.join(' ') || '(no flags)'}: ${mib(ready.rssIdle as number)} MiB idle after start-up, ${mib(r.rssEnd as number)} MiB at the end, high-water mark over its life ${mib(r.hwm as number)} MiB; Node alone with the same flags: ${mib(nodeAloneRss)} MiB)`)
  if (process.env.LOCKSTEP_BENCH_VERBOSE) say(`memory: idle ${JSON.stringify(ready.memIdle)}, end ${JSON.stringify(r.memEnd)}`)
  say(`ratio against the fresh-lock floor: ${(lockstepMs / floorMs).toFixed(2)}`)
  say(`ratio=${(lockstepMs / floorAfterMs).toFixed(2)}`)
} finally {
  if (lockstep && lockstep.exitCode === null) lockstep.kill('SIGKILL')
  await stopSims()
  rmSync(dir, { recursive: true, force: true })
}
