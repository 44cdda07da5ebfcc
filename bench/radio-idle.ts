// Radio budget of an idle site (issue 19): what a converged property costs its battery locks in a day
// when nothing happens.
//
//   npm run bench -- radio-idle [--codes 20] [--hours 24] [--step-minutes 5] [--gym-silent]
//
// The lab property in-process (three Zigbee2MQTT locks and the Nuki lock), `--codes` codes on each lock,
// brought to `set`; then `--hours` of fake time in steps of `--step-minutes`: each step moves the lab's
// clock, which pokes every device as the daemon's resync timer does (the step is the site's resync
// interval, 5 min by default), and waits for the passes. `--gym-silent` makes Gym a lock that sends no
// programming events. Counted on the devices' side (the simulators) and compared with the drivers' counts. Printed: each lock's radio exchanges
// over the idle part, and last `ratio=<worst lock's exchanges per day ÷ 48>` (goal ≤ 1: at most one
// exchange every half hour).
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfig, type Config } from '../src/config.js'
import { startDaemon } from '../src/daemon.js'
import { createLogger } from '../src/log.js'
import { createCode } from '../src/app/access-codes.js'

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`)
  return i > 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback
}
const CODES = Number(arg('codes', '20'))
const HOURS = Number(arg('hours', '24'))
const STEP_MS = Number(arg('step-minutes', '5')) * 60_000
const GYM_SILENT = process.argv.includes('--gym-silent')
const BUDGET_PER_DAY = 48
const say = (line: string) => process.stdout.write(line + '\n')

/** A code every lab lock accepts: six digits 1–9 (Nuki's rule), not starting with 12, distinct per lock and index. */
function codeFor(lock: number, i: number): string {
  let digits = ''
  for (let n = i, k = 0; k < 5; k++, n = Math.floor(n / 9)) digits = String((n % 9) + 1) + digits
  return String(3 + lock) + digits
}

const dataDir = mkdtempSync(join(tmpdir(), 'radio-idle-'))
const env = { LOCKSTEP_DATA_DIR: dataDir, LOCKSTEP_HTTP_PORT: '0', LOCKSTEP_HTTP_HOST: '127.0.0.1', LOCKSTEP_API_KEY: 'seam_bench_radio_idle_key', LOCKSTEP_MQTT_PORT: '0' }
let config: Config = loadConfig({ mode: 'lab', env })
config = {
  ...config,
  // The site default (the lab's own config looks every 10 s, for demos).
  reconcile: { ...config.reconcile, resync_seconds: 300 },
  locks: config.locks.map((l) => ({ ...l, slots: Math.max(l.slots, CODES), ...(GYM_SILENT && l.name === 'Gym' ? { reports_code_changes: false } : {}) })),
}

const daemon = await startDaemon(config, { log: createLogger('silent'), print: () => {} })
try {
  const { store, reconciler, lab } = daemon
  if (!lab) throw new Error('not a lab daemon')
  const deadline = Date.now() + 120_000
  while (store.devices.list().filter((d) => d.online).length < config.locks.length) {
    if (Date.now() > deadline) throw new Error('lab locks did not all come online')
    await new Promise((r) => setTimeout(r, 100))
  }
  const devices = store.devices.list()
  store.tx(() => {
    devices.forEach((device, l) => {
      for (let i = 0; i < CODES; i++) {
        createCode(store, {
          deviceId: device.deviceId, name: `Guest ${i}`, code: codeFor(l, i), startsAt: null, endsAt: null,
          allowExternalModification: false, isOneTimeUse: false, commonCodeKey: null, preferredCodeLength: null,
        })
      }
    })
  })
  for (const d of devices) reconciler.poke(d.deviceId)
  const setCount = () => devices.flatMap((d) => store.accessCodes.onDevice(d.deviceId)).filter((c) => c.isManaged && c.status === 'set').length
  while (setCount() < CODES * devices.length) {
    if (Date.now() > deadline) throw new Error(`only ${setCount()} of ${CODES * devices.length} codes set after 120 s`)
    await new Promise((r) => setTimeout(r, 100))
  }
  await reconciler.idle()

  const labLock = (deviceId: string) => lab.control.lock(deviceId)!
  const deviceCount = () => new Map(devices.map((d) => [d.deviceId, labLock(d.deviceId).radioExchanges()]))
  const driverCount = () =>
    new Map(devices.map((d) => [d.deviceId, daemon.drivers.get(d.driver)?.radioStats?.(d.nativeId).total.exchanges ?? NaN]))
  // A Nuki link idles 1.5 s (real time) before it closes: let it close, so the next step pays for its own.
  const linksClosed = async () => {
    while (devices.some((d) => labLock(d.deviceId).linkOpen())) await new Promise((r) => setTimeout(r, 50))
  }
  await linksClosed()
  const before = deviceCount()
  const driverBefore = driverCount()

  const steps = Math.round((HOURS * 3_600_000) / STEP_MS)
  const t0 = performance.now()
  for (let i = 0; i < steps; i++) {
    // Pokes every device, as the daemon's resync timer would once in each step.
    lab.control.advanceClock(STEP_MS / 1000)
    await reconciler.idle()
    await linksClosed()
  }
  const idleMs = performance.now() - t0
  const after = deviceCount()
  const driverAfter = driverCount()

  say(`radio-idle: ${CODES} codes on each of ${devices.length} lab locks${GYM_SILENT ? ' (Gym sends no programming events)' : ''}; then ${HOURS} h of fake time in ${steps} steps of ${STEP_MS / 60_000} min (${(idleMs / 1000).toFixed(1)} s real)`)
  let worstPerDay = 0
  for (const d of devices) {
    const n = after.get(d.deviceId)! - before.get(d.deviceId)!
    const driver = driverAfter.get(d.deviceId)! - driverBefore.get(d.deviceId)!
    const perDay = (n * 24) / HOURS
    worstPerDay = Math.max(worstPerDay, perDay)
    say(`${d.displayName} (${d.driver}): ${n} exchanges counted by the lock, ${driver} by the driver${HOURS === 24 ? '' : ` (${perDay.toFixed(0)} per day)`}`)
  }
  say(`ratio=${(worstPerDay / BUDGET_PER_DAY).toFixed(2)}`)
} finally {
  await daemon.stop()
  rmSync(dataDir, { recursive: true, force: true })
}
