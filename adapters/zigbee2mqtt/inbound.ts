// Inbound: what Zigbee2MQTT publishes (bridge/devices, bridge/state, bridge/logging, availability and
// state messages) turned into the driver's per-lock view and DeviceEvents. It also hands each state
// message to the requests waiting on that lock.
import { SerialQueue } from '../../src/kernel/serial-queue.js'
import type { Clock } from '../../src/kernel/clock.js'
import { isObject, type JsonObject } from '../../src/kernel/is-object.js'
import type { DeviceEvent } from '../../src/ports/device-events.js'
import { RejectedByDeviceError, TransientDeviceError } from '../../src/ports/errors.js'
import { constraintsFor, parseBridgeDevices } from './discovery.js'
import { failWaiters, type LockDevice } from './lock-device.js'
import type { LockModelFacts } from './models.js'
import { batteryLevel, lockEvent, lockedFromState, parseAvailability, parseJson, redactPins, type Source } from './payloads.js'

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

export interface InboundContext {
  base: string
  kind: string
  clock: Clock
  /** The request timeout: an rf programming event this soon after our own write is its echo. */
  timeoutMs: number
  /** Facts bridge/devices lacks, by friendly name. */
  overrides: Record<string, Partial<LockModelFacts>> | undefined
  subscribe(topics: string[]): void
  emit(event: DeviceEvent): void
  log?: (level: 'debug' | 'warn', message: string) => void
}

export class Inbound {
  /** The PIN locks seen in bridge/devices, by friendly name. */
  readonly devices = new Map<string, LockDevice>()
  /** Availability can arrive before bridge/devices names the device. */
  private readonly availability = new Map<string, 'online' | 'offline'>()
  /** Z2M itself (bridge/state): when it is down, no lock is reachable whatever its availability says. */
  private bridgeOnline = true

  constructor(private readonly ctx: InboundContext) {}

  /** Friendly names are used whole: a name with '/' is still one exact topic. */
  deviceTopics(name: string): string[] {
    return [`${this.ctx.base}/${name}`, `${this.ctx.base}/${name}/availability`]
  }

  onMessage(topic: string, payload: Buffer): void {
    const base = this.ctx.base
    if (!topic.startsWith(`${base}/`)) return
    const rest = topic.slice(base.length + 1)
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
      this.ctx.log?.('warn', `${name} is no longer in ${this.ctx.base}/bridge/devices (removed or renamed in Zigbee2MQTT); reported offline`)
      failWaiters(dev, new TransientDeviceError(`${name} was removed from Zigbee2MQTT`))
      if (dev.online) this.ctx.emit({ type: 'offline', nativeId: name })
    }
    for (const entry of entries) {
      const key = JSON.stringify(entry)
      const known = this.devices.get(entry.friendlyName)
      if (known?.entryKey === key) continue
      const override = this.ctx.overrides?.[entry.friendlyName]
      const facts = entry.facts || override?.slotCount ? { minPinLength: 4, maxPinLength: 8, ...entry.facts, ...override } : undefined
      const resolved = facts?.slotCount ? { ...entry, facts: facts as LockModelFacts } : entry
      const dev: LockDevice = known ?? {
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
      if (!known) this.ctx.subscribe(this.deviceTopics(entry.friendlyName))
      dev.entry = resolved
      dev.entryKey = key
      dev.constraints = resolved.facts ? constraintsFor(resolved.facts) : undefined
      this.devices.set(entry.friendlyName, dev)
      if (!dev.constraints) {
        this.ctx.log?.('warn', `${entry.friendlyName} (${entry.model}): slot count unknown, not managed`)
        continue
      }
      this.ctx.emit({
        type: 'discovered',
        device: {
          nativeId: entry.friendlyName,
          driver: this.ctx.kind,
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

  private updateOnline(dev: LockDevice): void {
    const name = dev.entry.friendlyName
    const online = this.reachable(name)
    if (dev.online === online) return
    dev.online = online
    if (!online) failWaiters(dev, new TransientDeviceError(`${name} went offline`))
    this.ctx.emit({ type: online ? 'online' : 'offline', nativeId: name })
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
      failWaiters(dev, transient ? new TransientDeviceError(safe) : new RejectedByDeviceError('other', safe))
    }
  }

  private onState(dev: LockDevice, state: JsonObject): void {
    const id = dev.entry.friendlyName
    // Any message from the device means it is reachable, but only the availability topic says online.
    const battery = batteryLevel(state)
    if (battery !== undefined && battery !== dev.battery) {
      dev.battery = battery
      this.ctx.emit({ type: 'battery', nativeId: id, level: battery / 100 }) // Z2M reports percent; the port speaks 0–1
    }
    const event = lockEvent(state)
    if (event?.kind === 'programming' && event.user !== null) {
      const ownAt = dev.ownWrites.get(event.user)
      const ownEcho = event.source === 'rf' && ownAt !== undefined && this.ctx.clock.now() - ownAt <= this.ctx.timeoutMs * 2
      if (!ownEcho) {
        this.ctx.emit({
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
        this.ctx.emit({ type: 'keypadUsed', nativeId: id, granted: event.granted, ...(event.user !== null ? { slot: event.user } : {}) })
      }
      if (event.locked !== undefined) {
        dev.locked = event.locked
        this.ctx.emit({
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
        if (before !== undefined || dev.lockActionInFlight) this.ctx.emit({ type: 'lockStateChanged', nativeId: id, locked, method })
      }
    }
    for (const w of [...dev.waiters]) w.onState(state)
  }
}
