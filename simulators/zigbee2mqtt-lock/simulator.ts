// Plays Zigbee2MQTT for N locks from the device's side: retained bridge/devices and availability,
// answers to /set and /get the way Z2M does (nothing after a set; failures only on bridge/logging),
// programming and operation events. Written independently of adapters/zigbee2mqtt (design rule 6).
import type { Socket } from 'node:net'
import mqtt, { type MqttClient } from 'mqtt'
import { systemClock, type Clock } from '../../src/kernel/clock.js'
import { seededRandom, type Random } from '../../src/kernel/ids.js'
import { isObject } from '../../src/kernel/is-object.js'
import { COORDINATOR_ENTRY, LOCK_MODELS, bridgeDeviceEntry, type LockModel } from './definitions.js'
import { SimulatedLock, type EventSource, type Fields } from './lock.js'
import { StateCache, stableStringify } from './state-cache.js'

export interface SimLockConfig {
  /** Z2M friendly name, e.g. 'Front Door'. */
  name: string
  /** A key of LOCK_MODELS, e.g. 'YRD256HA20BP'. */
  model: string
  ieeeAddress?: string
  /** Defaults to the model's capacity. */
  slots?: number
  minPinLength?: number
  maxPinLength?: number
  /** Z2M's expose_pin device option; real sites usually leave it off. Default true. */
  exposePin?: boolean
  /**
   * The lock sends programming events (a code added, changed or deleted at the keypad or over Zigbee).
   * Default true; some models send none (Z2M has no converter for theirs), so only a read finds edits.
   */
  programmingEvents?: boolean
  faults?: LockFaults
}

export interface LockFaults {
  /** Delay before the lock handles each command or sends each event. */
  latencyMs?: number
  /** Probability that a command (or its answer) is lost over the air. */
  dropRate?: number
  /** The next n commands are lost (deterministic drop for tests). */
  dropNext?: number
  /** Sleepy end device: after `awakeMs` of silence, the next command waits `wakeDelayMs` first. */
  sleepy?: { wakeDelayMs: number; awakeMs: number }
  /** Answer setPinCode with status 3 when the PIN is already in another slot (Z2M hides the status). */
  refuseDuplicates?: boolean
}

export interface SimulatorOptions {
  brokerUrl: string
  baseTopic?: string
  locks: SimLockConfig[]
  clock?: Clock
  /** Seed for dropRate decisions: the same seed drops the same commands. */
  seed?: string
  linkquality?: number
  /**
   * How long Z2M waits for the lock before it logs a failed command on bridge/logging (Z2M: 10 s).
   * Lost commands are reported after this delay, the only failure signal Z2M gives.
   */
  commandTimeoutMs?: number
}

export interface EnterCodeResult {
  granted: boolean
  reason: 'matched' | 'wrong_code' | 'disabled_slot'
  slot: number | null
}

export interface ProgramCodeResult {
  accepted: boolean
  reason?: 'duplicate' | 'bad_format' | 'out_of_range'
}

interface SimDevice {
  config: SimLockConfig
  model: LockModel
  ieee: string
  lock: SimulatedLock
  cache: StateCache
  faults: LockFaults
  online: boolean
  /** Commands are handled one after another, so latency never reorders them. */
  chain: Promise<void>
  lastHeardAt: number
  /** ZCL commands Z2M sent to the lock over the air, by command (what the lock's radio woke for). */
  received: Map<string, number>
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

export class Zigbee2MqttSimulator {
  private readonly base: string
  private readonly clock: Clock
  private readonly random: Random
  private readonly devices = new Map<string, SimDevice>()
  private client: MqttClient | undefined
  private stopped = false

