// Zigbee2MQTT ↔ LockDriver. Translates port calls into /set and /get publishes and state messages
// into DeviceEvents. It decides nothing: one request, one timeout, and the device's answer reported
// as it is (design rule 5). Z2M sends no confirmation after a set, so every write is read back.
import type { Socket } from 'node:net'
import mqtt, { type MqttClient } from 'mqtt'
import { systemClock, type Clock } from '../../src/kernel/clock.js'
import { SerialQueue } from '../../src/kernel/serial-queue.js'
import type { DeviceEvent, DeviceEventSink } from '../../src/ports/device-events.js'
import type { CodeConstraints, LockDriver, SlotReading } from '../../src/ports/lock-driver.js'
import { RejectedByDeviceError, TransientDeviceError, UnsupportedByDeviceError } from '../../src/ports/errors.js'
import { constraintsFor, parseBridgeDevices, type Z2mLockEntry } from './discovery.js'
import type { LockModelFacts } from './models.js'
import {
  batteryLevel,
  clearPinPayload,
  getPinPayload,
  lockEvent,
  lockStatePayload,
  lockedFromState,
  parseAvailability,
  parseJson,
  redactPins,
  setPinPayload,
  userSlot,
  type Source,
  type UserSlot,
} from './payloads.js'

/**
 * Requests (/set, /get) go at QoS 0. A request lost with the connection fails its waiter at once and the
 * next pass asks again; at QoS 1 the client would re-send it after a reconnect, when it may be stale
 * (an UNLOCK minutes late, a PIN the reconciler has moved on from), and the broker would owe a PUBACK each.
 */
const REQUEST = { qos: 0 } as const

export interface Zigbee2MqttDriverOptions {
  /** Broker URL, e.g. mqtt://127.0.0.1:1883. */
  url: string
  /** Z2M's mqtt.base_topic. */
  baseTopic?: string
  /** How long one request (a slot read, a write's read-back, a lock action) waits for the lock. */
  requestTimeoutMs?: number
  /** start() waits this long for the first connection, then returns and keeps reconnecting. */
  connectTimeoutMs?: number
  reconnectPeriodMs?: number
  clock?: Clock
  /** Facts bridge/devices lacks, by friendly name (config, or models the table does not know). */
  devices?: Record<string, Partial<LockModelFacts>>
  clientId?: string
  log?: (level: 'debug' | 'warn', message: string) => void
}

type Json = Record<string, unknown>
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v)

interface Waiter {
  /** Returns true when this message settles the request. */
  onState(state: Json): boolean
  fail(error: Error): void
}

interface Device {
  entry: Z2mLockEntry
  constraints: CodeConstraints | undefined
  online: boolean
  locked: boolean | undefined
  battery: number | undefined
  /** Occupied slots as last read back: only used to name a refusal ("duplicate of slot n"). */
  readBack: Map<number, UserSlot>
  /** Slot → clock time of our own last write; the lock echoes those as rf programming events. */
  ownWrites: Map<number, number>
  waiters: Set<Waiter>
  /** Set while our own lock/unlock is in flight: the report that follows is a remote action. */
  lockActionInFlight: boolean
  queue: SerialQueue
  entryKey: string
}

const SOURCE_TO_SLOT_CHANGE: Record<Source, 'keypad' | 'app' | 'unknown'> = {
  keypad: 'keypad',
  rf: 'app',
  manual: 'unknown',
  rfid: 'unknown',
  fingerprint: 'unknown',
  auto: 'unknown',
  unknown: 'unknown',
}

const SOURCE_TO_METHOD = {
  keypad: 'keycode',
  rf: 'remote',
  manual: 'manual',
  auto: 'automatic',
  rfid: 'unknown',
  fingerprint: 'unknown',
  unknown: 'unknown',
} as const

