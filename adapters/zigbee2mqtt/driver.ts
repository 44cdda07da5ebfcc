// Zigbee2MQTT ↔ LockDriver. Translates port calls into requests (requests.ts) and what Z2M publishes
// into DeviceEvents (inbound.ts). It decides nothing: one request, one timeout, and the device's answer
// reported as it is (design rule 5). This file holds the MQTT connection and the port's checks.
import type { Socket } from 'node:net'
import mqtt, { type MqttClient } from 'mqtt'
import { systemClock, type Clock } from '../../src/kernel/clock.js'
import { codeMisfit } from '../../src/kernel/code-fit.js'
import type { DeviceEvent, DeviceEventSink } from '../../src/ports/device-events.js'
import type { CodeConstraints, DriftCapability, LockDriver, RadioStats, SlotReading } from '../../src/ports/lock-driver.js'
import { RadioTally } from '../../src/ports/radio-tally.js'
import { RejectedByDeviceError, TransientDeviceError, UnsupportedByDeviceError } from '../../src/ports/errors.js'
import { Inbound } from './inbound.js'
import { failWaiters, type LockDevice } from './lock-device.js'
import { sendsProgrammingEvents, type LockModelFacts } from './models.js'
import { clearPinPayload, setPinPayload } from './payloads.js'
import { LockRequests, noteReadBack, toReading } from './requests.js'

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
  /**
   * Whether each lock (by friendly name) sends programming events for keypad edits; absent = as the
   * model table says (most do). Config knows a site's locks better than the table.
   */
  programmingEvents?: Record<string, boolean>
  clientId?: string
  log?: (level: 'debug' | 'warn', message: string) => void
}

export class Zigbee2MqttDriver implements LockDriver {
  readonly kind = 'zigbee2mqtt'
  private readonly base: string
  private readonly timeoutMs: number
  private readonly clock: Clock
  private readonly inbound: Inbound
  private readonly requests: LockRequests
  private readonly radio: RadioTally
  /** Connected since the last 'close' (events flowing). */
  private linkUp = false
  private client: MqttClient | undefined
  private sink: DeviceEventSink = () => {}

  constructor(private readonly options: Zigbee2MqttDriverOptions) {
    this.base = options.baseTopic ?? 'zigbee2mqtt'
    this.timeoutMs = options.requestTimeoutMs ?? 10_000
    this.clock = options.clock ?? systemClock
    this.inbound = new Inbound({
      base: this.base,
      kind: this.kind,
      clock: this.clock,
      timeoutMs: this.timeoutMs,
      overrides: options.devices,
      subscribe: (topics) => this.subscribe(topics),
      emit: (event) => this.emit(event),
      log: options.log,
    })
    this.radio = new RadioTally(this.clock)
    this.requests = new LockRequests({
      base: this.base,
      timeoutMs: this.timeoutMs,
      clock: this.clock,
      connectedClient: () => this.connectedClient(),
      sent: (dev, kind) => this.radio.count(dev.entry.friendlyName, kind),
    })
  }

  private get devices(): Map<string, LockDevice> {
    return this.inbound.devices
  }

