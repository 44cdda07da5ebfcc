// Composition root: config → store → drivers → reconciler → API (design.md).
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { OffsetClock, type Clock } from './clock.js'
import type { Config } from './config.js'
import { cryptoRandom, type Random } from './ids.js'
import { createLogger, type Logger } from './log.js'
import { buildApi } from './api/server.js'
import type { LockCommands } from './api/commands.js'
import type { LockDriver } from './ports/lock-driver.js'
import type { DiscoveredLock } from './ports/device-events.js'
import { Store } from './store/store.js'
import { DB_FILE, LAB_KEY_FILE } from './files.js'
import { Metrics, metricsRoute } from './metrics.js'
import { renderBanner, type BannerSectionSource } from './banner.js'
import { CONSOLE_PATHS, consoleRoutes } from './console/serve.js'

export interface DaemonOptions {
  clock?: Clock
  random?: Random
  log?: Logger
  /** Printed lines for humans (the generated key, the banner). Defaults to stdout. */
  print?: (line: string) => void
}

export interface Daemon {
  url: string
  config: Config
  store: Store
  app: FastifyInstance
  log: Logger
  /** The key generated at this start, if one was (shown once). */
  generatedApiKey: string | null
  /** Prometheus metrics; pass `metrics` (a MetricsSink) to the reconciler, encoder… */
  metrics: Metrics
  /** Sections of the lab banner; parts of the daemon push theirs (entrances, encoders…). */
  bannerSections: BannerSectionSource[]
  /** The lab banner as text: URLs, key, and every section. */
  banner(): string
  stop(): Promise<void>
}

export const VERSION: string = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version

const ATTEMPT_TIMEOUT_MS = 30_000
const ATTEMPT_EXPIRY_MS = 60_000

export { DB_FILE, LAB_KEY_FILE }

export async function startDaemon(config: Config, opts: DaemonOptions = {}): Promise<Daemon> {
  const log = opts.log ?? createLogger(config.log_level)
  const print = opts.print ?? ((line: string) => process.stdout.write(line + '\n'))
  const clock = opts.clock ?? new OffsetClock()
  const random = opts.random ?? cryptoRandom
  const store = Store.open(join(config.data_dir, DB_FILE), clock, random)
  const drivers = new Map<string, LockDriver>()

  const generatedApiKey = bootstrapApiKey(store, config, print)
  registerConfiguredLocks(store, config)

  const commands: LockCommands = {
    lockAction(deviceId, action) {
      const device = store.devices.get(deviceId)
      const attempt = store.tx(() => store.actionAttempts.create(action === 'lock' ? 'LOCK_DOOR' : 'UNLOCK_DOOR', deviceId))
      const id = attempt.action_attempt_id
      const driver = drivers.get(device.driver)
      const finish = (outcome: Parameters<typeof store.actionAttempts.finish>[1]) =>
        store.tx(() => {
          if (!store.actionAttempts.finish(id, outcome)) return
          store.events.append({
            event_type: `action_attempt.${action}_door.${'result' in outcome ? 'succeeded' : 'failed'}`,
            device_id: deviceId,
            action_attempt_id: id,
            action_type: attempt.action_type,
            status: 'result' in outcome ? 'success' : 'error',
          })
        })
      if (!driver) {
        finish({ error: { type: 'device_not_supported', message: `No ${device.driver} driver is running for this device` } })
      } else {
        const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timed out')), ATTEMPT_TIMEOUT_MS).unref())
        Promise.race([driver.lockAction(device.nativeId, action), timeout]).then(
          () => finish({ result: { was_confirmed_by_device: true } }),
          (err: Error) => {
            log.warn({ device_id: deviceId, action, err: err.message }, 'lock action failed')
            finish({ error: { type: err.message === 'timed out' ? 'action_attempt_expired' : 'failed_to_' + action, message: err.message } })
          },
        )
      }
      return store.actionAttempts.get(id)
    },
  }

  const metrics = new Metrics(store)
  const app = buildApi({
    store, log, commands, metrics, version: VERSION,
    plugins: [consoleRoutes, (a) => metricsRoute(a, metrics, (key) => store.apiKeys.verify(key))],
    openPaths: (p) => p === '/metrics' || CONSOLE_PATHS.has(p),
    health: () => healthReport(store, config),
  })
  const expiry = setInterval(() => store.tx(() => store.actionAttempts.expire(ATTEMPT_EXPIRY_MS)), 5_000)
  expiry.unref()

  await app.listen({ host: config.http.host, port: config.http.port })
  const address = app.server.address()
  const port = typeof address === 'object' && address ? address.port : config.http.port
  const url = `http://${config.http.host.includes(':') ? `[${config.http.host}]` : config.http.host}:${port}`
  log.info({ url, lab: config.lab, data_dir: config.data_dir, devices: store.devices.list().length }, 'lockstep listening')

  const bannerSections: BannerSectionSource[] = [() => ({
    title: `Locks (${store.devices.list().length})`,
    rows: store.devices.list().map((d) => [d.displayName, d.deviceId, `${d.manufacturer} ${d.model}`, d.driver, d.online ? 'online' : 'offline']),
    empty: 'no locks in config',
  })]

  let stopped = false
  return {
    url, config, store, app, log, generatedApiKey, metrics, bannerSections,
    banner() {
      const labFile = join(config.data_dir, LAB_KEY_FILE)
      const [apiKey, source] = generatedApiKey
        ? [generatedApiKey, 'generated now, saved to ' + labFile]
        : config.api_key
          ? [config.api_key, 'from LOCKSTEP_API_KEY']
          : config.lab && existsSync(labFile)
            ? [readFileSync(labFile, 'utf8').trim(), 'from ' + labFile]
            : [null, 'a key created with `lockstep keys create`']
      return renderBanner({
        title: `lockstep ${VERSION} — ${config.lab ? 'lab' : 'site'}: ${config.site.name}`,
        apiUrl: url,
        consoleUrl: url + '/',
        apiKey,
        apiKeySource: source,
        dataDir: config.data_dir,
        sections: bannerSections.map((s) => s()).filter((s) => s !== null),
      })
    },
    async stop() {
      if (stopped) return
      stopped = true
      clearInterval(expiry)
      await app.close()
      for (const d of drivers.values()) await d.stop().catch((err) => log.warn({ err }, 'driver stop failed'))
      store.close()
    },
  }
}

