// NukiBleDriver: the LockDriver port over Nuki's BLE API 2.x (docs/protocols/nuki-ble.md) on @stoprocent/noble
// with injected bindings. It translates and reports; slot choice, retries and conflict policy belong to
// the reconciler (design rule 5). The parts: discovery.ts (advertisements, pairing, presence),
// lock-session.ts (one GATT conversation per lock at a time), slot-tracking.ts (slots over code ids).
import type { Clock } from '../../src/kernel/clock.js'
import { systemClock } from '../../src/kernel/clock.js'
import { cryptoRandom, type Random } from '../../src/kernel/ids.js'
import type { DeviceEvent, DeviceEventSink, LockMethod } from '../../src/ports/device-events.js'
import { RejectedByDeviceError, TransientDeviceError } from '../../src/ports/errors.js'
import type { CodeConstraints, DriftCapability, LockDriver, RadioStats, SlotReading } from '../../src/ports/lock-driver.js'
import { RadioTally } from '../../src/ports/radio-tally.js'
import { ERROR_CODE, LOCK_ACTION, LOCK_STATE } from '../../src/protocols/nuki/constants.js'
import { codeViolation, nukiConstraints } from './constraints.js'
import { NukiErrorReport } from './device-errors.js'
import { NukiDiscovery } from './discovery.js'
import { KeyStore } from './key-store.js'
import * as cmd from './lock-commands.js'
import { markOffline, markOnline, newLockEntry, type DriverLog, type LockEntry } from './lock-entry.js'
import { LockSession } from './lock-session.js'
import { createNoble, type NobleInstance } from './noble.js'
import type { PairingIdentity } from './pairing.js'
import { applyListing, noteAdded, noteRemoved } from './slot-tracking.js'

export type { DriverLog } from './lock-entry.js'

export interface NukiBleDriverOptions {
  /** noble bindings: a FakeBleMedium in tests and the lab, the HCI bindings on a real box. */
  bindings: object
  /** Where authorizations and slot maps live (files 0600). */
  dataDir: string
  /** The lock's 4-digit security PIN, needed for keypad commands (docs/protocols/nuki-ble.md §5.2). */
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
  /**
   * The clock presence is judged on (default: clock). Advertisements arrive in real time; the lab moves
   * its schedule clock forward in jumps, and a jump is not an hour of radio silence.
   */
  presenceClock?: Clock
  log?: DriverLog
}

const silent: DriverLog = { debug() {}, info() {}, warn() {} }

export class NukiBleDriver implements LockDriver {
  readonly kind = 'nuki-ble'
  private readonly noble: NobleInstance
  private readonly locks = new Map<string, LockEntry>()
  private readonly identity: PairingIdentity
  private readonly slotCount: number
  private readonly connectTimeoutMs: number
  private readonly presenceTimeoutMs: number
  private readonly presenceClock: Clock
  private readonly session: LockSession
  private readonly discovery: NukiDiscovery
  private sink: DeviceEventSink | undefined
  private presenceTimer: NodeJS.Timeout | undefined
  private stopped = false
  /** Encrypted request/response exchanges performed, for benchmarks. */
  readonly stats: { exchanges: number; connects: number }
  /** Connections per lock: what a Nuki's battery pays for (a connection wakes it, however many commands it carries). */
  private readonly radio: RadioTally

  constructor(private readonly options: NukiBleDriverOptions) {
    this.noble = createNoble(options.bindings)
    const clock = options.clock ?? systemClock
    const random = options.random ?? cryptoRandom
    const commandTimeoutMs = options.commandTimeoutMs ?? 4000
    this.identity = options.identity ?? { idType: 1, appId: 0x4c6b5374, name: 'lockstep' }
    this.slotCount = options.slotCount ?? 100
    this.connectTimeoutMs = options.connectTimeoutMs ?? 8000
    this.presenceTimeoutMs = options.presenceTimeoutMs ?? 0
    this.presenceClock = options.presenceClock ?? clock
    this.radio = new RadioTally(clock)
    this.session = new LockSession({
      random,
      commandTimeoutMs,
      connectTimeoutMs: this.connectTimeoutMs,
      idleDisconnectMs: options.idleDisconnectMs ?? 1500,
      onReachable: (entry, reachable) => (reachable ? markOnline(entry, this.emit) : markOffline(entry, this.emit)),
      onConnecting: (entry) => this.radio.count(entry.nukiId, 'connection'),
      stopped: () => this.stopped,
    })
    this.stats = this.session.stats
    this.discovery = new NukiDiscovery({
      kind: this.kind,
      clock,
      presenceClock: this.presenceClock,
      random,
      identity: this.identity,
      keys: new KeyStore(options.dataDir),
      slotCount: this.slotCount,
      autoPair: options.autoPair ?? true,
      commandTimeoutMs,
      connectTimeoutMs: this.connectTimeoutMs,
      log: options.log ?? silent,
      session: this.session,
      entry: (nukiId) => this.entry(nukiId),
      constraints: (nukiId) => this.constraints(nukiId),
      pin: (entry) => this.pin(entry),
      emit: this.emit,
      noteLockState: (entry, locked, method, slot) => this.noteLockState(entry, locked, method, slot),
      pairingConnect: (entry) => this.radio.count(entry.nukiId, 'pairing_connection'),
      stopped: () => this.stopped,
    })
  }

