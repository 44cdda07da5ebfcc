// Composition root: config → store → drivers → reconciler → API (design.md).
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { OffsetClock, systemClock, type Clock } from './kernel/clock.js'
import { VERSION } from './package-root.js'
import type { Config } from './config.js'
import { cryptoRandom, type Random } from './kernel/ids.js'
import { createLogger, type Logger } from './log.js'
import { buildApi } from './api/server.js'
import { createUseCases, type UseCases } from './app/index.js'
import { bootstrapApiKey } from './app/keys.js'
import { healthReport } from './app/health.js'
import type { LockDriver } from './ports/lock-driver.js'
import { Reconciler } from './reconcile/reconciler.js'
import { SqliteReconcileRepo } from './store/reconcile-repo.js'
import { Store } from './store/store.js'
import { nukiDriver, startBrokerForSite, zigbeeDriver } from './drivers.js'
import type { LabProperty } from './lab/property.js'
import { labRoutes } from './api/routes/lab.js'
import { DB_FILE, LAB_KEY_FILE } from './files.js'
import { Metrics, metricsRoute } from './metrics.js'
import { renderBanner, type BannerSectionSource } from './banner.js'
import { CONSOLE_PATHS, consoleRoutes } from './console/serve.js'
import { loadOrCreateSiteKeys } from './store/card-key-files.js'
import { encoderKeyring } from './domain/card-image-plan.js'
import type { SiteKeys } from './protocols/lockstep-card/keys.js'
import type { EncoderDriver } from './ports/encoder-driver.js'
import { Pn532EncoderDriver } from '../adapters/pn532-serial/driver.js'
import { CardEncoderAttempts } from './app/card-encoder-attempts.js'
import { encodingRoutes } from './api/routes/encoding.js'
import type { Duplex } from 'node:stream'

export interface DaemonOptions {
  clock?: Clock
  random?: Random
  log?: Logger
  /** Printed lines for humans (the generated key, the banner). Defaults to stdout. */
  print?: (line: string) => void
  /** Lock drivers to run instead of the ones config asks for (tests inject fakes here). */
  lockDrivers?: LockDriver[]
  /** Passes the reconciler runs at once across devices. */
  reconcileConcurrency?: number
  /** How long an encode/scan attempt waits for a card on the encoder (default 30 s). */
  encoderCardWaitMs?: number
  /** First wait before a lock driver that failed to start is tried again (doubles, at most 5 min; default 5 s). */
  driverRetryMs?: number
}