  async start(sink: DeviceEventSink): Promise<void> {
    this.sink = sink
    const client = mqtt.connect(this.options.url, {
      clientId: this.options.clientId ?? `lockstep-z2m-${process.pid}-${Math.floor(Math.random() * 1e9)}`,
      protocolVersion: 4,
      clean: true,
      reconnectPeriod: this.options.reconnectPeriodMs ?? 1000,
      // Nothing published while disconnected is kept for later (see REQUEST in requests.ts).
      queueQoSZero: false,
      connectTimeout: this.options.connectTimeoutMs ?? 5000,
    })
    this.client = client
    client.on('connect', () => {
      this.linkUp = true
      // Nagle would add ~40 ms to every request/answer pair (docs/protocols/mqtt-latency.md).
      ;(client.stream as unknown as Partial<Socket>).setNoDelay?.(true)
      // Subscribing on every connect covers a restarted broker that lost its sessions. Exact topics,
      // not `<base>/#`: the driver would otherwise receive its own /set and /get traffic.
      this.subscribe([`${this.base}/bridge/devices`, `${this.base}/bridge/state`, `${this.base}/bridge/logging`])
      this.subscribe([...this.devices.keys()].flatMap((name) => this.inbound.deviceTopics(name)))
    })
    client.on('close', () => {
      this.failAll(new TransientDeviceError('MQTT connection lost'))
      // Programming events sent while the broker was out of reach are gone for good.
      // Said once per outage: 'close' repeats on every failed reconnect attempt.
      if (this.linkUp) for (const name of this.devices.keys()) this.emit({ type: 'eventsMissed', nativeId: name })
      this.linkUp = false
    })
    client.on('error', (err) => this.options.log?.('warn', `mqtt: ${err.message}`))
    client.on('message', (topic, payload) => this.inbound.onMessage(topic, payload))
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
          const answer = await this.requests.readOne(dev, slot)
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
    if (codeMisfit(code, c)) throw new RejectedByDeviceError('bad_format', `code must be ${c.minLength}–${c.maxLength} digits`)
    this.checkOnline(dev)
    return this.serial(dev, async () => {
      const result = await this.requests.setAndReadBack(
        dev,
        slot,
        setPinPayload(slot, code),
        (a) => a.kind === 'occupied' && (a.code === null || a.code === code),
        'write',
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
      const result = await this.requests.setAndReadBack(dev, slot, clearPinPayload(slot), (a) => a.kind === 'empty', 'clear')
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
    await this.serial(dev, () => this.requests.lockAction(dev, action))
  }

  /**
   * A lock with programming events tells of keypad edits itself (slotChanged): no periodic read is
   * needed to see them. Every slot costs its own request (Z2M's read-all is one getPinCode per slot).
   */
  driftCapability(nativeId: string): DriftCapability {
    const declared = this.options.programmingEvents?.[nativeId]
    const dev = this.devices.get(nativeId)
    const reports = declared ?? (dev ? sendsProgrammingEvents(dev.entry.model) : true)
    return { reportsCodeChanges: reports, readsAllAtOnce: false }
  }

  /** Requests published towards the lock (each one is one ZCL command over the air). */
  radioStats(nativeId: string): RadioStats {
    return this.radio.stats(nativeId)
  }

  /** One request per lock at a time: Z2M and the lock interleave badly otherwise (docs/protocols/zigbee2mqtt-lock.md §2). */
  private serial<T>(dev: LockDevice, fn: () => Promise<T>): Promise<T> {
    return dev.queue.run(fn)
  }

  private device(nativeId: string): LockDevice {
    const dev = this.devices.get(nativeId)
    if (!dev) throw new TransientDeviceError(`${nativeId} is not in bridge/devices (yet)`)
    return dev
  }

  private checkSlot(dev: LockDevice, slot: number): void {
    const c = this.constraints(dev.entry.friendlyName)
    if (!Number.isInteger(slot) || slot < c.firstSlot || slot >= c.firstSlot + c.slotCount) {
      throw new RejectedByDeviceError('bad_format', `slot ${slot} is outside ${c.firstSlot}…${c.firstSlot + c.slotCount - 1}`)
    }
  }

  private checkOnline(dev: LockDevice): void {
    this.connectedClient()
    if (!dev.online) throw new TransientDeviceError(`${dev.entry.friendlyName} is offline`)
  }

  private connectedClient(): MqttClient {
    if (!this.client?.connected) throw new TransientDeviceError('MQTT broker not connected')
    return this.client
  }

  private failAll(error: Error): void {
    for (const dev of this.devices.values()) failWaiters(dev, error)
  }

  private subscribe(topics: string[]): void {
    if (topics.length === 0 || !this.client) return
    this.client.subscribe(topics, { qos: 1 }, (err) => {
      if (err) this.options.log?.('warn', `subscribe failed: ${err.message}`)
    })
  }

  private emit(event: DeviceEvent): void {
    try {
      this.sink(event)
    } catch (err) {
      this.options.log?.('warn', `event sink threw: ${(err as Error).message}`)
    }
  }
}