export class Zigbee2MqttDriver implements LockDriver {
  readonly kind = 'zigbee2mqtt'
  private readonly base: string
  private readonly timeoutMs: number
  private readonly clock: Clock
  private readonly devices = new Map<string, Device>()
  /** Availability can arrive before bridge/devices names the device. */
  private readonly availability = new Map<string, 'online' | 'offline'>()
  /** Z2M itself (bridge/state): when it is down, no lock is reachable whatever its availability says. */
  private bridgeOnline = true
  /** Connected since the last 'close' (events flowing). */
  private linkUp = false
  private client: MqttClient | undefined
  private sink: DeviceEventSink = () => {}

  constructor(private readonly options: Zigbee2MqttDriverOptions) {
    this.base = options.baseTopic ?? 'zigbee2mqtt'
    this.timeoutMs = options.requestTimeoutMs ?? 10_000
    this.clock = options.clock ?? systemClock
  }

  async start(sink: DeviceEventSink): Promise<void> {
    this.sink = sink
    const client = mqtt.connect(this.options.url, {
      clientId: this.options.clientId ?? `lockstep-z2m-${process.pid}-${Math.floor(Math.random() * 1e9)}`,
      protocolVersion: 4,
      clean: true,
      reconnectPeriod: this.options.reconnectPeriodMs ?? 1000,
      // Nothing published while disconnected is kept for later (see REQUEST).
      queueQoSZero: false,
      connectTimeout: this.options.connectTimeoutMs ?? 5000,
    })
    this.client = client
    client.on('connect', () => {
      this.linkUp = true
      // Nagle would add ~40 ms to every request/answer pair (reference/environment.md).
      ;(client.stream as unknown as Partial<Socket>).setNoDelay?.(true)
      // Subscribing on every connect covers a restarted broker that lost its sessions. Exact topics,
      // not `<base>/#`: the driver would otherwise receive its own /set and /get traffic.
      this.subscribe([`${this.base}/bridge/devices`, `${this.base}/bridge/state`, `${this.base}/bridge/logging`])
      this.subscribe([...this.devices.keys()].flatMap((name) => this.deviceTopics(name)))
    })
    client.on('close', () => {
      this.failAll(new TransientDeviceError('MQTT connection lost'))
      // Programming events sent while the broker was out of reach are gone for good.
      // Said once per outage: 'close' repeats on every failed reconnect attempt.
      if (this.linkUp) for (const name of this.devices.keys()) this.emit({ type: 'eventsMissed', nativeId: name })
      this.linkUp = false
    })
    client.on('error', (err) => this.options.log?.('warn', `mqtt: ${err.message}`))
    client.on('message', (topic, payload) => this.onMessage(topic, payload))
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, this.options.connectTimeoutMs ?? 5000)
      client.once('connect', () => {
        clearTimeout(timer)
        resolve()
      })
    })
  }

  async stop(): Promise<void> {
    this.failAll(new TransientDeviceError('driver stopped'))
    const client = this.client
    this.client = undefined
    this.sink = () => {}
    if (client) await client.endAsync(true)
  }

  /** Whether the broker connection is up (requests throw TransientDeviceError while it is not). */
  isConnected(): boolean {
    return this.client?.connected === true
  }

  /** Friendly names of the PIN locks seen in bridge/devices. */
  deviceIds(): string[] {
    return [...this.devices.keys()]
  }

  constraints(nativeId: string): CodeConstraints {
    const c = this.device(nativeId).constraints
    if (!c) throw new UnsupportedByDeviceError(`slot count of ${nativeId} unknown: declare it in config`)
    return c
  }

  /**
   * Reads each slot with its own /get and waits for the answer. `slots` narrows the read to the slots
   * the caller manages (a 250-slot Yale takes minutes to read whole). After the first slot that does
   * not answer, the rest are reported unreadable without asking: Z2M's own read-all stops there too,
   * and a silent lock would otherwise hold the device for slotCount × timeout.
   */
  async readSlots(nativeId: string, slots?: number[]): Promise<SlotReading[]> {
    const dev = this.device(nativeId)
    const c = this.constraints(nativeId)
    const wanted = slots ?? Array.from({ length: c.slotCount }, (_, i) => c.firstSlot + i)
    for (const s of wanted) this.checkSlot(dev, s)
    this.connectedClient()
    if (!dev.online) return wanted.map((slot) => ({ slot, state: 'unreadable', reason: 'device offline' }))
    return this.serial(dev, async () => {
      const out: SlotReading[] = []
      let stoppedBy: string | undefined
      for (const slot of wanted) {
        if (stoppedBy) {
          out.push({ slot, state: 'unreadable', reason: `not read: ${stoppedBy}` })
          continue
        }
        try {
          const answer = await this.readOne(dev, slot)
          out.push(toReading(slot, answer))
        } catch (err) {
          // A lost broker is not the lock's silence: the whole read failed.
          if (!(err instanceof TransientDeviceError) || !this.client?.connected) throw err
          stoppedBy = err.message
          out.push({ slot, state: 'unreadable', reason: err.message })
        }
      }
      return out
    })
  }

  /** Resolves with the read-back that confirmed the write (the lock's own report of the slot). */
  async writeSlot(nativeId: string, slot: number, code: string, _name: string): Promise<SlotReading> {
    const dev = this.device(nativeId)
    this.checkSlot(dev, slot)
    const c = this.constraints(nativeId)
    if (!/^[0-9]+$/.test(code) || code.length < c.minLength || code.length > c.maxLength) {
      throw new RejectedByDeviceError('bad_format', `code must be ${c.minLength}–${c.maxLength} digits`)
    }
    this.checkOnline(dev)
    return this.serial(dev, async () => {
      const result = await this.setAndReadBack(dev, slot, setPinPayload(slot, code), (a) =>
        a.kind === 'occupied' && (a.code === null || a.code === code),
      )
      if (result.ok) {
        noteReadBack(dev, slot, result.answer)
        return toReading(slot, result.answer)
      }
      const duplicateOf = [...dev.readBack].find(([s, a]) => s !== slot && a.kind === 'occupied' && a.code === code)
      throw duplicateOf
        ? new RejectedByDeviceError('duplicate_code', `lock kept slot ${slot} unchanged; slot ${duplicateOf[0]} holds the same code`)
        : new RejectedByDeviceError('other', `lock kept slot ${slot} unchanged (duplicate or rejected code)`)
    })
  }

  async clearSlot(nativeId: string, slot: number): Promise<SlotReading> {
    const dev = this.device(nativeId)
    this.checkSlot(dev, slot)
    this.checkOnline(dev)
    return this.serial(dev, async () => {
      const result = await this.setAndReadBack(dev, slot, clearPinPayload(slot), (a) => a.kind === 'empty')
      if (result.ok) {
        noteReadBack(dev, slot, result.answer)
        return toReading(slot, result.answer)
      }
      throw new RejectedByDeviceError('other', `lock kept slot ${slot} after a clear`)
    })
  }

  async lockAction(nativeId: string, action: 'lock' | 'unlock'): Promise<void> {
    const dev = this.device(nativeId)
    this.checkOnline(dev)
    const want = action === 'lock'
    await this.serial(dev, async () => {
      const client = this.connectedClient()
      const done = this.waitFor(dev, (state) => (state.action === undefined && lockedFromState(state) === want ? true : undefined))
      client.publish(`${this.base}/${dev.entry.friendlyName}/set`, lockStatePayload(action), REQUEST)
      dev.lockActionInFlight = true
      try {
        if ((await done) === undefined) throw new TransientDeviceError(`${nativeId} did not report ${action} in ${this.timeoutMs} ms`)
      } finally {
        dev.lockActionInFlight = false
      }
    })
  }

  // --- requests -----------------------------------------------------------------------------------

  private async readOne(dev: Device, slot: number): Promise<UserSlot> {
    const client = this.connectedClient()
    // Event messages repeat the cached (possibly stale) users map; only plain state messages answer a read.
    const answer = this.waitFor(dev, (state) => (state.action === undefined ? userSlot(state, slot) : undefined))
    client.publish(`${this.base}/${dev.entry.friendlyName}/get`, getPinPayload(slot), REQUEST)
    const got = await answer
    if (got === undefined) throw new TransientDeviceError(`slot ${slot} of ${dev.entry.friendlyName} did not answer in ${this.timeoutMs} ms`)
    noteReadBack(dev, slot, got)
    return got
  }

  /**
   * Publishes a set and a get, then waits for users[slot] to match. A non-matching answer may be the
   * stale cache, so it does not end the wait; at the deadline, a seen-but-wrong answer means the lock
   * refused (Z2M hides the refusal status), and no answer at all means the lock was not reached.
   */
  private async setAndReadBack(
    dev: Device,
    slot: number,
    setPayload: string,
    matches: (a: UserSlot) => boolean,
  ): Promise<{ ok: true; answer: UserSlot } | { ok: false; answer: UserSlot }> {
    const client = this.connectedClient()
    const topic = `${this.base}/${dev.entry.friendlyName}`
    let mismatch: UserSlot | undefined
    const answer = this.waitFor(dev, (state) => {
      if (state.action !== undefined) return undefined
      const a = userSlot(state, slot)
      if (a === undefined) return undefined
      if (matches(a)) return a
      mismatch = a
      return undefined
    })
    dev.ownWrites.set(slot, this.clock.now())
    client.publish(`${topic}/set`, setPayload, REQUEST)
    client.publish(`${topic}/get`, getPinPayload(slot), REQUEST)
    const got = await answer
    if (got !== undefined) return { ok: true, answer: got }
    if (mismatch !== undefined) return { ok: false, answer: mismatch }
    throw new TransientDeviceError(`slot ${slot} of ${dev.entry.friendlyName} did not answer the read-back in ${this.timeoutMs} ms`)
  }

  /** Resolves with the first value `pick` returns for a state message, or undefined at the timeout. */
  private waitFor<T>(dev: Device, pick: (state: Json) => T | undefined): Promise<T | undefined> {
    return new Promise<T | undefined>((resolve, reject) => {
      const finish = () => {
        clearTimeout(timer)
        dev.waiters.delete(waiter)
      }
      const waiter: Waiter = {
        onState(state) {
          const v = pick(state)
          if (v === undefined) return false
          finish()
          resolve(v)
          return true
        },
        fail(error) {
          finish()
          reject(error)
        },
      }
      const timer = setTimeout(() => {
        finish()
        resolve(undefined)
      }, this.timeoutMs)
      dev.waiters.add(waiter)
    })
  }

  /** One request per lock at a time: Z2M and the lock interleave badly otherwise (reference §2). */
  private serial<T>(dev: Device, fn: () => Promise<T>): Promise<T> {
    return dev.queue.run(fn)
  }

  private device(nativeId: string): Device {
    const dev = this.devices.get(nativeId)
    if (!dev) throw new TransientDeviceError(`${nativeId} is not in bridge/devices (yet)`)
    return dev
  }

  private checkSlot(dev: Device, slot: number): void {
    const c = this.constraints(dev.entry.friendlyName)
    if (!Number.isInteger(slot) || slot < c.firstSlot || slot >= c.firstSlot + c.slotCount) {
      throw new RejectedByDeviceError('bad_format', `slot ${slot} is outside ${c.firstSlot}…${c.firstSlot + c.slotCount - 1}`)
    }
  }

  private checkOnline(dev: Device): void {
    this.connectedClient()
    if (!dev.online) throw new TransientDeviceError(`${dev.entry.friendlyName} is offline`)
  }

  private connectedClient(): MqttClient {
    if (!this.client?.connected) throw new TransientDeviceError('MQTT broker not connected')
    return this.client
  }

  private failAll(error: Error): void {
    for (const dev of this.devices.values()) for (const w of [...dev.waiters]) w.fail(error)
  }

  // --- incoming -----------------------------------------------------------------------------------

  private onMessage(topic: string, payload: Buffer): void {
    if (!topic.startsWith(`${this.base}/`)) return
    const rest = topic.slice(this.base.length + 1)
    if (rest === 'bridge/devices') return this.onDevices(payload)
    if (rest === 'bridge/logging') return this.onLogging(payload)
    if (rest === 'bridge/state') {
      const state = parseAvailability(payload)
      if (state) this.onBridgeState(state)
      return
    }
    if (rest.endsWith('/availability')) {
      const name = rest.slice(0, -'/availability'.length)
      const state = parseAvailability(payload)
      if (state) this.onAvailability(name, state)
      return
    }
    // Names may contain '/', so topics are matched by exact name, never split.
    const dev = this.devices.get(rest)
    if (!dev) return
    const state = parseJson(payload)
    if (isObject(state)) this.onState(dev, state)
  }

  private onDevices(payload: Buffer): void {
    const json = parseJson(payload)
    if (!Array.isArray(json)) return // not a device list: say nothing rather than drop every lock
    const entries = parseBridgeDevices(json)
    // A lock gone from the list was removed from the Zigbee network (or renamed): it is unreachable now.
    const listed = new Set(entries.map((e) => e.friendlyName))
    for (const [name, dev] of this.devices) {
      if (listed.has(name)) continue
      this.devices.delete(name)
      this.options.log?.('warn', `${name} is no longer in ${this.base}/bridge/devices (removed or renamed in Zigbee2MQTT); reported offline`)
      for (const w of [...dev.waiters]) w.fail(new TransientDeviceError(`${name} was removed from Zigbee2MQTT`))
      if (dev.online) this.emit({ type: 'offline', nativeId: name })
    }
    for (const entry of entries) {
      const key = JSON.stringify(entry)
      const known = this.devices.get(entry.friendlyName)
      if (known?.entryKey === key) continue
      const override = this.options.devices?.[entry.friendlyName]
      const facts = entry.facts || override?.slotCount ? { minPinLength: 4, maxPinLength: 8, ...entry.facts, ...override } : undefined
      const resolved = facts?.slotCount ? { ...entry, facts: facts as LockModelFacts } : entry
      const dev: Device = known ?? {
        entry: resolved,
        constraints: undefined,
        online: this.reachable(entry.friendlyName),
        locked: undefined,
        battery: undefined,
        readBack: new Map(),
        ownWrites: new Map(),
        waiters: new Set(),
        lockActionInFlight: false,
        queue: new SerialQueue(),
        entryKey: key,
      }
      if (!known) this.subscribe(this.deviceTopics(entry.friendlyName))
      dev.entry = resolved
      dev.entryKey = key
      dev.constraints = resolved.facts ? constraintsFor(resolved.facts) : undefined
      this.devices.set(entry.friendlyName, dev)
      if (!dev.constraints) {
        this.options.log?.('warn', `${entry.friendlyName} (${entry.model}): slot count unknown, not managed`)
        continue
      }
      this.emit({
        type: 'discovered',
        device: {
          nativeId: entry.friendlyName,
          driver: this.kind,
          displayName: entry.friendlyName,
          manufacturer: entry.manufacturer,
          model: entry.model,
          deviceType: entry.deviceType,
          constraints: dev.constraints,
          online: dev.online,
          ...(dev.locked !== undefined ? { locked: dev.locked } : {}),
          ...(dev.battery !== undefined ? { batteryLevel: dev.battery / 100 } : {}),
        },
      })
    }
  }

  private subscribe(topics: string[]): void {
    if (topics.length === 0 || !this.client) return
    this.client.subscribe(topics, { qos: 1 }, (err) => {
      if (err) this.options.log?.('warn', `subscribe failed: ${err.message}`)
    })
  }

  /** Friendly names are used whole: a name with '/' is still one exact topic. */
  private deviceTopics(name: string): string[] {
    return [`${this.base}/${name}`, `${this.base}/${name}/availability`]
  }

  private reachable(name: string): boolean {
    return this.bridgeOnline && this.availability.get(name) !== 'offline'
  }

  private onAvailability(name: string, state: 'online' | 'offline'): void {
    this.availability.set(name, state)
    const dev = this.devices.get(name)
    if (dev) this.updateOnline(dev)
  }

  private onBridgeState(state: 'online' | 'offline'): void {
    this.bridgeOnline = state === 'online'
    for (const dev of this.devices.values()) this.updateOnline(dev)
  }

  private updateOnline(dev: Device): void {
    const name = dev.entry.friendlyName
    const online = this.reachable(name)
    if (dev.online === online) return
    dev.online = online
    if (!online) for (const w of [...dev.waiters]) w.fail(new TransientDeviceError(`${name} went offline`))
    this.emit({ type: online ? 'online' : 'offline', nativeId: name })
  }

  /** Z2M reports failed /set and /get only here, and its text can hold the PIN. */
  private onLogging(payload: Buffer): void {
    const msg = parseJson(payload)
    if (!isObject(msg) || msg.level !== 'error' || typeof msg.message !== 'string') return
    const text = msg.message
    for (const dev of this.devices.values()) {
      if (dev.waiters.size === 0 || !text.includes(`'${dev.entry.friendlyName}'`)) continue
      const safe = redactPins(text)
      const transient = /timed out|timeout|delivery failed|mac transaction expired|no network route|offline/i.test(text)
      const err = transient ? new TransientDeviceError(safe) : new RejectedByDeviceError('other', safe)
      for (const w of [...dev.waiters]) w.fail(err)
    }
  }

  private onState(dev: Device, state: Json): void {
    const id = dev.entry.friendlyName
    // Any message from the device means it is reachable, but only the availability topic says online.
    const battery = batteryLevel(state)
    if (battery !== undefined && battery !== dev.battery) {
      dev.battery = battery
      this.emit({ type: 'battery', nativeId: id, level: battery / 100 }) // Z2M reports percent; the port speaks 0–1
    }
    const event = lockEvent(state)
    if (event?.kind === 'programming' && event.user !== null) {
      const ownAt = dev.ownWrites.get(event.user)
      const ownEcho = event.source === 'rf' && ownAt !== undefined && this.clock.now() - ownAt <= this.timeoutMs * 2
      if (!ownEcho) {
        this.emit({
          type: 'slotChanged',
          nativeId: id,
          slot: event.user,
          // The event carries no PIN: a deletion is known-empty, anything else is of unknown value.
          code: event.change === 'deleted' ? null : undefined,
          source: SOURCE_TO_SLOT_CHANGE[event.source],
        })
      }
    } else if (event?.kind === 'operation') {
      if (event.source === 'keypad') {
        this.emit({ type: 'keypadUsed', nativeId: id, granted: event.granted, ...(event.user !== null ? { slot: event.user } : {}) })
      }
      if (event.locked !== undefined) {
        dev.locked = event.locked
        this.emit({
          type: 'lockStateChanged',
          nativeId: id,
          locked: event.locked,
          method: SOURCE_TO_METHOD[event.source],
          ...(event.source === 'keypad' && event.user !== null ? { slot: event.user } : {}),
        })
      }
    } else if (event === undefined) {
      // Event messages carry the cached (old) lock state, so only plain reports move it.
      const locked = lockedFromState(state)
      if (locked !== undefined && locked !== dev.locked) {
        const before = dev.locked
        dev.locked = locked
        const method = dev.lockActionInFlight ? 'remote' : 'unknown'
        if (before !== undefined || dev.lockActionInFlight) this.emit({ type: 'lockStateChanged', nativeId: id, locked, method })
      }
    }
    for (const w of [...dev.waiters]) w.onState(state)
  }

  private emit(event: DeviceEvent): void {
    try {
      this.sink(event)
    } catch (err) {
      this.options.log?.('warn', `event sink threw: ${(err as Error).message}`)
    }
  }
}

function toReading(slot: number, a: UserSlot): SlotReading {
  if (a.kind === 'empty') return { slot, state: 'empty' }
  if (a.kind === 'occupied') return { slot, state: 'occupied', code: a.code }
  return { slot, state: 'unreadable', reason: a.reason }
}

/** Keep a slot's read-back only while it holds a code (most of a 250-slot lock is empty). */
function noteReadBack(dev: Device, slot: number, answer: UserSlot): void {
  if (answer.kind === 'occupied') dev.readBack.set(slot, answer)
  else dev.readBack.delete(slot)
}