export interface Daemon {
  url: string
  config: Config
  store: Store
  clock: OffsetClock
  lab: LabProperty | null
  reconciler: Reconciler
  drivers: Map<string, LockDriver>
  /** Card encoder drivers by acs_encoder_id. */
  encoderDrivers: Map<string, EncoderDriver>
  /** ENCODE_CREDENTIAL / SCAN_CREDENTIAL attempts. */
  cardEncoding: CardEncoderAttempts
  app: FastifyInstance
  /** The use cases every front door calls. */
  useCases: UseCases
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

export { VERSION }

const DRIVER_START_WAIT_MS = 10_000
const DRIVER_RETRY_MS = 5_000
const DRIVER_RETRY_MAX_MS = 5 * 60_000
const ATTEMPT_EXPIRY_MS = 60_000

export { DB_FILE, LAB_KEY_FILE }

export async function startDaemon(config: Config, opts: DaemonOptions = {}): Promise<Daemon> {
  const log = opts.log ?? createLogger(config.log_level)
  const print = opts.print ?? ((line: string) => process.stdout.write(line + '\n'))
  // One clock for the daemon and every simulator; the lab's clock/advance moves it forward.
  const clock = new OffsetClock(opts.clock ?? systemClock)
  const random = opts.random ?? cryptoRandom
  const store = Store.open(join(config.data_dir, DB_FILE), clock, random)
  // Card secrets live next to the database (mode 0600); entrances and encoders are known before the lab starts.
  const siteKeys = loadOrCreateSiteKeys(config.data_dir, random)
  const drivers = new Map<string, LockDriver>()
  const useCases = createUseCases(store, { site: config.site, log, driverOf: (kind) => drivers.get(kind) })
  useCases.acs.syncConfigured(config)
  const mqtt = await startBrokerForSite(config, log)
  let reconciler: Reconciler | undefined
  // The lab's simulators are loaded only in lab mode: a site's daemon does not carry them.
  const lab: LabProperty | null = config.lab
    ? await (await import('./lab/property.js')).startLabProperty({
        config, store, clock, brokerUrl: mqtt.url, siteKeys, cardSiteId: store.cardCredentials.siteId, random,
        onClockAdvanced: () => {
          for (const d of store.devices.list()) reconciler?.poke(d.deviceId)
        },
      })
    : null
  const siteDrivers = async (): Promise<LockDriver[]> => {
    // In the lab, simulated radios stand in for the box's Bluetooth adapter.
    const nuki = lab ? null : await nukiDriver(config, clock, log)
    return [zigbeeDriver(config, mqtt.url, clock, log), ...(lab?.drivers ?? []), ...(nuki ? [nuki] : [])]
  }
  for (const d of opts.lockDrivers ?? (await siteDrivers())) drivers.set(d.kind, d)

  const generatedApiKey = bootstrapApiKey(store, config, print)
  useCases.devices.registerConfiguredLocks(config)
  const encoderDrivers = startEncoderDrivers(config, store, siteKeys, lab)

  const metrics = new Metrics(store)
  reconciler = new Reconciler({
    repo: new SqliteReconcileRepo(store),
    route: (deviceId) => {
      const device = store.devices.find(deviceId)
      const driver = device && drivers.get(device.driver)
      return driver && device ? { driver, nativeId: device.nativeId } : undefined
    },
    clock,
    random,
    concurrency: opts.reconcileConcurrency ?? config.reconcile.concurrency,
    trustEmptyMs: config.reconcile.trust_empty_seconds * 1000,
    observer: metrics,
    log: (msg, detail) => log.warn({ ...detail }, msg),
  })
  // An API change pokes its device's worker after the transaction commits.
  store.dirtyDevices.subscribe((deviceId) => reconciler.poke(deviceId))

  const cardEncoding = new CardEncoderAttempts({
    store, keys: siteKeys, drivers: encoderDrivers, log, metrics,
    ...(opts.encoderCardWaitMs !== undefined ? { cardWaitMs: opts.encoderCardWaitMs } : {}),
  })
  const app = buildApi({
    useCases, log, metrics, version: VERSION,
    encoderOnline: (id) => cardEncoding.encoderOnline(id),
    plugins: [
      (a: FastifyInstance) => encodingRoutes(a, cardEncoding),
      ...(lab ? [(a: FastifyInstance) => labRoutes(a, useCases, lab!.control)] : []),
      consoleRoutes,
      (a) => metricsRoute(a, metrics, (key) => useCases.keys.verify(key)),
    ],
    openPaths: (p) => p === '/metrics' || CONSOLE_PATHS.has(p),
    health: () => healthReport(store, config),
  })
  const expiry = setInterval(() => useCases.lockActions.expire(ATTEMPT_EXPIRY_MS), 5_000)
  expiry.unref()

  // One broken or slow radio must not take the site down: the API comes up regardless, and a driver
  // still starting after DRIVER_START_WAIT_MS goes on in the background (its locks stay offline until then).
  // A driver that fails to start (a Bluetooth adapter not plugged in yet) is tried again with backoff.
  let stopped = false
  const retries = new Set<NodeJS.Timeout>()
  const startDriver = (driver: LockDriver, attempt: number): Promise<boolean> =>
    driver.start((event) => useCases.devices.onDeviceEvent(config, reconciler!, driver.kind, event, log)).then(
      () => {
        if (attempt > 1) log.info({ driver: driver.kind, attempt }, 'lock driver started')
        return true
      },
      (err) => {
        const retryMs = Math.min(DRIVER_RETRY_MAX_MS, (opts.driverRetryMs ?? DRIVER_RETRY_MS) * 2 ** (attempt - 1))
        log.error({ err, driver: driver.kind, attempt, retry_in_s: retryMs / 1000 }, 'lock driver failed to start; its locks stay offline until it does')
        const timer = setTimeout(() => {
          retries.delete(timer)
          if (stopped) return
          // stop() first: a half-started driver may hold listeners or a scan.
          void driver.stop().catch(() => undefined).then(() => (stopped ? false : startDriver(driver, attempt + 1)))
        }, retryMs)
        timer.unref()
        retries.add(timer)
        return false
      },
    )
  await Promise.all(
    [...drivers.values()].map(async (driver) => {
      const started = startDriver(driver, 1)
      const waited = await Promise.race([started, new Promise<'slow'>((r) => setTimeout(r, DRIVER_START_WAIT_MS, 'slow').unref())])
      if (waited === 'slow') log.warn({ driver: driver.kind }, 'lock driver still starting; continuing without waiting')
    }),
  )
  await reconciler.start()
  // Lab encoders sit on in-process links: wake them now. A site's serial encoders open lazily on first use.
  if (lab?.cardLab) {
    for (const [id, d] of encoderDrivers) await d.start().catch((err) => log.warn({ acs_encoder_id: id, err: (err as Error).message }, 'card encoder did not start'))
  }
  // Level-triggered all the way: look at every driven device now and then, event or not.
  const resync = setInterval(() => {
    for (const d of store.devices.list()) if (drivers.has(d.driver) && d.online) reconciler!.poke(d.deviceId)
  }, config.reconcile.resync_seconds * 1000)
  resync.unref()

  await app.listen({ host: config.http.host, port: config.http.port })
  const address = app.server.address()
  const port = typeof address === 'object' && address ? address.port : config.http.port
  const url = `http://${config.http.host.includes(':') ? `[${config.http.host}]` : config.http.host}:${port}`
  log.info({ url, lab: config.lab, data_dir: config.data_dir, devices: store.devices.list().length }, 'lockstep listening')

  const bannerSections: BannerSectionSource[] = [() => ({
    title: `Locks (${store.devices.list().length})`,
    rows: store.devices.list().map((d) => [d.displayName, d.deviceId, `${d.manufacturer} ${d.model}`, d.driver, d.online ? 'online' : 'offline']),
    empty: 'no locks in config',
  }), () => ({
    title: `Card entrances (${store.acs.entrances().length})`,
    rows: store.acs.entrances().map((e) => [e.displayName, e.acsEntranceId, e.canBelongToReservation ? 'reservation door' : 'common door', `lock address ${e.seq}`]),
    empty: 'no card entrances in config',
  }), () => ({
    title: `Card encoders (${store.acs.encoders().length})`,
    rows: store.acs.encoders().map((e) => [e.displayName, e.acsEncoderId, cardEncoding.encoderOnline(e.acsEncoderId) ? 'online' : 'offline']),
    empty: 'no card encoders in config',
  })]

  return {
    url, config, store, clock, lab, reconciler, drivers, encoderDrivers, cardEncoding, app, useCases, log, generatedApiKey, metrics, bannerSections,
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
      for (const t of retries) clearTimeout(t)
      clearInterval(expiry)
      clearInterval(resync)
      await app.close()
      await reconciler.stop()
      await cardEncoding.stop().catch((err) => log.warn({ err }, 'card encoding stop failed'))
      for (const d of encoderDrivers.values()) await d.stop().catch((err) => log.warn({ err }, 'encoder stop failed'))
      for (const d of drivers.values()) await d.stop().catch((err) => log.warn({ err }, 'driver stop failed'))
      await lab?.stop().catch((err) => log.warn({ err }, 'lab stop failed'))
      await mqtt.broker?.close().catch((err) => log.warn({ err }, 'broker close failed'))
      useCases.close()
      store.close()
    },
  }
}

/**
 * One PN532 driver per configured encoder: in lab mode on the CardLab's in-process serial link; on a site
 * over the real serial port at `serial_path`, opened on first use (never enumerated with SerialPort.list()).
 */
function startEncoderDrivers(config: Config, store: Store, keys: SiteKeys, lab: LabProperty | null): Map<string, EncoderDriver> {
  const out = new Map<string, EncoderDriver>()
  const keysFor = encoderKeyring(keys)
  for (const e of config.encoders) {
    const id = store.acs.encoderIdFor(e.name)
    if (lab?.cardLab) {
      out.set(id, new Pn532EncoderDriver({ encoderId: id, port: lab.cardLab.encoderPort(id), keysFor }))
    } else if (!config.lab && e.serial_path) {
      const path = e.serial_path
      const open = async (): Promise<Duplex> => {
        const { SerialPort } = await import('serialport')
        return new Promise<Duplex>((resolve, reject) => {
          const port = new SerialPort({ path, baudRate: e.baud_rate, autoOpen: false })
          port.open((err) => (err ? reject(err) : resolve(port)))
        })
      }
      out.set(id, new Pn532EncoderDriver({ encoderId: id, port: open, keysFor }))
    }
  }
  return out
}
