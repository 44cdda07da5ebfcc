// Composition root (docs/design-rules.md): config → store → broker → lab → drivers → reconciler → encoders → API,
// each a service started in that order by one Lifecycle, which stops them in reverse. The parts talk
// through one typed bus (src/bus.ts); every service removes its listeners when it stops.
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { OffsetClock, systemClock, type Clock } from './kernel/clock.js'
import { VERSION } from './package-root.js'
import type { Config } from './config.js'
import { cryptoRandom, type Random } from './kernel/ids.js'
import { createLogger, type Logger } from './log.js'
import { explainListenError } from './api/server.js'
import { createUseCases, type UseCases } from './app/index.js'
import { bootstrapApiKey } from './app/keys.js'
import { healthReport } from './app/health.js'
import type { LockDriver } from './ports/lock-driver.js'
import { Reconciler, type DriftSettings } from './reconcile/reconciler.js'
import { SqliteReconcileRepo } from './store/reconcile-repo.js'
import type { Store } from './store/store.js'
import { LockDrivers, nukiDriver, zigbeeDriver, zwaveDriver } from './drivers.js'
import { SiteBroker } from './mqtt/broker.js'
import type { LabProperty } from './lab/property.js'
import { encodingRoutes } from './api/routes/encoding.js'
import { radioRoutes, type DeviceRadio } from './api/routes/radio.js'
import { DB_FILE, LAB_KEY_FILE } from './files.js'
import { Metrics, metricsOnBus, metricsRoute } from './metrics.js'
import { propertySections, renderBanner } from './banner.js'
import { CONSOLE_PATHS, consoleRoutes } from './console/serve.js'
import { loadOrCreateSiteKeys } from './store/card-key-files.js'
import { commissioningOf, writeCommissioning } from './store/commissioning-file.js'
import type { EncoderDriver } from './ports/encoder-driver.js'
import type { CardEncoderAttempts } from './app/card-encoder-attempts.js'
import { createDaemonBus, type DaemonBus } from './bus.js'
import { every, Lifecycle } from './kernel/service.js'
import { StoreService } from './services/store.js'
import { CodeDelayWatch } from './services/code-delays.js'
import { ReconcilerService } from './services/reconciler.js'
import { Encoders } from './services/encoders.js'
import { ApiService } from './services/api.js'
import type { FiasService } from './fias/fias-service.js'
import { fiasFrontDoor } from './fias/front-door.js'
import type { LabPms } from './lab/pms-lab.js'
import { deliverySettings, urlPolicy, WebhookDelivery } from './events/webhooks.js'
import { WebhookUseCases } from './app/webhooks.js'
import { webhookRoutes } from './api/routes/webhooks.js'
import { UplinkService } from './uplink/service.js'
import { UplinkApp } from './app/uplink.js'

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
  /** The PMS's FIAS link (config `fias`), and the lab's PMS simulator when the lab runs one. */
  fias: FiasService | null
  labPms: LabPms | null
  app: FastifyInstance
  /** The use cases every front door calls. */
  useCases: UseCases
  log: Logger
  /** What the parts tell each other; empty of listeners once stopped. */
  bus: DaemonBus
  /** The key generated at this start, if one was (shown once). */
  generatedApiKey: string | null
  /** Prometheus metrics. */
  metrics: Metrics
  /** The lab banner as text: URLs, key, and what the property holds. */
  banner(): string
  /** Stops every service, last started first. */
  stop(): Promise<void>
}

export { VERSION }

const ATTEMPT_TIMEOUT_MS = 30_000
const ATTEMPT_EXPIRY_MS = 60_000

export { DB_FILE, LAB_KEY_FILE }

export async function startDaemon(config: Config, opts: DaemonOptions = {}): Promise<Daemon> {
  const log = opts.log ?? createLogger(config.log_level)
  const services = new Lifecycle((service, err) => log.warn({ err, service }, 'service stop failed'))
  return composeDaemon(config, { ...opts, log }, services).catch(async (err: unknown) => {
    // A failed start leaves nothing running: what did start stops, in reverse.
    await services.stop()
    throw err
  })
}

