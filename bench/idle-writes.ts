// Idle writes (issue 12, defect 3): what a converged site writes to disk while nothing happens.
//
//   npm run bench -- idle-writes [--codes 1000] [--minutes 10]
//
// The lab in-process (its Zigbee2MQTT locks, grown to hold the codes), `--codes` codes created and brought
// to `set`; then `--minutes` of fake time: the daemon's clock moves one resync interval at a time and each
// step runs the resync (every online lock poked) and waits for the passes to finish. Printed: bytes this
// process wrote to storage over the idle part (/proc/self/io write_bytes), the SQLite pages (WAL frames)
// and rows it wrote, and last `ratio=<bytes written ÷ 65536>` (goal ≤ 1).
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { loadConfig, type Config } from '../src/config.js'
import { startDaemon } from '../src/daemon.js'
import { createLogger } from '../src/log.js'
import { createCode } from '../src/app/access-codes.js'

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`)
  return i > 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback
}
const CODES = Number(arg('codes', '1000'))
const MINUTES = Number(arg('minutes', '10'))
const say = (line: string) => process.stdout.write(line + '\n')

/** Bytes this process caused to be sent to storage (Linux; null elsewhere). */
function writeBytes(): number | null {
  try {
    const m = /^write_bytes:\s*(\d+)$/m.exec(readFileSync('/proc/self/io', 'utf8'))
    return m ? Number(m[1]) : null
  } catch {
    return null
  }
}

// A data dir on the checkout's disk (a tmpfs /tmp would hide the writes from write_bytes); .bench-build is ignored by git.
mkdirSync('.bench-build', { recursive: true })
const dataDir = mkdtempSync(join('.bench-build', 'idle-writes-'))
const env = { LOCKSTEP_DATA_DIR: dataDir, LOCKSTEP_HTTP_PORT: '0', LOCKSTEP_HTTP_HOST: '127.0.0.1', LOCKSTEP_API_KEY: 'seam_bench_idle_writes_key', LOCKSTEP_MQTT_PORT: '0' }
let config: Config = loadConfig({ mode: 'lab', env })
const zigbee = config.locks.filter((l) => l.driver === 'zigbee2mqtt')
const perLock = Math.ceil(CODES / zigbee.length) + 1
// Only the Zigbee2MQTT locks, grown to hold the codes (the Nuki lab lock holds 100 at most).
config = { ...config, locks: config.locks.flatMap((l) => (l.driver === 'zigbee2mqtt' ? [{ ...l, slots: Math.max(l.slots, perLock) }] : [])) }

const daemon = await startDaemon(config, { log: createLogger('silent'), print: () => {} })
try {
  const { store, reconciler, clock } = daemon
  const devices = store.devices.list().filter((d) => d.driver === 'zigbee2mqtt')
  const t0 = performance.now()
  store.tx(() => {
    for (let i = 0; i < CODES; i++) {
      const device = devices[i % devices.length]!
      createCode(store, {
        deviceId: device.deviceId, name: `Guest ${i}`, code: String(100_000 + i), startsAt: null, endsAt: null,
        allowExternalModification: false, isOneTimeUse: false, commonCodeKey: null, preferredCodeLength: null,
      })
    }
  })
  const setCount = () => devices.flatMap((d) => store.accessCodes.onDevice(d.deviceId)).filter((c) => c.isManaged && c.status === 'set').length
  const deadline = Date.now() + 300_000
  while (setCount() < CODES) {
    if (Date.now() > deadline) throw new Error(`only ${setCount()} of ${CODES} codes set after 300 s`)
    await new Promise((r) => setTimeout(r, 250))
  }
  await reconciler.idle()
  const convergedMs = performance.now() - t0

  // The idle part, on fake time: one resync per interval, as the daemon's own timer does.
  const db = store.db
  const stepMs = config.reconcile.resync_seconds * 1000
  const steps = Math.round((MINUTES * 60_000) / stepMs)
  const resync = async () => {
    for (const d of store.devices.list()) if (daemon.drivers.has(d.driver) && d.online) reconciler.poke(d.deviceId)
    await reconciler.idle()
  }
  await resync() // settle whatever convergence left (a last clean mark)
  db.pragma('wal_checkpoint(TRUNCATE)')
  // No automatic checkpoint while measuring, so the WAL's frame count is every page written.
  const autoCheckpoint = db.pragma('wal_autocheckpoint', { simple: true }) as number
  db.pragma('wal_autocheckpoint = 0')
  const changesBefore = (db.prepare('SELECT total_changes() AS n').get() as { n: number }).n
  const bytesBefore = writeBytes()
  for (let i = 0; i < steps; i++) {
    clock.advance(stepMs)
    await resync()
  }
  const bytes = bytesBefore === null ? null : writeBytes()! - bytesBefore
  const walFrames = (db.pragma('wal_checkpoint(PASSIVE)') as { log: number }[])[0]?.log ?? 0
  db.pragma(`wal_autocheckpoint = ${autoCheckpoint}`)
  const rows = (db.prepare('SELECT total_changes() AS n').get() as { n: number }).n - changesBefore
  const pageSize = db.pragma('page_size', { simple: true }) as number

  say(`idle-writes: ${CODES} codes on ${devices.length} Zigbee2MQTT lab locks, set in ${(convergedMs / 1000).toFixed(1)} s; then ${MINUTES} min of fake time, resync every ${stepMs / 1000} s (${steps} passes per lock)`)
  say(`sqlite: ${walFrames} pages written to the WAL (${walFrames * pageSize} bytes at ${pageSize} B/page), ${rows} rows changed`)
  say(`process: ${bytes === null ? 'n/a (no /proc/self/io)' : `${bytes} bytes`} written to storage over the idle part`)
  say(`ratio=${((bytes ?? walFrames * pageSize) / 65536).toFixed(2)}`)
} finally {
  await daemon.stop()
  rmSync(dataDir, { recursive: true, force: true })
}
