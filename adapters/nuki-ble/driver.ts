// NukiBleDriver: the LockDriver port over Nuki's BLE API 2.x (reference/nuki-ble.md) on @stoprocent/noble
// with injected bindings. It translates and reports; slot choice, retries and conflict policy belong to
// the reconciler (design rule 5). One queue per lock: one GATT conversation at a time.
import type { Peripheral } from '@stoprocent/noble'
import type { Clock } from '../../src/kernel/clock.js'
import { systemClock } from '../../src/kernel/clock.js'
import { cryptoRandom, type Random } from '../../src/kernel/ids.js'
import { SerialQueue } from '../../src/kernel/serial-queue.js'
import type { DeviceEvent, DeviceEventSink, LockMethod } from '../../src/ports/device-events.js'
import { RejectedByDeviceError, TransientDeviceError } from '../../src/ports/errors.js'
import type { CodeConstraints, LockDriver, SlotReading } from '../../src/ports/lock-driver.js'
import { ERROR_CODE, LOCK_ACTION, LOCK_STATE, TRIGGER } from '../../src/protocols/nuki/constants.js'
import { parseNukiAdvertisement, type NukiAdvertisement } from './advertisement.js'
import { codeViolation, nukiConstraints } from './constraints.js'
import { NukiErrorReport, toPortError } from './device-errors.js'
import { GattLink } from './gatt-link.js'
import { KeyStore, type StoredLock } from './key-store.js'
import * as cmd from './lock-commands.js'
import type { KeypadCodeEntry, KeyturnerStates } from './messages.js'
import { createNoble, type NobleInstance } from './noble.js'
import { pair, type PairingIdentity } from './pairing.js'
import { SecureChannel } from './secure-channel.js'
import type { SlotJournal } from './slot-journal.js'
import { SlotMap } from './slot-map.js'

export interface DriverLog {
  debug(obj: object, msg: string): void
  info(obj: object, msg: string): void
  warn(obj: object, msg: string): void
}

export interface NukiBleDriverOptions {
  /** noble bindings: a FakeBleMedium in tests and the lab, the HCI bindings on a real box. */
  bindings: object
  /** Where authorizations and slot maps live (files 0600). */
  dataDir: string
  /** The lock's 4-digit security PIN, needed for keypad commands (spec §5.2). */
  securityPin: number | ((nukiId: string) => number)
  clock?: Clock
  /** Source of key pairs and message nonces (design rule 7). */
  random?: Random
  /** How the gateway introduces itself when pairing; appId also goes into Lock Action. */
  identity?: PairingIdentity
  /** Keypad code slots exposed per lock (about 100 on real locks). */
  slotCount?: number
  /** Pair with a lock seen in pairing mode when no authorization is stored for it. */
  autoPair?: boolean
  commandTimeoutMs?: number
  connectTimeoutMs?: number
  /** Keep the link this long after the last command: a batch of writes reuses one connection. */
  idleDisconnectMs?: number
  /** Report a lock offline when no advertisement was heard for this long (0 = only on failed connects). */
  presenceTimeoutMs?: number
  log?: DriverLog
}

interface LockEntry {
  nukiId: string
  peripheral?: Peripheral
  stored?: StoredLock
  slots?: SlotMap
  journal?: SlotJournal
  loaded: boolean
  announced: boolean
  online: boolean
  lastSeenMs: number
  queue: SerialQueue
  link?: GattLink
  channel?: SecureChannel
  idleTimer?: NodeJS.Timeout
  /** The last code lockstep saw or wrote per slot: the baseline for slotChanged. */
  lastKnown: Map<number, string | null>
  /** Writes whose outcome is unknown (link lost): seeing their result later is not an external change. */
  unsettled: Map<number, string | null>
  lockCounts: Map<number, number>
  locked?: boolean
  sighting: boolean
  pairingFailedAt?: number
}

const silent: DriverLog = { debug() {}, info() {}, warn() {} }

export class NukiBleDriver implements LockDriver {
  readonly kind = 'nuki-ble'
  private readonly noble: NobleInstance
  private readonly keys: KeyStore
  private readonly locks = new Map<string, LockEntry>()
  private readonly clock: Clock
  private readonly random: Random
  private readonly identity: PairingIdentity
  private readonly slotCount: number
  private readonly commandTimeoutMs: number
  private readonly connectTimeoutMs: number
  private readonly idleDisconnectMs: number
  private readonly presenceTimeoutMs: number
  private readonly log: DriverLog
  private sink: DeviceEventSink | undefined
  private presenceTimer: NodeJS.Timeout | undefined
  private stopped = false
  /** Encrypted request/response exchanges performed, for benchmarks. */
  readonly stats = { exchanges: 0, connects: 0 }

