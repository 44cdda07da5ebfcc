// Site configuration: a JSON file validated with zod, then overridden by the LOCKSTEP_* environment
// variables (a contract: see README). A bad config is one clear line naming the field, exit status 2.
import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { z } from 'zod'
import { PACKAGE_ROOT } from './package-root.js'
import { validAllowEntry } from './events/url-policy.js'

export const CONFIG_DIR = join(PACKAGE_ROOT, 'config')

const nameRules = z.strictObject({
  max_length: z.int().min(1).max(64).default(16),
  charset: z.enum(['any', 'printable_ascii', 'alphanumeric_space']).default('printable_ascii'),
  unique: z.boolean().default(false),
})

/** A lock declared in config. In lab mode it is simulated; on a real site a driver discovers it by native_id. */
const lockConfig = z.strictObject({
  name: z.string().min(1),
  driver: z.enum(['zigbee2mqtt', 'nuki-ble', 'zwave-js']),
  native_id: z.string().min(1),
  manufacturer: z.string().min(1),
  model: z.string().min(1),
  device_type: z.string().regex(/^[a-z0-9_]+_lock$/, 'must be a Seam lock device_type such as "yale_lock"'),
  slots: z.int().min(1).max(1000),
  code_length: z.tuple([z.int().min(1).max(12), z.int().min(1).max(12)]).refine(([a, b]) => a <= b, 'min must be <= max'),
  alphabet: z.string().regex(/^[0-9]+$/).default('0123456789'),
  no_leading_zero: z.boolean().default(false),
  name_rules: nameRules.default({ max_length: 16, charset: 'printable_ascii', unique: false }),
  /** Lab only: whether the simulated lock reveals PINs on read (many real Zigbee sites do not). */
  expose_pin: z.boolean().default(true),
  /**
   * Zigbee2MQTT only: whether the lock sends programming events when a code is edited at its keypad.
   * Absent: as the driver's model table says (most do). In the lab it also sets what the simulated lock does.
   */
  reports_code_changes: z.boolean().optional(),
  /** Nuki only: the lock's security PIN, needed once to pair. */
  security_pin: z.int().min(0).max(0xffff).optional(),
})
export type LockConfig = z.infer<typeof lockConfig>

/**
 * How often locks are read to catch codes edited at the lock (docs/configuration.md, "Drift checks").
 * A lock that reports its changes is read in full once per `reported_check_hours` as a safety net; one
 * that reports nothing is checked every `unreported_check_minutes` of its driver.
 */
const DRIFT_DEFAULTS = {
  reported_check_hours: 24,
  unreported_check_minutes: { zigbee2mqtt: 720, 'nuki-ble': 60, 'zwave-js': 60 },
}
const checkMinutes = z.number().min(1).max(43_200)
const driftConfig = z.strictObject({
  reported_check_hours: z.number().min(1).max(720).default(DRIFT_DEFAULTS.reported_check_hours),
  unreported_check_minutes: z
    .strictObject({
      zigbee2mqtt: checkMinutes.default(DRIFT_DEFAULTS.unreported_check_minutes.zigbee2mqtt),
      'nuki-ble': checkMinutes.default(DRIFT_DEFAULTS.unreported_check_minutes['nuki-ble']),
      'zwave-js': checkMinutes.default(DRIFT_DEFAULTS.unreported_check_minutes['zwave-js']),
    })
    .default(DRIFT_DEFAULTS.unreported_check_minutes),
})

const entranceConfig = z.strictObject({
  name: z.string().min(1),
  can_belong_to_reservation: z.boolean().default(true),
})
export type EntranceConfig = z.infer<typeof entranceConfig>

const encoderConfig = z.strictObject({
  name: z.string().min(1),
  /** Serial device path of a PN532 (real site); ignored in lab mode where the encoder is simulated. */
  serial_path: z.string().min(1).optional(),
  baud_rate: z.int().positive().default(115200),
  /** How long the PN532 driver waits for the ACK of a command (default 50 ms, ample for the chip itself); a
   * simulated encoder in another process (`lockstep simulate`) can be delayed by the OS on a loaded host. */
  ack_timeout_ms: z.int().min(1).max(10_000).optional(),
})