/** Starts the services one by one on `services`; startDaemon stops them if one fails. */
async function composeDaemon(config: Config, opts: DaemonOptions & { log: Logger }, services: Lifecycle): Promise<Daemon> {
  const log = opts.log
  const print = opts.print ?? ((line: string) => process.stdout.write(line + '\n'))
  // One clock for the daemon and every simulator; the lab's clock/advance moves it forward.
  const clock = new OffsetClock(opts.clock ?? systemClock)
  const random = opts.random ?? cryptoRandom
  const bus = createDaemonBus((err, topic) => log.error({ err, topic }, 'bus listener failed'))
  const { store } = await services.start(new StoreService({ dataDir: config.data_dir, clock, random, bus }))
  // Card secrets live next to the database (mode 0600); entrances and encoders are known before the lab starts.
  const siteKeys = loadOrCreateSiteKeys(config.data_dir, random)
  const useCases = createUseCases(store, { site: config.site, log, driverOf: (kind) => drivers.get(kind), sandbox: config.lab })
  await services.start({ name: 'use cases', start() {}, stop: () => useCases.close() })
  useCases.acs.syncConfigured(config)
  useCases.devices.registerConfiguredLocks(config)
  // What the doors are programmed with (site id, addresses, ids): `lockstep simulate` reads it; nothing secret.
  writeCommissioning(config.data_dir, commissioningOf(store))
  const mqtt = await services.start(new SiteBroker(config, log)).catch((err: unknown) => {
    throw explainListenError(err, 'embedded MQTT broker', config.mqtt.host, config.mqtt.port, 'LOCKSTEP_MQTT_PORT')
  })
  // The lab's simulators are loaded only in lab mode: a site's daemon does not carry them.
  const lab: LabProperty | null = config.lab
    ? await services.start(new (await import('./lab/property.js')).LabProperty({
        config, store, clock, brokerUrl: mqtt.url, bus, siteKeys, cardSiteId: store.cardCredentials.siteId, random,
      }))
    : null
  const metrics = new Metrics(store)
  await services.start(metrics.listen(bus))
  const metricsSink = metricsOnBus(bus)

  const driverList = async (): Promise<LockDriver[]> => {
    // In the lab, simulated radios stand in for the box's Bluetooth adapter.
    const nuki = lab ? null : await nukiDriver(config, clock, log)
    const zwave = lab ? null : await zwaveDriver(config, clock, log)
    return [zigbeeDriver(config, mqtt.url, clock, log), ...(lab?.drivers ?? []), ...(nuki ? [nuki] : []), ...(zwave ? [zwave] : [])]
  }
  const lockDrivers = new LockDrivers({
    drivers: opts.lockDrivers ?? (await driverList()),
    onEvent: (kind, event) => useCases.devices.onDeviceEvent(config, reconciler, kind, event, log),
    log,
    ...(opts.driverRetryMs !== undefined ? { retryMs: opts.driverRetryMs } : {}),
  })
  const drivers = lockDrivers.byKind
  metrics.radioSource(() => radioReport(store, drivers).flatMap((d) => Object.entries(d.total.by_kind).map(([kind, count]) => ({ deviceId: d.device_id, kind, count }))))
  const reconciler: Reconciler = new Reconciler({
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
    ...driftOptions(config),
    observer: metricsSink,
    log: (msg, detail) => log.warn({ ...detail }, msg),
  })
  await services.start(lockDrivers)
  await services.start(new ReconcilerService({ reconciler, store, bus }))
  await services.start(new CodeDelayWatch({ store, bus, clock, thresholdMs: config.reconcile.delay_warning_seconds * 1000, log: (msg, err) => log.error({ err }, msg) }))
  // Level-triggered all the way: look at every driven device now and then, event or not. A look costs
  // no radio unless the device's drift check is due (reconcile/drift-check.ts).
  await services.start(every('resync', config.reconcile.resync_seconds * 1000, () => {
    for (const d of store.devices.list()) if (drivers.has(d.driver) && d.online) reconciler.poke(d.deviceId)
  }))
  const encoders = await services.start(new Encoders({
    config, store, keys: siteKeys, log, metrics: metricsSink, cardLab: lab?.cardLab ?? null,
    ...(opts.encoderCardWaitMs !== undefined ? { cardWaitMs: opts.encoderCardWaitMs } : {}),
  }))
  const { cardEncoding } = encoders
  await services.start(every('attempt expiry', 5_000, () => useCases.lockActions.expire(ATTEMPT_EXPIRY_MS)))

  // The lab runs its own PMS when fias.url has port 0 (LOCKSTEP_FIAS_URL pointing at another PMS turns it off).
  const pmsLab = lab && config.fias ? await import('./lab/pms-lab.js') : null
  const labPms = pmsLab && config.fias && pmsLab.fiasPort(config.fias.url) === 0
    ? await services.start(pmsLab.labPmsFor(config.fias, {
        clock, ...(lab?.control.cards ? { cards: lab.control.cards } : {}),
        encoderIdOf: (name) => (config.encoders.some((e) => e.name === name) ? store.acs.encoderIdFor(name) : undefined),
      }))
    : null
  // Webhooks: signature timestamps follow real time (opts.clock), not the lab clock moved forward.
  const webhookDelivery = new WebhookDelivery({ store, clock, stampClock: opts.clock ?? systemClock, random, observer: metrics, userAgent: `lockstep/${VERSION}`, log: (msg, detail) => log.warn(detail, msg), ...deliverySettings(config) })
  metrics.watchOutbox(() => webhookDelivery.health())
  await services.start({ name: 'webhook delivery', start: () => webhookDelivery.start(), stop: () => webhookDelivery.stop() })

  const api = await services.start(new ApiService(config.http, {
    useCases, log, metrics, version: VERSION,
    encoderOnline: (id) => cardEncoding.encoderOnline(id),
    plugins: [
      async (a) => encodingRoutes(a, cardEncoding),
      async (a) => radioRoutes(a, () => radioReport(store, drivers)),
      // The lab's routes exist only in lab mode.
      ...(lab ? [lab.routesFor(useCases)] : []),
      ...(labPms ? [async (a: FastifyInstance) => (await import('./lab/pms-routes.js')).labPmsRoutes(a, labPms)] : []),
      async (a) => consoleRoutes(a),
      async (a) => metricsRoute(a, metrics, (key) => useCases.keys.verify(key)),
      async (a) => webhookRoutes(a, new WebhookUseCases(store, webhookDelivery, urlPolicy(config))),
    ],
    openPaths: (p) => p === '/metrics' || CONSOLE_PATHS.has(p),
    health: () => healthReport(store, config, {
      trippedBreakers: () => reconciler.trippedBreakers(),
      offlineEncoders: () => cardEncoding.offlineEncoders(),
      webhookProblems: () => webhookDelivery.degraded(),
    }),
  }))
  // Bind before a key is generated and shown: a busy port must not print a key for a daemon that never ran.
  const generatedApiKey = bootstrapApiKey(store, config, print)
  const url = api.url
  // The fleet uplink (docs/fleet.md): requests from the broker run through the same app as HTTP.
  if (config.uplink) await services.start(new UplinkService({
    config: config.uplink, site: new UplinkApp(store, (err) => log.warn({ err: err.message }, 'uplink cursor not written')), app: api.app, bus, log, version: VERSION,
  }))
  log.info({ url, lab: config.lab, data_dir: config.data_dir, devices: store.devices.list().length }, 'lockstep listening')
  // FIAS last: a key request from the PMS needs the use cases, the encoders and the event log up.
  const fias = config.fias
    ? await services.start(fiasFrontDoor({ ...config.fias, url: labPms?.url ?? config.fias.url }, { useCases, cardEncoding, clock, log }))
    : null

  return {
    url, config, store, clock, lab, reconciler, drivers, encoderDrivers: encoders.drivers, cardEncoding, fias, labPms,
    app: api.app, useCases, log, bus, generatedApiKey, metrics,
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
        sections: [
          ...propertySections(store, (id) => cardEncoding.encoderOnline(id)),
          ...(fias ? [{
            title: 'Hotel PMS (FIAS)',
            rows: [[labPms ? `lab PMS simulator on ${labPms.url}` : `PMS at ${fias.url}`, `link ${fias.state}`,
              `KC ${Object.entries(config.fias!.encoders).map(([k, n]) => `${k} → ${n}`).join(', ') || 'none'}`]],
          }] : []),
        ],
      })
    },
    stop: () => services.stop(),
  }
}

/** Each known lock's radio exchanges, as its running driver counted them (locks of a driver that does not count are left out). */
function radioReport(store: Store, drivers: Map<string, LockDriver>): DeviceRadio[] {
  return store.devices.list().flatMap((d) => {
    const stats = drivers.get(d.driver)?.radioStats?.(d.nativeId)
    if (!stats) return []
    const counts = (c: { exchanges: number; byKind: Record<string, number> }) => ({ exchanges: c.exchanges, by_kind: c.byKind })
    return [{ device_id: d.deviceId, display_name: d.displayName, driver: d.driver, total: counts(stats.total), last_day: counts(stats.lastDay) }]
  })
}

/** Drift checks from config: the safety net is the full read, so both follow reported_check_hours. */
function driftOptions(config: Config): { drift: DriftSettings; fullScanMs: number } {
  const { reported_check_hours: hours, unreported_check_minutes: minutes } = config.reconcile.drift
  const byDriver: Record<string, number> = minutes
  return {
    drift: { reportedCheckMs: hours * 3_600_000, unreportedCheckMs: (kind) => (byDriver[kind] ?? 60) * 60_000 },
    fullScanMs: hours * 3_600_000,
  }
}
