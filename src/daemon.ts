// Composition root: config → store → drivers → reconciler → API (design.md).
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { OffsetClock, systemClock, type Clock } from './kernel/clock.js'
import { VERSION } from './package-root.js'
import type { Config, LockConfig } from './config.js'
import { cryptoRandom, type Random } from './kernel/ids.js'
import { createLogger, type Logger } from './log.js'
import { buildApi } from './api/server.js'
import type { LockCommands } from './api/commands.js'
import type { LockDriver } from './ports/lock-driver.js'
import type { DeviceEvent, DiscoveredLock } from './ports/device-events.js'
import { Reconciler } from './reconcile/reconciler.js'
import { SqliteReconcileRepo } from './store/reconcile-repo.js'
import { Store } from './store/store.js'
import { nukiDriver, startBrokerForSite, zigbeeDriver, zwaveDriver } from './drivers.js'
import type { LabProperty } from './lab/property.js'
import { labRoutes } from './api/routes/lab.js'
import { DB_FILE, LAB_KEY_FILE } from './files.js'
import { Metrics, metricsRoute } from './metrics.js'
import { renderBanner, type BannerSectionSource } from './banner.js'
import { CONSOLE_PATHS, consoleRoutes } from './console/serve.js'
import { loadOrCreateSiteKeys } from './store/card-key-files.js'
import { encoderKeyring } from './domain/card-issue.js'
import type { SiteKeys } from './protocols/lockstep-card/keys.js'
import type { EncoderDriver } from './ports/encoder-driver.js'
import { Pn532EncoderDriver } from '../adapters/pn532-serial/driver.js'
import { CardEncoding } from './encoding/card-encoding.js'
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
  cardEncoding: CardEncoding
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

export { VERSION }

const ATTEMPT_TIMEOUT_MS = 30_000
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
  store.tx(() => store.acs.sync(config.entrances, config.encoders, `${config.site.name} offline card locks`))
  const mqtt = await startBrokerForSite(config, log)
  let reconciler: Reconciler | undefined
  // The lab's simulators are loaded only in lab mode: a site's daemon does not carry them.
  const lab: LabProperty | null = config.lab
    ? await (await import('./lab/property.js')).startLabProperty({
        config, store, clock, brokerUrl: mqtt.url, siteKeys, cardSiteId: store.cards.siteId, random,
        onClockAdvanced: () => {
          for (const d of store.devices.list()) reconciler?.poke(d.deviceId)
        },
      })
    : null
  const drivers = new Map<string, LockDriver>()
  const siteDrivers = async (): Promise<LockDriver[]> => {
    // In the lab, simulated radios stand in for the box's Bluetooth adapter.
    const nuki = lab ? null : await nukiDriver(config, clock, log)
    const zwave = lab ? null : await zwaveDriver(config, clock, log)
    return [zigbeeDriver(config, mqtt.url, clock, log), ...(lab?.drivers ?? []), ...(nuki ? [nuki] : []), ...(zwave ? [zwave] : [])]
  }
  for (const d of opts.lockDrivers ?? (await siteDrivers())) drivers.set(d.kind, d)

  const generatedApiKey = bootstrapApiKey(store, config, print)
  registerConfiguredLocks(store, config)
  const encoderDrivers = startEncoderDrivers(config, store, siteKeys, lab)

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
  store.work.subscribe((deviceId) => reconciler.poke(deviceId))

  const cardEncoding = new CardEncoding({
    store, keys: siteKeys, drivers: encoderDrivers, log, metrics,
    ...(opts.encoderCardWaitMs !== undefined ? { cardWaitMs: opts.encoderCardWaitMs } : {}),
  })
  const app = buildApi({
    store, log, commands, metrics, version: VERSION, site: config.site,
    encoderOnline: (id) => cardEncoding.encoderOnline(id),
    plugins: [
      (a: FastifyInstance) => encodingRoutes(a, cardEncoding),
      ...(lab ? [(a: FastifyInstance) => labRoutes(a, store, lab!.control)] : []),
      consoleRoutes,
      (a) => metricsRoute(a, metrics, (key) => store.apiKeys.verify(key)),
    ],
    openPaths: (p) => p === '/metrics' || CONSOLE_PATHS.has(p),
    health: () => healthReport(store, config),
  })
  const expiry = setInterval(() => store.tx(() => store.actionAttempts.expire(ATTEMPT_EXPIRY_MS)), 5_000)
  expiry.unref()

  // One broken or slow radio must not take the site down: the API comes up regardless, and a driver
  // still starting after DRIVER_START_WAIT_MS goes on in the background (its locks stay offline until then).
  // A driver that fails to start (a Bluetooth adapter not plugged in yet) is tried again with backoff.
  let stopped = false
  const retries = new Set<NodeJS.Timeout>()
  const startDriver = (driver: LockDriver, attempt: number): Promise<boolean> =>
    driver.start((event) => onDeviceEvent(config, store, reconciler!, driver.kind, event, log)).then(
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
    url, config, store, clock, lab, reconciler, drivers, encoderDrivers, cardEncoding, app, log, generatedApiKey, metrics, bannerSections,
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