  constructor(private readonly options: NukiBleDriverOptions) {
    this.noble = createNoble(options.bindings)
    this.keys = new KeyStore(options.dataDir)
    this.clock = options.clock ?? systemClock
    this.random = options.random ?? cryptoRandom
    this.identity = options.identity ?? { idType: 1, appId: 0x4c6b5374, name: 'lockstep' }
    this.slotCount = options.slotCount ?? 100
    this.commandTimeoutMs = options.commandTimeoutMs ?? 4000
    this.connectTimeoutMs = options.connectTimeoutMs ?? 8000
    this.idleDisconnectMs = options.idleDisconnectMs ?? 1500
    this.presenceTimeoutMs = options.presenceTimeoutMs ?? 0
    this.log = options.log ?? silent
  }

  // ---- lifecycle -----------------------------------------------------------------------------------

  async start(sink: DeviceEventSink): Promise<void> {
    this.sink = sink
    this.stopped = false
    this.noble.on('discover', this.onDiscover)
    await this.noble.waitForPoweredOnAsync(this.connectTimeoutMs)
    await this.noble.startScanningAsync([], true)
    if (this.presenceTimeoutMs > 0) {
      this.presenceTimer = setInterval(() => this.checkPresence(), Math.max(100, this.presenceTimeoutMs / 4))
      this.presenceTimer.unref()
    }
  }

  async stop(): Promise<void> {
    this.stopped = true
    if (this.presenceTimer) clearInterval(this.presenceTimer)
    this.noble.removeListener('discover', this.onDiscover)
    await this.noble.stopScanningAsync().catch(() => undefined)
    for (const entry of this.locks.values()) {
      await entry.queue.idle()
      await this.closeLink(entry)
      entry.journal?.close()
    }
    this.sink = undefined
  }

  constraints(_nativeId: string): CodeConstraints {
    return nukiConstraints(this.slotCount)
  }

  /** Locks seen so far: paired ones are usable through the port. */
  knownLocks(): { nukiId: string; paired: boolean; online: boolean }[] {
    return [...this.locks.values()].map((e) => ({ nukiId: e.nukiId, paired: !!e.stored, online: e.online }))
  }

  /** Pairs explicitly (the lock must be in pairing mode). */
  async pair(nukiId: string): Promise<void> {
    const entry = this.entry(nukiId)
    await this.ensureLoaded(entry)
    await this.pairLock(entry)
    await this.announce(entry)
  }

  // ---- LockDriver ----------------------------------------------------------------------------------

  async readSlots(nativeId: string): Promise<SlotReading[]> {
    const entry = this.usable(nativeId)
    const listed = await this.run(entry, (ch) => cmd.listKeypadCodes(ch, this.pin(entry)))
    return this.applyListing(entry, listed)
  }

  async writeSlot(nativeId: string, slot: number, code: string, name: string): Promise<void> {
    this.checkSlot(slot)
    const violation = codeViolation(code, this.constraints(nativeId))
    if (violation) throw new RejectedByDeviceError('bad_format', `Nuki keypad code ${violation}`)
    const entry = this.usable(nativeId)
    await this.run(entry, async (ch) => {
      const id = entry.slots!.idOf(slot)
      entry.unsettled.set(slot, code)
      if (id !== undefined) {
        try {
          await cmd.updateKeypadCode(ch, this.pin(entry), id, code, name)
        } catch (e) {
          // 0x23 on Update: the code id may be gone (owner deleted it). Look before calling the code bad.
          if (e instanceof NukiErrorReport && e.code === ERROR_CODE.kBadParameter) {
            const listed = await cmd.listKeypadCodes(ch, this.pin(entry))
            if (!listed.some((c) => c.id === id)) {
              entry.unsettled.delete(slot)
              this.applyListing(entry, listed)
              throw new TransientDeviceError(`slot ${slot} no longer exists on the lock; read the slots again`)
            }
          }
          throw e
        }
      } else {
        const newId = await cmd.addKeypadCode(ch, this.pin(entry), code, name)
        entry.slots!.bind(slot, newId)
        entry.journal!.bind(slot, newId)
        entry.lockCounts.set(newId, 0)
      }
      entry.unsettled.delete(slot)
      entry.lastKnown.set(slot, code)
    })
  }