  constructor(private readonly options: SimulatorOptions) {
    this.base = options.baseTopic ?? 'zigbee2mqtt'
    this.clock = options.clock ?? systemClock
    this.random = seededRandom(options.seed ?? 'zigbee2mqtt-lock')
    options.locks.forEach((config, i) => {
      const model = LOCK_MODELS[config.model]
      if (!model) throw new Error(`unknown lock model ${config.model}; known: ${Object.keys(LOCK_MODELS).join(', ')}`)
      // Commands are subscribed with '+' wildcards, which cannot match a name containing '/'.
      if (config.name.includes('/')) throw new Error(`simulated lock names may not contain '/': ${config.name}`)
      if (this.devices.has(config.name)) throw new Error(`duplicate lock name ${config.name}`)
      const lock = new SimulatedLock({
        slots: config.slots ?? model.slots,
        minPinLength: config.minPinLength ?? 4,
        maxPinLength: config.maxPinLength ?? 8,
        exposePin: config.exposePin ?? true,
        refuseDuplicates: config.faults?.refuseDuplicates ?? false,
        eventsForZigbeeChanges: config.programmingEvents ?? true,
        programmingEvents: config.programmingEvents ?? true,
      })
      this.devices.set(config.name, {
        config,
        model,
        ieee: config.ieeeAddress ?? `0x000d6f00${(0x10000000 + i).toString(16).padStart(8, '0')}`,
        lock,
        cache: new StateCache({ linkquality: options.linkquality ?? 87 }),
        faults: { ...config.faults },
        online: true,
        chain: Promise.resolve(),
        lastHeardAt: this.clock.now(),
        received: new Map(),
      })
    })
  }