/** A fleet site id: lower-case letters, digits and dashes; it is also the site's MQTT user name (ACL `%u`). */
export const SITE_ID_RULE = /^[a-z0-9][a-z0-9-]{0,62}$/
const brokerUrl = z.string().regex(/^mqtts?:\/\//, 'must start with mqtt:// or mqtts://')

/** The box's outbound MQTT 5 session to the fleet broker (docs/fleet.md); null: no uplink. */
const uplinkConfig = z.strictObject({
  url: brokerUrl,
  site_id: z.string().regex(SITE_ID_RULE, 'must be lower-case letters, digits and dashes (it is the MQTT user name)'),
  /** Broker credentials; the user name defaults to the site id (the shipped ACL confines `%u`). */
  username: z.string().min(1).optional(),
  password: z.string().min(1).optional(),
  /** TLS: PEM files of a client certificate and key, and the CA that signed the broker's certificate. */
  cert: z.string().min(1).optional(),
  key: z.string().min(1).optional(),
  ca: z.string().min(1).optional(),
  keepalive_seconds: z.int().min(5).max(3600).default(30),
  /** The broker keeps the session (and queued requests) this long while the box is away; at least one day. */
  session_expiry_seconds: z.int().min(86_400).max(2 ** 32 - 1).default(7 * 86_400),
})

/** `lockstep gateway`: the stateless HTTP front of a fleet (docs/fleet.md). */
const gatewayConfig = z.strictObject({
  broker: brokerUrl.optional(),
  username: z.string().min(1).optional(),
  password: z.string().min(1).optional(),
  cert: z.string().min(1).optional(),
  key: z.string().min(1).optional(),
  ca: z.string().min(1).optional(),
  /** A request not answered by its site within this is a 504. */
  timeout_ms: z.int().min(100).max(300_000).default(15_000),
  /** Keys of the gateway's own operators (GET /sites); LOCKSTEP_API_KEY is one more. */
  operator_keys: z.array(z.string().min(8)).default([]),
  /** Site API key → site id, for clients that call the gateway without /sites/<site> in the path. */
  key_sites: z.record(z.string().min(8), z.string().regex(SITE_ID_RULE)).default({}),
})
/** The PMS's FIAS interface (docs/fias.md). In lab mode port 0 means: run the PMS simulator on a free port. */
const fiasConfig = z.strictObject({
  url: z.string().regex(/^tcp:\/\/(\[[^\]]+\]|[^:/]+):\d{1,5}\/?$/, 'must be tcp://host:port'),
  /** KC (the PMS's key coder id) → encoder name. */
  encoders: z.record(z.string().regex(/^[\x21-\x7e]{1,8}$/, 'KC is 1-8 printable characters'), z.string().min(1)).default({}),
  /** RN (the PMS's room number) → entrance or space name. */
  rooms: z.record(z.string().regex(/^[\x21-\x7e]{1,16}$/, 'RN is 1-16 printable characters'), z.string().min(1)).default({}),
  code_page: z.enum(['cp850', 'latin1', 'ascii']).default('cp850'),
  /** Key end time when the PMS sends no DT (HH:MM, property time). */
  departure_time_default: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM').default('12:00'),
  /** The PMS's key-answer timeout until its LC A0 says otherwise. */
  answer_timeout_seconds: z.int().min(2).max(120).default(10),
  /** The property's time zone: FIAS dates and times are local. */
  time_zone: z.string().refine((tz) => { try { new Intl.DateTimeFormat('en', { timeZone: tz }); return true } catch { return false } }, 'unknown time zone').default('UTC'),
})
export type FiasConfig = z.infer<typeof fiasConfig>