  async clearSlot(nativeId: string, slot: number): Promise<void> {
    this.checkSlot(slot)
    const entry = this.usable(nativeId)
    await this.run(entry, async (ch) => {
      const id = entry.slots!.idOf(slot)
      if (id !== undefined) {
        entry.unsettled.set(slot, null)
        try {
          await cmd.removeKeypadCode(ch, this.pin(entry), id)
        } catch (e) {
          // Unknown code id: it is already gone, which is what was asked.
          if (!(e instanceof NukiErrorReport && e.code === ERROR_CODE.kBadParameter)) throw e
        }
        entry.slots!.unbindSlot(slot)
        entry.journal!.unbind(slot)
      }
      entry.unsettled.delete(slot)
      entry.lastKnown.set(slot, null)
    })
  }

  async lockAction(nativeId: string, action: 'lock' | 'unlock'): Promise<void> {
    const entry = this.usable(nativeId)
    const code = action === 'lock' ? LOCK_ACTION.lock : LOCK_ACTION.unlock
    const final = await this.run(entry, (ch) => cmd.lockAction(ch, this.identity.appId, code))
    // A bare COMPLETE without states means the lock was already there (spec §4.3).
    const locked = final ? final.lockState === LOCK_STATE.locked : action === 'lock'
    this.noteLockState(entry, locked, 'remote')
  }

  // ---- discovery, pairing, presence ----------------------------------------------------------------

  private readonly onDiscover = (peripheral: Peripheral): void => {
    const ad = parseNukiAdvertisement(peripheral.advertisement)
    if (!ad || this.stopped) return
    const entry = this.entry(ad.nukiId)
    entry.peripheral = peripheral
    entry.lastSeenMs = this.clock.now()
    if (entry.sighting) return
    entry.sighting = true
    void this.onSighting(entry, ad)
      .catch((e: unknown) => this.log.warn({ nukiId: entry.nukiId, err: (e as Error).message }, 'nuki: handling advertisement failed'))
      .finally(() => {
        entry.sighting = false
      })
  }

  private async onSighting(entry: LockEntry, ad: NukiAdvertisement): Promise<void> {
    await this.ensureLoaded(entry)
    if (!entry.stored) {
      const retryAfter = (entry.pairingFailedAt ?? -Infinity) + 5000
      if (ad.pairingMode && (this.options.autoPair ?? true) && this.clock.now() >= retryAfter) {
        await this.pairLock(entry).catch((e: unknown) => {
          entry.pairingFailedAt = this.clock.now()
          throw e
        })
      }
      if (!entry.stored) return
    }
    if (!entry.announced) {
      await this.announce(entry)
      return
    }
    if (!entry.online) this.markOnline(entry)
    if (ad.stateChanged) await this.fetchStateChange(entry)
  }

  private async pairLock(entry: LockEntry): Promise<void> {
    const peripheral = entry.peripheral
    if (!peripheral) throw new TransientDeviceError(`Nuki ${entry.nukiId} not seen yet`)
    await this.enqueue(entry, async () => {
      await this.closeLink(entry)
      const link = await GattLink.open(peripheral, 'pairing', this.connectTimeoutMs)
      try {
        const result = await pair(link, this.random, this.identity, this.commandTimeoutMs)
        entry.stored = {
          nukiId: entry.nukiId,
          authorizationId: result.authorizationId,
          sharedKey: result.sharedKey,
          peripheralId: peripheral.id,
        }
        await this.keys.save(entry.stored)
        // A new authorization starts from what the lock lists, not from an older pairing's bindings.
        entry.journal ??= this.keys.journal(entry.nukiId)
        entry.journal.snapshot([])
        entry.slots = new SlotMap(1, this.slotCount)
        this.log.info({ nukiId: entry.nukiId, authorizationId: result.authorizationId }, 'nuki: paired')
      } finally {
        await link.close()
      }
    })
  }