/**
 * The bootstrap key: LOCKSTEP_API_KEY if given; else, on a store with no key, a generated one that is
 * printed once (and, in lab mode, written to <data dir>/lab-api-key so the CLI and tests can find it).
 */
function bootstrapApiKey(store: Store, config: Config, print: (line: string) => void): string | null {
  if (config.api_key) {
    store.tx(() => store.apiKeys.add(config.api_key!, 'bootstrap (LOCKSTEP_API_KEY)'))
    return null
  }
  const labFile = join(config.data_dir, LAB_KEY_FILE)
  if (config.lab && existsSync(labFile)) {
    const key = readFileSync(labFile, 'utf8').trim()
    if (store.apiKeys.verify(key)) return null
  }
  if (store.apiKeys.count() > 0) return null
  const key = store.apiKeys.generate()
  store.tx(() => store.apiKeys.add(key, config.lab ? 'lab' : 'bootstrap'))
  if (config.lab) {
    writeFileSync(labFile, key + '\n', { mode: 0o600 })
    chmodSync(labFile, 0o600)
  }
  print(`API key (shown once; store it now): ${key}`)
  return key
}

/** /health: always ok:true (liveness); `status` says whether some part is degraded, and which. */
function healthReport(store: Store, config: Config): Record<string, unknown> {
  const degraded: string[] = []
  let storeOk = true
  let devices: { online: boolean }[] = []
  let queue = 0
  try {
    devices = store.devices.list()
    queue = (store.db.prepare('SELECT count(*) AS n FROM work_items').get() as { n: number }).n
  } catch {
    storeOk = false
    degraded.push('store unreadable')
  }
  const offline = devices.filter((d) => !d.online).length
  if (offline > 0) degraded.push(`${offline} of ${devices.length} devices offline`)
  return {
    status: degraded.length ? 'degraded' : 'ok',
    degraded,
    mode: config.lab ? 'lab' : 'site',
    version: VERSION,
    store: storeOk ? 'ok' : 'error',
    devices: { total: devices.length, online: devices.length - offline, offline },
    work_queue_depth: queue,
  }
}

/** Locks named in config are known before any driver reports them, so their ids are stable from the first start. */
function registerConfiguredLocks(store: Store, config: Config): void {
  store.tx(() => {
    for (const lock of config.locks) {
      const discovered: DiscoveredLock = {
        nativeId: lock.native_id,
        driver: lock.driver,
        displayName: lock.name,
        manufacturer: lock.manufacturer,
        model: lock.model,
        deviceType: lock.device_type,
        online: false,
        constraints: {
          minLength: lock.code_length[0],
          maxLength: lock.code_length[1],
          alphabet: lock.alphabet,
          noLeadingZero: lock.no_leading_zero,
          firstSlot: 1,
          slotCount: lock.slots,
          name: { maxLength: lock.name_rules.max_length, charset: lock.name_rules.charset, unique: lock.name_rules.unique },
        },
      }
      store.devices.upsert(discovered)
    }
  })
}
