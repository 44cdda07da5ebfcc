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
  stop(): Promise<void>
}

const ATTEMPT_TIMEOUT_MS = 30_000
const ATTEMPT_EXPIRY_MS = 60_000

export const DB_FILE = 'lockstep.db'
export const LAB_KEY_FILE = 'lab-api-key'

export async function startDaemon(config: Config, opts: DaemonOptions = {}): Promise<Daemon> {
  const log = opts.log ?? createLogger(config.log_level)
  const print = opts.print ?? ((line: string) => process.stdout.write(line + '\n'))
  const clock = opts.clock ?? new OffsetClock()
  const random = opts.random ?? cryptoRandom
  const store = Store.open(join(config.data_dir, DB_FILE), clock, random)
  const drivers = new Map<string, LockDriver>()

  const generatedApiKey = bootstrapApiKey(store, config, print)
  registerConfiguredLocks(store, config)
  store.tx(() => store.acs.sync(config.entrances, config.encoders, `${config.site.name} offline card locks`))

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

  const app = buildApi({ store, log, commands, site: config.site })
  const expiry = setInterval(() => store.tx(() => store.actionAttempts.expire(ATTEMPT_EXPIRY_MS)), 5_000)
  expiry.unref()

  await app.listen({ host: config.http.host, port: config.http.port })
  const address = app.server.address()
  const port = typeof address === 'object' && address ? address.port : config.http.port
  const url = `http://${config.http.host.includes(':') ? `[${config.http.host}]` : config.http.host}:${port}`
  log.info({ url, lab: config.lab, data_dir: config.data_dir, devices: store.devices.list().length }, 'lockstep listening')

  let stopped = false
  return {
    url, config, store, app, log, generatedApiKey,
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