  /** First sighting of a paired lock: read its state, then tell the reconciler it exists. */
  private async announce(entry: LockEntry): Promise<void> {
    if (entry.announced) return
    entry.announced = true
    entry.online = true
    let states: KeyturnerStates | undefined
    let name: string | undefined
    try {
      states = await this.run(entry, (ch) => cmd.readKeyturnerStates(ch))
      entry.locked = states.lockState === LOCK_STATE.locked
      name = (await this.run(entry, (ch) => cmd.readConfig(ch))).name || undefined
    } catch (e) {
      this.log.debug({ nukiId: entry.nukiId, err: (e as Error).message }, 'nuki: state read on discovery failed')
    }
    this.emit({
      type: 'discovered',
      device: {
        nativeId: entry.nukiId,
        driver: this.kind,
        displayName: name ?? `Nuki ${entry.nukiId}`,
        manufacturer: 'Nuki',
        model: 'Nuki Smart Lock',
        deviceType: 'nuki_lock',
        constraints: this.constraints(entry.nukiId),
        online: true,
        locked: entry.locked,
        batteryLevel: states?.batteryPercent !== undefined ? states.batteryPercent / 100 : undefined,
      },
    })
  }

  /** The beacon says something changed: fetch the states; a non-remote change may be the keypad. */
  private async fetchStateChange(entry: LockEntry): Promise<void> {
    const states = await this.run(entry, (ch) => cmd.readKeyturnerStates(ch))
    const locked = states.lockState === LOCK_STATE.locked
    if (states.batteryPercent !== undefined) this.emit({ type: 'battery', nativeId: entry.nukiId, level: states.batteryPercent / 100 })
    let method = triggerMethod(states.lastLockActionTrigger ?? states.trigger)
    let slot: number | undefined
    if (method === 'unknown' && locked !== entry.locked) {
      // Keypad openings show up as a higher lock count on the code that was used.
      const listed = await this.run(entry, (ch) => cmd.listKeypadCodes(ch, this.pin(entry)))
      const before = new Map(entry.lockCounts)
      this.applyListing(entry, listed)
      for (const c of listed) {
        const prev = before.get(c.id)
        if (prev !== undefined && c.lockCount > prev) {
          slot = entry.slots!.slotOf(c.id)
          method = 'keycode'
          this.emit({ type: 'keypadUsed', nativeId: entry.nukiId, granted: true, slot, code: c.code })
        }
      }
    }
    this.noteLockState(entry, locked, method, slot)
  }

  private checkPresence(): void {
    const now = this.clock.now()
    for (const entry of this.locks.values()) {
      if (entry.online && entry.announced && now - entry.lastSeenMs > this.presenceTimeoutMs) this.markOffline(entry)
    }
  }

  private markOnline(entry: LockEntry): void {
    if (entry.online) return
    entry.online = true
    this.emit({ type: 'online', nativeId: entry.nukiId })
  }

  private markOffline(entry: LockEntry): void {
    if (!entry.online) return
    entry.online = false
    this.emit({ type: 'offline', nativeId: entry.nukiId })
  }

  // ---- links and the per-lock queue ----------------------------------------------------------------

  private run<T>(entry: LockEntry, fn: (ch: SecureChannel) => Promise<T>): Promise<T> {
    return this.enqueue(entry, async () => {
      const ch = await this.channel(entry)
      const before = ch.exchanges
      try {
        return await fn(ch)
      } catch (e) {
        const mapped = e instanceof NukiErrorReport ? toPortError(e) : e
        // Anything but a clean "no" from the lock leaves the conversation in doubt: start afresh next time.
        if (!(mapped instanceof RejectedByDeviceError)) await this.closeLink(entry)
        throw mapped
      } finally {
        this.stats.exchanges += ch.exchanges - before
        this.armIdleClose(entry)
      }
    })
  }

  private enqueue<T>(entry: LockEntry, fn: () => Promise<T>): Promise<T> {
    return entry.queue.run(fn)
  }

  private async channel(entry: LockEntry): Promise<SecureChannel> {
    if (entry.idleTimer) clearTimeout(entry.idleTimer)
    if (entry.link?.alive && entry.channel) return entry.channel
    await this.closeLink(entry)
    const peripheral = entry.peripheral
    if (!peripheral) throw new TransientDeviceError(`Nuki ${entry.nukiId} not in range`)
    if (!entry.stored) throw new TransientDeviceError(`Nuki ${entry.nukiId} is not paired`)
    try {
      entry.link = await GattLink.open(peripheral, 'usdio', this.connectTimeoutMs)
      this.stats.connects++
    } catch (e) {
      this.markOffline(entry)
      throw e
    }
    this.markOnline(entry)
    entry.channel = new SecureChannel(entry.link, entry.stored, this.random, this.commandTimeoutMs)
    return entry.channel
  }