  async start(): Promise<void> {
    const client = mqtt.connect(this.options.brokerUrl, {
      clientId: `z2m-sim-${process.pid}-${Math.floor(Math.random() * 1e9)}`,
      protocolVersion: 4,
      reconnectPeriod: 500,
      will: { topic: `${this.base}/bridge/state`, payload: Buffer.from('{"state":"offline"}'), qos: 1, retain: true },
    })
    this.client = client
    client.on('connect', () => {
      ;(client.stream as unknown as Partial<Socket>).setNoDelay?.(true)
      client.subscribe([`${this.base}/+/set`, `${this.base}/+/get`, `${this.base}/+/set/+`, `${this.base}/+/get/+`], { qos: 1 })
      // A restarted broker may have lost retained messages; Z2M republishes them on reconnect too.
      this.publishBridge()
    })
    client.on('message', (topic, payload) => this.onCommand(topic, payload))
    client.on('error', () => {})
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`simulator could not reach ${this.options.brokerUrl}`)), 5000)
      client.once('connect', () => {
        clearTimeout(timer)
        resolve()
      })
    })
    // cache_state_send_on_startup: Z2M publishes each device's state once it is up.
    for (const dev of this.devices.values()) this.deviceSends(dev, { ...dev.lock.lockReport(), ...dev.lock.batteryReport() }, true)
  }

  async stop(): Promise<void> {
    this.stopped = true
    const client = this.client
    this.client = undefined
    if (!client) return
    await Promise.allSettled([...this.devices.values()].map((d) => d.chain))
    // Z2M announces a clean shutdown itself; the will message only covers a crash.
    if (client.connected) await client.publishAsync(`${this.base}/bridge/state`, '{"state":"offline"}', { qos: 1, retain: true }).catch(() => undefined)
    await client.endAsync()
  }

  // --- lab API ------------------------------------------------------------------------------------

  deviceNames(): string[] {
    return [...this.devices.keys()]
  }

  /** Someone types a code at the keypad. The lock decides locally; events reach Z2M only if online. */
  enterCode(deviceName: string, code: string): EnterCodeResult {
    const dev = this.device(deviceName)
    const hit = dev.lock.match(code)
    if (!hit) {
      this.deviceSends(dev, dev.lock.operationEvent('unlock_failure_invalid_pin_or_id', 'keypad', null))
      return { granted: false, reason: 'wrong_code', slot: null }
    }
    if (!hit.enabled) {
      this.deviceSends(dev, dev.lock.operationEvent('unlock_failure_invalid_pin_or_id', 'keypad', hit.slot))
      return { granted: false, reason: 'disabled_slot', slot: hit.slot }
    }
    dev.lock.locked = false
    this.deviceSends(dev, dev.lock.operationEvent('unlock', 'keypad', hit.slot))
    this.deviceSends(dev, dev.lock.lockReport())
    return { granted: true, reason: 'matched', slot: hit.slot }
  }

  /** The owner edits a slot at the keypad (or in the maker's app: source 'rf'); the lock sends a programming event. */
  programCode(deviceName: string, slot: number, code: string | null, source: EventSource = 'keypad'): ProgramCodeResult {
    const dev = this.device(deviceName)
    if (!dev.lock.inRange(slot)) return { accepted: false, reason: 'out_of_range' }
    const had = dev.lock.slot(slot) !== null
    const events = dev.lock.rules.programmingEvents !== false
    if (code === null) {
      if (dev.lock.clear(slot) === 'cleared' && events) this.deviceSends(dev, dev.lock.programmingEvent('pin_code_deleted', source, slot))
      return { accepted: true }
    }
    const outcome = dev.lock.store(slot, code, true)
    if (outcome === 'duplicate' || outcome === 'bad_format') return { accepted: false, reason: outcome }
    if (events) this.deviceSends(dev, dev.lock.programmingEvent(had ? 'pin_code_changed' : 'pin_code_added', source, slot))
    return { accepted: true }
  }

  /** The batteries drain (or are replaced): the lock reports the new level, in percent. */
  setBattery(deviceName: string, percent: number): void {
    const dev = this.device(deviceName)
    dev.lock.battery = Math.max(0, Math.min(100, Math.round(percent)))
    this.deviceSends(dev, dev.lock.batteryReport())
  }

  /** Every slot of the lock, empty ones included (code null). */
  slots(deviceName: string): { slot: number; code: string | null }[] {
    return this.device(deviceName).lock.slotsView()
  }

  /** Availability as Z2M reports it; an offline lock ignores commands. */
  setOnline(deviceName: string, online: boolean): void {
    const dev = this.device(deviceName)
    dev.online = online
    this.publishAvailability(dev)
  }

  setFaults(deviceName: string, faults: Partial<LockFaults>): void {
    const dev = this.device(deviceName)
    dev.faults = { ...dev.faults, ...faults }
    if (faults.refuseDuplicates !== undefined) dev.lock.rules.refuseDuplicates = faults.refuseDuplicates
  }

  /** Z2M's expose_pin option for one device (what bridge/request/device/options would change). */
  setExposePin(deviceName: string, expose: boolean): void {
    this.device(deviceName).lock.rules.exposePin = expose
  }

  /**
   * The ZCL commands the lock received over the air, by command (getPinCode, setPinCode, clearPinCode,
   * lockDoor, unlockDoor, read): the lock's own count of radio exchanges, to hold a gateway's count against.
   */
  radioCounts(deviceName: string): Record<string, number> {
    return Object.fromEntries(this.device(deviceName).received)
  }

  /** All ZCL commands the lock received over the air. */
  radioTotal(deviceName: string): number {
    let n = 0
    for (const v of this.device(deviceName).received.values()) n += v
    return n
  }

  isLocked(deviceName: string): boolean {
    return this.device(deviceName).lock.locked
  }

  // --- MQTT ---------------------------------------------------------------------------------------

  private device(name: string): SimDevice {
    const dev = this.devices.get(name)
    if (!dev) throw new Error(`no simulated lock named ${name}`)
    return dev
  }

  private publishBridge(): void {
    const client = this.client
    if (!client) return
    const entries = [COORDINATOR_ENTRY, ...[...this.devices.values()].map((d) => bridgeDeviceEntry(d.config.name, d.ieee, d.model))]
    client.publish(`${this.base}/bridge/state`, '{"state":"online"}', { qos: 1, retain: true })
    client.publish(`${this.base}/bridge/devices`, JSON.stringify(entries), { qos: 1, retain: true })
    for (const dev of this.devices.values()) this.publishAvailability(dev)
  }

  private publishAvailability(dev: SimDevice): void {
    this.client?.publish(`${this.base}/${dev.config.name}/availability`, JSON.stringify({ state: dev.online ? 'online' : 'offline' }), {
      qos: 1,
      retain: true,
    })
  }

  private logError(message: string): void {
    this.client?.publish(`${this.base}/bridge/logging`, stableStringify({ level: 'error', message, namespace: 'z2m' }))
  }

  /** Something the lock sends reaches Z2M (after link latency) unless the lock is offline. */
  private deviceSends(dev: SimDevice, fields: Fields | (() => Fields), immediate = false): void {
    const send = () => this.deviceSendsNow(dev, typeof fields === 'function' ? fields() : fields)
    if (immediate) return send()
    this.enqueue(dev, send)
  }

  private enqueue(dev: SimDevice, work: () => void): void {
    dev.chain = dev.chain.then(async () => {
      let delay = dev.faults.latencyMs ?? 0
      const s = dev.faults.sleepy
      if (s && this.clock.now() - dev.lastHeardAt > s.awakeMs) delay += s.wakeDelayMs
      if (delay > 0) await sleep(delay)
      dev.lastHeardAt = this.clock.now()
      work()
    })
  }

  private lost(dev: SimDevice): boolean {
    if (!dev.online) return true
    if ((dev.faults.dropNext ?? 0) > 0) {
      dev.faults.dropNext! -= 1
      return true
    }
    const rate = dev.faults.dropRate ?? 0
    return rate > 0 && this.random.int(1_000_000) < rate * 1_000_000
  }

  /** Z2M's log line for a command the lock never answered; like Z2M's, it shows the PIN. */
  private reportLost(dev: SimDevice, verb: 'set' | 'get', key: string, call: string): void {
    const ms = this.options.commandTimeoutMs ?? 1000
    const why = dev.online ? `Timeout - ${dev.ieee} - 1 - ${ms}ms` : 'Delivery failed'
    const timer = setTimeout(() => {
      if (!this.stopped) this.logError(`Publish '${verb}' '${key}' to '${dev.config.name}' failed: 'Error: ZCL command ${dev.ieee}/1 closuresDoorLock.${call} failed (${why})'`)
    }, ms)
    timer.unref()
  }

  private onCommand(topic: string, payload: Buffer): void {
    const m = /^(.*)\/(set|get)(?:\/([^/]+))?$/.exec(topic.slice(this.base.length + 1))
    if (!m) return
    const [, name, verb, attr] = m as unknown as [string, string, 'set' | 'get', string | undefined]
    const dev = this.devices.get(name)
    if (!dev) return
    const text = payload.toString()
    let message: Record<string, unknown>
    if (attr) {
      let value: unknown = text
      try {
        value = JSON.parse(text)
      } catch {}
      message = { [attr]: value }
    } else {
      let parsed: unknown
      try {
        parsed = JSON.parse(text)
      } catch {
        parsed = undefined
      }
      // Z2M accepts a bare LOCK/UNLOCK string on /set as {"state": …}.
      if (isObject(parsed)) message = parsed
      else if (verb === 'set' && /^(LOCK|UNLOCK|TOGGLE)$/i.test(text.trim())) message = { state: text.trim().toUpperCase() }
      else return this.logError(`Invalid message '${text}', skipping...`)
    }
    for (const [key, value] of Object.entries(message)) {
      if (verb === 'set') this.onSet(dev, key, value)
      else this.onGet(dev, key, value)
    }
  }

  private onSet(dev: SimDevice, key: string, value: unknown): void {
    const name = dev.config.name
    if (key === 'state') {
      const v = typeof value === 'string' ? value.toUpperCase() : ''
      if (v !== 'LOCK' && v !== 'UNLOCK' && v !== 'TOGGLE') return this.logError(`Publish 'set' 'state' to '${name}' failed: 'Error: Invalid state'`)
      this.received(dev, v === 'UNLOCK' ? 'unlockDoor' : 'lockDoor')
      if (this.lost(dev)) return this.reportLost(dev, 'set', 'state', 'lockDoor({})')
      this.enqueue(dev, () => {
        dev.lock.locked = v === 'TOGGLE' ? !dev.lock.locked : v === 'LOCK'
      })
      this.deviceSends(dev, () => dev.lock.lockReport())
      return
    }
    if (key !== 'pin_code') return this.logError(`No converter available for '${key}' on '${name}'`)
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      return this.logError(`Publish 'set' 'pin_code' to '${name}' failed: 'Error: pin_code is not a object, got ${typeof value} (${JSON.stringify(value)})'`)
    }
    const v = value as Record<string, unknown>
    if (!dev.lock.inRange(v.user)) return this.logError(`Publish 'set' 'pin_code' to '${name}' failed: 'Error: user must be in range for device'`)
    const user = v.user
    const clearing = !('pin_code' in v) || v.pin_code === null
    const types = ['unrestricted', 'year_day_schedule', 'week_day_schedule', 'master', 'non_access']
    if (!clearing && v.user_type !== undefined && !types.includes(String(v.user_type))) {
      return this.logError(`Publish 'set' 'pin_code' to '${name}' failed: 'Error: Key '${String(v.user_type)}' not found in: [${types.join(', ')}]'`)
    }
    this.received(dev, clearing ? 'clearPinCode' : 'setPinCode')
    if (this.lost(dev)) {
      const call = clearing ? `clearPinCode({"userid":${user}})` : `setPinCode(${JSON.stringify({ userid: user, pincodevalue: String(v.pin_code) })})`
      return this.reportLost(dev, 'set', 'pin_code', call)
    }
    // Z2M waits for the lock's response but ignores its status and publishes nothing (docs/protocols/zigbee2mqtt-lock.md §2).
    this.enqueue(dev, () => {
      const before = dev.lock.slot(user)
      if (clearing) {
        if (dev.lock.clear(user) === 'cleared' && dev.lock.rules.eventsForZigbeeChanges) {
          this.deviceSendsNow(dev, dev.lock.programmingEvent('pin_code_deleted', 'rf', user))
        }
        return
      }
      const outcome = dev.lock.store(user, String(v.pin_code), v.user_enabled !== false)
      if (outcome === 'stored' && dev.lock.rules.eventsForZigbeeChanges) {
        this.deviceSendsNow(dev, dev.lock.programmingEvent(before ? 'pin_code_changed' : 'pin_code_added', 'rf', user))
      }
    })
  }

  private onGet(dev: SimDevice, key: string, value: unknown): void {
    const name = dev.config.name
    if (key === 'state') {
      this.received(dev, 'read')
      if (this.lost(dev)) return this.reportLost(dev, 'get', 'state', 'read(["lockState"])')
      return this.deviceSends(dev, () => dev.lock.lockReport())
    }
    if (key !== 'pin_code') return this.logError(`No converter available for '${key}' on '${name}'`)
    const user = typeof value === 'object' && value !== null ? (value as Record<string, unknown>).user : undefined
    if (user === undefined) {
      // Read-all: one getPinCode per slot; the first one lost ends the scan, as in Z2M.
      for (let n = 0; n < dev.lock.rules.slots; n++) {
        this.received(dev, 'getPinCode')
        if (this.lost(dev)) return this.reportLost(dev, 'get', 'pin_code', `getPinCode({"userid":${n}})`)
        this.enqueue(dev, () => this.deviceSendsNow(dev, dev.lock.pinCodeAnswer(n)))
      }
      return
    }
    if (!dev.lock.inRange(user)) return this.logError(`Publish 'get' 'pin_code' to '${name}' failed: 'Error: user must be in range for device'`)
    this.received(dev, 'getPinCode')
    if (this.lost(dev)) return this.reportLost(dev, 'get', 'pin_code', `getPinCode({"userid":${user}})`)
    // The answer reflects the table when the lock handles the request, after earlier commands.
    this.enqueue(dev, () => this.deviceSendsNow(dev, dev.lock.pinCodeAnswer(user)))
  }

  /** Z2M sent a ZCL command towards the lock (counted even when the air loses it: the radio still tried). */
  private received(dev: SimDevice, command: string): void {
    dev.received.set(command, (dev.received.get(command) ?? 0) + 1)
  }

  /** Inside the per-lock chain: already delayed, publish now. */
  private deviceSendsNow(dev: SimDevice, fields: Fields): void {
    if (!dev.online || this.stopped) return
    this.client?.publish(`${this.base}/${dev.config.name}`, dev.cache.publish(fields), { qos: 0 })
  }
}