  // ---- lifecycle -----------------------------------------------------------------------------------

  async start(sink: DeviceEventSink): Promise<void> {
    this.sink = sink
    this.stopped = false
    this.noble.on('discover', this.discovery.onDiscover)
    await this.noble.waitForPoweredOnAsync(this.connectTimeoutMs)
    await this.noble.startScanningAsync([], true)
    if (this.presenceTimeoutMs > 0) {
      this.presenceTimer = setInterval(
        () => this.discovery.checkPresence(this.locks.values(), this.presenceTimeoutMs),
        Math.max(100, this.presenceTimeoutMs / 4),
      )
      this.presenceTimer.unref()
    }
  }

  async stop(): Promise<void> {
    this.stopped = true
    if (this.presenceTimer) clearInterval(this.presenceTimer)
    this.noble.removeListener('discover', this.discovery.onDiscover)
    await this.noble.stopScanningAsync().catch(() => undefined)
    // A sighting in flight (pairing, then announcing) sees `stopped` and opens no further connection.
    await this.discovery.settled()
    for (const entry of this.locks.values()) {
      await entry.queue.idle()
      await this.session.closeLink(entry)
      entry.journal?.close()
    }
    this.sink = undefined
  }

  /** A Nuki tells nothing of codes edited in the owner's app; one keypad-code list returns them all. */
  driftCapability(_nativeId: string): DriftCapability {
    return { reportsCodeChanges: false, readsAllAtOnce: true }
  }

  /** Connections opened to the lock (kinds 'connection' and 'pairing_connection'). */
  radioStats(nativeId: string): RadioStats {
    return this.radio.stats(nativeId)
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
    await this.discovery.ensureLoaded(entry)
    await this.discovery.pairLock(entry)
    await this.discovery.announce(entry)
  }

  // ---- LockDriver ----------------------------------------------------------------------------------

  async readSlots(nativeId: string): Promise<SlotReading[]> {
    const entry = this.usable(nativeId)
    const listed = await this.session.run(entry, (ch) => cmd.listKeypadCodes(ch, this.pin(entry)))
    return applyListing(entry, listed, this.slotCount, this.emit)
  }

  async writeSlot(nativeId: string, slot: number, code: string, name: string): Promise<void> {
    this.checkSlot(slot)
    const violation = codeViolation(code, this.constraints(nativeId))
    if (violation) throw new RejectedByDeviceError('bad_format', `Nuki keypad code ${violation}`)
    const entry = this.usable(nativeId)
    await this.session.run(entry, async (ch) => {
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
              applyListing(entry, listed, this.slotCount, this.emit)
              throw new TransientDeviceError(`slot ${slot} no longer exists on the lock; read the slots again`)
            }
          }
          throw e
        }
      } else {
        noteAdded(entry, slot, await cmd.addKeypadCode(ch, this.pin(entry), code, name))
      }
      entry.unsettled.delete(slot)
      entry.lastKnown.set(slot, code)
    })
  }

  async clearSlot(nativeId: string, slot: number): Promise<void> {
    this.checkSlot(slot)
    const entry = this.usable(nativeId)
    await this.session.run(entry, async (ch) => {
      const id = entry.slots!.idOf(slot)
      if (id !== undefined) {
        entry.unsettled.set(slot, null)
        try {
          await cmd.removeKeypadCode(ch, this.pin(entry), id)
        } catch (e) {
          // Unknown code id: it is already gone, which is what was asked.
          if (!(e instanceof NukiErrorReport && e.code === ERROR_CODE.kBadParameter)) throw e
        }
        noteRemoved(entry, slot)
      }
      entry.unsettled.delete(slot)
      entry.lastKnown.set(slot, null)
    })
  }

  async lockAction(nativeId: string, action: 'lock' | 'unlock'): Promise<void> {
    const entry = this.usable(nativeId)
    const code = action === 'lock' ? LOCK_ACTION.lock : LOCK_ACTION.unlock
    const final = await this.session.run(entry, (ch) => cmd.lockAction(ch, this.identity.appId, code))
    // A bare COMPLETE without states means the lock was already there (docs/protocols/nuki-ble.md §4.3).
    const locked = final ? final.lockState === LOCK_STATE.locked : action === 'lock'
    this.noteLockState(entry, locked, 'remote')
  }

  // ---- helpers -------------------------------------------------------------------------------------

  private entry(nukiId: string): LockEntry {
    let e = this.locks.get(nukiId)
    if (!e) {
      e = newLockEntry(nukiId)
      this.locks.set(nukiId, e)
    }
    return e
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

  private readonly emit = (event: DeviceEvent): void => {
    this.sink?.(event)
  }
}