  private armIdleClose(entry: LockEntry): void {
    if (entry.idleTimer) clearTimeout(entry.idleTimer)
    entry.idleTimer = setTimeout(() => {
      void this.enqueue(entry, () => this.closeLink(entry))
    }, this.idleDisconnectMs)
    entry.idleTimer.unref()
  }

  private async closeLink(entry: LockEntry): Promise<void> {
    if (entry.idleTimer) clearTimeout(entry.idleTimer)
    const link = entry.link
    entry.link = undefined
    entry.channel = undefined
    if (link) await link.close()
  }

  // ---- slots ---------------------------------------------------------------------------------------

  /** Aligns the slot map with the lock's list, reports external changes, returns one reading per slot. */
  private applyListing(entry: LockEntry, listed: KeypadCodeEntry[]): SlotReading[] {
    const slots = entry.slots!
    const before = JSON.stringify(slots.pairs())
    const pendingAdds = new Map([...entry.unsettled].filter((p): p is [number, string] => p[1] !== null))
    slots.sync(listed, pendingAdds)
    if (JSON.stringify(slots.pairs()) !== before) entry.journal!.snapshot(slots.pairs())
    const byId = new Map(listed.map((c) => [c.id, c]))
    const readings: SlotReading[] = []
    for (let slot = 1; slot <= this.slotCount; slot++) {
      const id = slots.idOf(slot)
      const c = id === undefined ? undefined : byId.get(id)
      // A disabled code opens nothing: report its value as unknown so the reconciler sees the change.
      const code = c ? (c.enabled ? c.code : null) : null
      readings.push(c ? { slot, state: 'occupied', code, name: c.name } : { slot, state: 'empty' })
      const seen = c ? code : null
      const hadBaseline = entry.lastKnown.has(slot)
      const known = entry.lastKnown.get(slot)
      const unsettled = entry.unsettled.has(slot) && entry.unsettled.get(slot) === seen
      if (hadBaseline && known !== seen && !unsettled) {
        this.emit({ type: 'slotChanged', nativeId: entry.nukiId, slot, code: seen, source: 'app' })
      }
      entry.lastKnown.set(slot, seen)
    }
    entry.unsettled.clear()
    entry.lockCounts = new Map(listed.map((c) => [c.id, c.lockCount]))
    return readings
  }

  // ---- helpers -------------------------------------------------------------------------------------

  private entry(nukiId: string): LockEntry {
    let e = this.locks.get(nukiId)
    if (!e) {
      e = {
        nukiId,
        loaded: false,
        announced: false,
        online: false,
        lastSeenMs: 0,
        queue: new SerialQueue(),
        lastKnown: new Map(),
        unsettled: new Map(),
        lockCounts: new Map(),
        sighting: false,
      }
      this.locks.set(nukiId, e)
    }
    return e
  }

  private async ensureLoaded(entry: LockEntry): Promise<void> {
    if (entry.loaded) return
    entry.stored = await this.keys.load(entry.nukiId)
    if (entry.stored) {
      entry.journal = this.keys.journal(entry.nukiId)
      entry.slots = new SlotMap(1, this.slotCount, entry.journal.load())
    }
    entry.loaded = true
  }

  private usable(nativeId: string): LockEntry {
    const entry = this.locks.get(nativeId)
    if (!entry?.stored || !entry.slots) throw new TransientDeviceError(`Nuki ${nativeId} not discovered or not paired`)
    return entry
  }

  private pin(entry: LockEntry): number {
    const p = this.options.securityPin
    return typeof p === 'function' ? p(entry.nukiId) : p
  }

  private checkSlot(slot: number): void {
    if (!Number.isInteger(slot) || slot < 1 || slot > this.slotCount) throw new RangeError(`slot ${slot} outside 1..${this.slotCount}`)
  }

  private noteLockState(entry: LockEntry, locked: boolean, method: LockMethod, slot?: number): void {
    if (entry.locked === locked) return
    entry.locked = locked
    this.emit({ type: 'lockStateChanged', nativeId: entry.nukiId, locked, method, ...(slot !== undefined ? { slot } : {}) })
  }

  private emit(event: DeviceEvent): void {
    this.sink?.(event)
  }
}

function triggerMethod(trigger: number): LockMethod {
  switch (trigger) {
    case TRIGGER.system:
      return 'remote'
    case TRIGGER.manual:
    case TRIGGER.button:
      return 'manual'
    case TRIGGER.automatic:
    case TRIGGER.autoLock:
      return 'automatic'
    default:
      return 'unknown'
  }
}