export const configSchema = z.strictObject({
  site: z
    .strictObject({
      name: z.string().min(1).default('lockstep site'),
      allow_shared_emails: z.boolean().default(false),
      reservation_key_required_for_guest_cards: z.boolean().default(false),
    })
    .default({ name: 'lockstep site', allow_shared_emails: false, reservation_key_required_for_guest_cards: false }),
  lab: z.boolean().default(false),
  http: z
    .strictObject({ host: z.string().min(1).default('127.0.0.1'), port: z.int().min(0).max(65535).default(3590) })
    .default({ host: '127.0.0.1', port: 3590 }),
  data_dir: z.string().min(1).default('./data'),
  api_key: z.string().optional(),
  mqtt: z
    .strictObject({
      /** Embedded broker port (loopback) when url is not set. */
      port: z.int().min(0).max(65535).default(1883),
      host: z.string().min(1).default('127.0.0.1'),
      /** An external broker instead of the embedded one, e.g. mqtt://127.0.0.1:1883. */
      url: z.string().regex(/^mqtts?:\/\//, 'must start with mqtt:// or mqtts://').nullable().default(null),
      base_topic: z.string().min(1).default('zigbee2mqtt'),
    })
    .default({ port: 1883, host: '127.0.0.1', url: null, base_topic: 'zigbee2mqtt' }),
  zwave_js: z
    .strictObject({
      /** zwave-js-server's WebSocket (Home Assistant add-on, Z-Wave JS UI), e.g. ws://127.0.0.1:3000; null = no Z-Wave. Lab mode runs its own. */
      url: z.string().regex(/^wss?:\/\//, 'must start with ws:// or wss://').nullable().default(null),
    })
    .default({ url: null }),
  reconcile: z
    .strictObject({
      /**
       * Every device is looked at this often even without a change (desired against last observed). It
       * costs no radio: the device is read only when its drift check is due (see `drift`).
       */
      resync_seconds: z.number().min(1).max(86_400).default(300),
      concurrency: z.int().min(1).max(256).default(8),
      /** A slot read empty this recently (and no event since) takes a new code without another read; 0 = always read. */
      trust_empty_seconds: z.number().min(0).max(86_400).default(600),
      drift: driftConfig.default(DRIFT_DEFAULTS),
      /** A code not set on (or removed from) its lock this long after it should be gets Seam's delay warning and event. */
      delay_warning_seconds: z.number().min(1).max(7 * 86_400).default(300),
    })
    .default({ resync_seconds: 300, concurrency: 8, trust_empty_seconds: 600, drift: DRIFT_DEFAULTS, delay_warning_seconds: 300 }),
  webhooks: z
    .strictObject({
      /** Private/LAN targets allowed: host names, IPs or CIDRs ("192.168.1.20", "10.0.0.0/8", "pms.local"). */
      allow_hosts: z.array(z.string().refine(validAllowEntry, 'must be a host name, an IP address or a CIDR such as 192.168.1.0/24')).default([]),
      /** Webhooks to this machine itself; null: allowed in the lab (receivers run beside it), refused on a site. */
      allow_loopback: z.boolean().nullable().default(null),
      /** One delivery attempt may take this long (connect, send, answer). */
      timeout_seconds: z.number().min(0.1).max(300).default(10),
      /** The first retry comes within this (each later one about 3× later), at most max_retry_seconds apart. */
      first_retry_seconds: z.number().min(0.001).max(3600).default(5),
      max_retry_seconds: z.number().min(1).max(86_400).default(14_400),
      /** An event still failing this long after its first failure is given up and the endpoint marked failing. */
      give_up_after_hours: z.number().min(0.001).max(24 * 60).default(72),
    })
    .default({ allow_hosts: [], allow_loopback: null, timeout_seconds: 10, first_retry_seconds: 5, max_retry_seconds: 14_400, give_up_after_hours: 72 }),
  outbox: z
    .strictObject({
      /** Delivery attempt rows older than this are pruned. */
      retention_days: z.number().min(0).max(3650).default(30),
      /** /health is degraded when a consumer's oldest undelivered event is older than this. */
      behind_seconds: z.number().min(1).max(86_400 * 30).default(300),
    })
    .default({ retention_days: 30, behind_seconds: 300 }),
  uplink: uplinkConfig.nullable().default(null),
  gateway: gatewayConfig.default({ timeout_ms: 15_000, operator_keys: [], key_sites: {} }),
  locks: z.array(lockConfig).default([]),
  entrances: z.array(entranceConfig).default([]),
  encoders: z.array(encoderConfig).default([]),
  fias: fiasConfig.nullable().default(null),
  log_level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
})
export type Config = z.infer<typeof configSchema>

export class ConfigError extends Error {
  override readonly name = 'ConfigError'
}

const API_KEY_RULE = /^seam_(?!at|cst|pk)[A-Za-z0-9_]{8,}$/

function envInt(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name]
  if (raw === undefined || raw === '') return undefined
  if (!/^\d+$/.test(raw) || Number(raw) > 65535) throw new ConfigError(`${name}: must be a port number 0-65535, got "${raw}"`)
  return Number(raw)
}

/**
 * Reads the config file (LOCKSTEP_CONFIG, else the default for the mode), applies environment overrides,
 * validates. Throws ConfigError with one line naming the field.
 */
export function loadConfig(opts: { mode: 'lab' | 'serve'; env?: NodeJS.ProcessEnv; path?: string }): Config & { config_path: string } {
  const env = opts.env ?? process.env
  const path = resolve(opts.path ?? env.LOCKSTEP_CONFIG ?? resolve(CONFIG_DIR, opts.mode === 'lab' ? 'lab.json' : 'default.json'))
  let raw: unknown
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'))
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (err as Error).message
    throw new ConfigError(`config ${path}: ${why}`)
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ConfigError(`config ${path}: must be a JSON object`)
  const merged = structuredClone(raw) as Record<string, any>
  const http = (merged.http ??= {})
  const mqtt = (merged.mqtt ??= {})
  if (env.LOCKSTEP_HTTP_HOST) http.host = env.LOCKSTEP_HTTP_HOST
  const httpPort = envInt(env, 'LOCKSTEP_HTTP_PORT')
  if (httpPort !== undefined) http.port = httpPort
  const mqttPort = envInt(env, 'LOCKSTEP_MQTT_PORT')
  if (mqttPort !== undefined) mqtt.port = mqttPort
  if (env.LOCKSTEP_MQTT_URL) mqtt.url = env.LOCKSTEP_MQTT_URL
  if (env.LOCKSTEP_DATA_DIR) merged.data_dir = env.LOCKSTEP_DATA_DIR
  if (env.LOCKSTEP_API_KEY !== undefined) merged.api_key = env.LOCKSTEP_API_KEY
  if (env.LOCKSTEP_FIAS_URL) merged.fias = { ...(merged.fias ?? {}), url: env.LOCKSTEP_FIAS_URL }
  if (opts.mode === 'lab') merged.lab = true
  // The fleet uplink (lab mode too): the URL and site id from the environment complete or override the file's.
  if (env.LOCKSTEP_UPLINK_URL || env.LOCKSTEP_SITE_ID || env.LOCKSTEP_UPLINK_USERNAME || env.LOCKSTEP_UPLINK_PASSWORD) {
    const uplink = (merged.uplink ??= {})
    if (env.LOCKSTEP_UPLINK_URL) uplink.url = env.LOCKSTEP_UPLINK_URL
    if (env.LOCKSTEP_SITE_ID) uplink.site_id = env.LOCKSTEP_SITE_ID
    if (env.LOCKSTEP_UPLINK_USERNAME) uplink.username = env.LOCKSTEP_UPLINK_USERNAME
    if (env.LOCKSTEP_UPLINK_PASSWORD) uplink.password = env.LOCKSTEP_UPLINK_PASSWORD
  }

  const parsed = configSchema.safeParse(merged)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!
    const field = issue.path.length ? issue.path.join('.') : '(root)'
    throw new ConfigError(`config ${path}: ${field}: ${issue.message}`)
  }
  const config = parsed.data
  if (config.api_key !== undefined && !API_KEY_RULE.test(config.api_key)) {
    throw new ConfigError(
      'LOCKSTEP_API_KEY: must start with "seam_" followed by at least 8 letters, digits or underscores (not seam_at…, seam_cst…, seam_pk…)',
    )
  }
  // Port 0 is the lab's "run the PMS simulator here"; a site's daemon must dial a real PMS.
  if (config.fias && !config.lab && /:0\/?$/.test(config.fias.url)) throw new ConfigError(`config ${path}: fias.url: port 0 (the lab PMS) only in lab mode`)
  const natives = new Set<string>()
  for (const [i, lock] of config.locks.entries()) {
    if (natives.has(lock.native_id)) throw new ConfigError(`config ${path}: locks.${i}.native_id: duplicate "${lock.native_id}"`)
    natives.add(lock.native_id)
    // A Z-Wave lock is addressed by its node id, as Z-Wave JS UI and Home Assistant show it.
    if (lock.driver === 'zwave-js' && !/^[1-9][0-9]{0,3}$/.test(lock.native_id)) {
      throw new ConfigError(`config ${path}: locks.${i}.native_id: a zwave-js lock's native_id is its node id, e.g. "5"`)
    }
  }
  // A relative data dir is relative to the working directory, as a user typing a path expects.
  return { ...config, data_dir: resolve(config.data_dir), config_path: path }
}
