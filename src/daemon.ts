// Composition root (docs/design-rules.md): config → store → broker → lab → drivers → reconciler → encoders → API,
// each a service started in that order by one Lifecycle, which stops them in reverse. The parts talk
// through one typed bus (src/bus.ts); every service removes its listeners when it stops.
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { OffsetClock, systemClock, type Clock } from './kernel/clock.js'
import { VERSION } from './package-root.js'
import type { Config, LockConfig } from './config.js'
import { cryptoRandom, type Random } from './kernel/ids.js'
import { createLogger, type Logger } from './log.js'
import { explainListenError } from './api/server.js'
import type { LockCommands } from './api/commands.js'
import type { LockDriver } from './ports/lock-driver.js'
import type { DeviceEvent, DiscoveredLock } from './ports/device-events.js'
import { Reconciler, type DriftSettings } from './reconcile/reconciler.js'
import { SqliteReconcileRepo } from './store/reconcile-repo.js'
import type { Store } from './store/store.js'
import { LockDrivers, nukiDriver, zigbeeDriver } from './drivers.js'
import { SiteBroker } from './mqtt/broker.js'
import type { LabProperty } from './lab/property.js'
import { encodingRoutes } from './api/routes/encoding.js'
import { radioRoutes, type DeviceRadio } from './api/routes/radio.js'
import { DB_FILE, LAB_KEY_FILE } from './files.js'
import { Metrics, metricsOnBus, metricsRoute } from './metrics.js'
import { propertySections, renderBanner } from './banner.js'
import { CONSOLE_PATHS, consoleRoutes } from './console/serve.js'
import { loadOrCreateSiteKeys } from './store/card-key-files.js'
import type { EncoderDriver } from './ports/encoder-driver.js'
import type { CardEncoding } from './encoding/card-encoding.js'
import { createDaemonBus, type DaemonBus } from './bus.js'
import { every, Lifecycle } from './kernel/service.js'
import { StoreService } from './services/store.js'
import { ReconcilerService } from './services/reconciler.js'
import { Encoders } from './services/encoders.js'
import { ApiService } from './services/api.js'

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
  cardEncoding: CardEncoding
  app: FastifyInstance
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
  store.tx(() => store.acs.sync(config.entrances, config.encoders, `${config.site.name} offline card locks`))
  registerConfiguredLocks(store, config)
  const mqtt = await services.start(new SiteBroker(config, log)).catch((err: unknown) => {
    throw explainListenError(err, 'embedded MQTT broker', config.mqtt.host, config.mqtt.port, 'LOCKSTEP_MQTT_PORT')
  })
  // The lab's simulators are loaded only in lab mode: a site's daemon does not carry them.
  const lab: LabProperty | null = config.lab
    ? await services.start(new (await import('./lab/property.js')).LabProperty({
        config, store, clock, brokerUrl: mqtt.url, bus, siteKeys, cardSiteId: store.cards.siteId, random,
      }))
    : null
  const metrics = new Metrics(store)
  await services.start(metrics.listen(bus))
  const metricsSink = metricsOnBus(bus)

  const driverList = async (): Promise<LockDriver[]> => {
    // In the lab, simulated radios stand in for the box's Bluetooth adapter.
    const nuki = lab ? null : await nukiDriver(config, clock, log)
    return [zigbeeDriver(config, mqtt.url, clock, log), ...(lab?.drivers ?? []), ...(nuki ? [nuki] : [])]
  }
  const lockDrivers = new LockDrivers({
    drivers: opts.lockDrivers ?? (await driverList()),
    onEvent: (kind, event) => onDeviceEvent(config, store, reconciler, kind, event, log),
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
  await services.start(every('attempt expiry', 5_000, () => store.tx(() => store.actionAttempts.expire(ATTEMPT_EXPIRY_MS))))

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

  const api = await services.start(new ApiService(config.http, {
    store, log, commands, metrics, version: VERSION, site: config.site,
    encoderOnline: (id) => cardEncoding.encoderOnline(id),
    plugins: [
      async (a) => encodingRoutes(a, cardEncoding),
      async (a) => radioRoutes(a, () => radioReport(store, drivers)),
      // The lab's routes exist only in lab mode.
      ...(lab ? [lab.routes] : []),
      async (a) => consoleRoutes(a),
      async (a) => metricsRoute(a, metrics, (key) => store.apiKeys.verify(key)),
    ],
    openPaths: (p) => p === '/metrics' || CONSOLE_PATHS.has(p),
    health: () => healthReport(store, config),
  }))
  // Bind before a key is generated and shown: a busy port must not print a key for a daemon that never ran.
  const generatedApiKey = bootstrapApiKey(store, config, print)
  const url = api.url
  log.info({ url, lab: config.lab, data_dir: config.data_dir, devices: store.devices.list().length }, 'lockstep listening')

  return {
    url, config, store, clock, lab, reconciler, drivers, encoderDrivers: encoders.drivers, cardEncoding,
    app: api.app, log, bus, generatedApiKey, metrics,
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
        sections: propertySections(store, (id) => cardEncoding.encoderOnline(id)),
      })
    },
    stop: () => services.stop(),
  }
}

/** A driver's report: the registry (discovery, battery) is the daemon's; everything else goes to the reconciler. */
function onDeviceEvent(config: Config, store: Store, reconciler: Reconciler, driver: string, event: DeviceEvent, log: Logger): void {
  try {
    if (event.type === 'discovered') {
      // Config speaks for the site: its name and the manufacturer app's name rules win over what the radio says.
      const declared = config.locks.find((l) => l.driver === driver && l.native_id === event.device.nativeId)
      const lock: DiscoveredLock = declared
        ? { ...event.device, displayName: declared.name, constraints: { ...event.device.constraints, name: nameRules(declared) } }
        : event.device
      const { device, created } = store.tx(() => {
        const result = store.devices.upsert(lock)
        store.devices.setOnline(result.device.deviceId, lock.online)
        return result
      })
      if (created) log.info({ device_id: device.deviceId, name: device.displayName, driver }, 'new lock discovered')
      reconciler.onDeviceEvent(device.deviceId, { type: event.device.online ? 'online' : 'offline', nativeId: event.device.nativeId })
      return
    }
    const device = store.devices.findByNative(driver, event.nativeId)
    if (!device) return log.debug({ driver, native_id: event.nativeId, type: event.type }, 'event for an unknown device ignored')
    if (event.type === 'battery') return void store.tx(() => store.devices.setBattery(device.deviceId, event.level))
    // The registry follows availability at once; the reconciler only hears about transitions it saw.
    if (event.type === 'online' || event.type === 'offline') store.tx(() => store.devices.setOnline(device.deviceId, event.type === 'online'))
    reconciler.onDeviceEvent(device.deviceId, event)
  } catch (err) {
    log.error({ err, driver, type: event.type }, 'device event failed')
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

function nameRules(lock: LockConfig) {
  return { maxLength: lock.name_rules.max_length, charset: lock.name_rules.charset, unique: lock.name_rules.unique }
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
          name: nameRules(lock),
        },
      }
      store.devices.upsert(discovered)
    }
  })
}
