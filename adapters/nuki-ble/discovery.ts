// Discovery: advertisements → known locks. A paired lock is announced once (state read, then
// 'discovered'); an unpaired one in pairing mode is paired when autoPair allows; a beacon that says
// "state changed" fetches the states, and a lock not heard for a while is reported offline.
import type { Peripheral } from '@stoprocent/noble'
import type { Clock } from '../../src/kernel/clock.js'
import type { Random } from '../../src/kernel/ids.js'
import type { DeviceEvent, LockMethod } from '../../src/ports/device-events.js'
import type { CodeConstraints } from '../../src/ports/lock-driver.js'
import { TransientDeviceError } from '../../src/ports/errors.js'
import { LOCK_STATE, TRIGGER } from '../../src/protocols/nuki/constants.js'
import { parseNukiAdvertisement, type NukiAdvertisement } from './advertisement.js'
import { GattLink } from './gatt-link.js'
import type { KeyStore } from './key-store.js'
import * as cmd from './lock-commands.js'
import { markOffline, markOnline, type DriverLog, type LockEntry } from './lock-entry.js'
import type { LockSession } from './lock-session.js'
import type { KeyturnerStates } from './messages.js'
import { pair, type PairingIdentity } from './pairing.js'
import { applyListing, keypadOpenings } from './slot-tracking.js'
import { SlotMap } from './slot-map.js'

export interface DiscoveryContext {
  kind: string
  clock: Clock
  /** What lastSeenMs and presence are measured on (see NukiBleDriverOptions.presenceClock). */
  presenceClock: Clock
  random: Random
  identity: PairingIdentity
  keys: KeyStore
  slotCount: number
  autoPair: boolean
  commandTimeoutMs: number
  connectTimeoutMs: number
  log: DriverLog
  session: LockSession
  /** The entry for a lock id, created on first sight. */
  entry(nukiId: string): LockEntry
  constraints(nukiId: string): CodeConstraints
  pin(entry: LockEntry): number
  emit(event: DeviceEvent): void
  noteLockState(entry: LockEntry, locked: boolean, method: LockMethod, slot?: number): void
  /** A pairing connection was attempted (counted with the lock's radio exchanges). */
  pairingConnect(entry: LockEntry): void
  stopped(): boolean
}

export class NukiDiscovery {
  /** Sightings being handled (pairing, announcing): stop() waits for them. */
  private readonly inFlight = new Set<Promise<void>>()

  constructor(private readonly ctx: DiscoveryContext) {}

  /** Resolves once every sighting being handled has finished (they check `stopped` and end early). */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight])
  }

  readonly onDiscover = (peripheral: Peripheral): void => {
    const ad = parseNukiAdvertisement(peripheral.advertisement)
    if (!ad || this.ctx.stopped()) return
    const entry = this.ctx.entry(ad.nukiId)
    entry.peripheral = peripheral
    entry.lastSeenMs = this.ctx.presenceClock.now()
    if (entry.sighting) return
    entry.sighting = true
    const handling: Promise<void> = this.onSighting(entry, ad)
      .catch((e: unknown) => this.ctx.log.warn({ nukiId: entry.nukiId, err: (e as Error).message }, 'nuki: handling advertisement failed'))
      .finally(() => {
        entry.sighting = false
        this.inFlight.delete(handling)
      })
    this.inFlight.add(handling)
  }

  /** Loads the stored authorization and slot bindings of a lock, once. */
  async ensureLoaded(entry: LockEntry): Promise<void> {
    if (entry.loaded) return
    entry.stored = await this.ctx.keys.load(entry.nukiId)
    if (entry.stored) {
      entry.journal = this.ctx.keys.journal(entry.nukiId)
      entry.slots = new SlotMap(1, this.ctx.slotCount, entry.journal.load())
    }
    entry.loaded = true
  }

  async pairLock(entry: LockEntry): Promise<void> {
    const peripheral = entry.peripheral
    if (!peripheral) throw new TransientDeviceError(`Nuki ${entry.nukiId} not seen yet`)
    const { session, keys } = this.ctx
    await session.enqueue(entry, async () => {
      await session.closeLink(entry)
      if (this.ctx.stopped()) throw new TransientDeviceError('driver stopped')
      this.ctx.pairingConnect(entry)
      const link = await GattLink.open(peripheral, 'pairing', this.ctx.connectTimeoutMs)
      try {
        const result = await pair(link, this.ctx.random, this.ctx.identity, this.ctx.commandTimeoutMs)
        entry.stored = {
          nukiId: entry.nukiId,
          authorizationId: result.authorizationId,
          sharedKey: result.sharedKey,
          peripheralId: peripheral.id,
        }
        await keys.save(entry.stored)
        // A new authorization starts from what the lock lists, not from an older pairing's bindings.
        entry.journal ??= keys.journal(entry.nukiId)
        entry.journal.snapshot([])
        entry.slots = new SlotMap(1, this.ctx.slotCount)
        this.ctx.log.info({ nukiId: entry.nukiId, authorizationId: result.authorizationId }, 'nuki: paired')
      } finally {
        await link.close()
      }
    })
  }

  /** First sighting of a paired lock: read its state, then tell the reconciler it exists. */
  async announce(entry: LockEntry): Promise<void> {
    // A sighting handled while the driver stops must not open a connection after stop() returned.
    if (entry.announced || this.ctx.stopped()) return
    entry.announced = true
    entry.online = true
    const { session } = this.ctx
    let states: KeyturnerStates | undefined
    let name: string | undefined
    try {
      states = await session.run(entry, (ch) => cmd.readKeyturnerStates(ch))
      entry.locked = states.lockState === LOCK_STATE.locked
      name = (await session.run(entry, (ch) => cmd.readConfig(ch))).name || undefined
    } catch (e) {
      this.ctx.log.debug({ nukiId: entry.nukiId, err: (e as Error).message }, 'nuki: state read on discovery failed')
    }
    this.ctx.emit({
      type: 'discovered',
      device: {
        nativeId: entry.nukiId,
        driver: this.ctx.kind,
        displayName: name ?? `Nuki ${entry.nukiId}`,
        manufacturer: 'Nuki',
        model: 'Nuki Smart Lock',
        deviceType: 'nuki_lock',
        constraints: this.ctx.constraints(entry.nukiId),
        online: true,
        locked: entry.locked,
        batteryLevel: states?.batteryPercent !== undefined ? states.batteryPercent / 100 : undefined,
      },
    })
  }

  /** Reports offline every announced lock not heard for longer than `presenceTimeoutMs`. */
  checkPresence(locks: Iterable<LockEntry>, presenceTimeoutMs: number): void {
    const now = this.ctx.presenceClock.now()
    for (const entry of locks) {
      if (entry.online && entry.announced && now - entry.lastSeenMs > presenceTimeoutMs) markOffline(entry, this.ctx.emit)
    }
  }

  private async onSighting(entry: LockEntry, ad: NukiAdvertisement): Promise<void> {
    await this.ensureLoaded(entry)
    if (this.ctx.stopped()) return
    if (!entry.stored) {
      const retryAfter = (entry.pairingFailedAt ?? -Infinity) + 5000
      if (ad.pairingMode && this.ctx.autoPair && this.ctx.clock.now() >= retryAfter) {
        await this.pairLock(entry).catch((e: unknown) => {
          entry.pairingFailedAt = this.ctx.clock.now()
          throw e
        })
      }
      if (!entry.stored) return
    }
    if (this.ctx.stopped()) return
    if (!entry.announced) {
      await this.announce(entry)
      return
    }
    if (!entry.online) markOnline(entry, this.ctx.emit)
    if (ad.stateChanged) await this.fetchStateChange(entry)
  }

  /** The beacon says something changed: fetch the states; a non-remote change may be the keypad. */
  private async fetchStateChange(entry: LockEntry): Promise<void> {
    const { session, emit } = this.ctx
    const states = await session.run(entry, (ch) => cmd.readKeyturnerStates(ch))
    const locked = states.lockState === LOCK_STATE.locked
    if (states.batteryPercent !== undefined) emit({ type: 'battery', nativeId: entry.nukiId, level: states.batteryPercent / 100 })
    let method = triggerMethod(states.lastLockActionTrigger ?? states.trigger)
    let slot: number | undefined
    if (method === 'unknown' && locked !== entry.locked) {
      // Keypad openings show up as a higher lock count on the code that was used.
      const listed = await session.run(entry, (ch) => cmd.listKeypadCodes(ch, this.ctx.pin(entry)))
      const before = new Map(entry.lockCounts)
      applyListing(entry, listed, this.ctx.slotCount, emit)
      for (const c of keypadOpenings(before, listed)) {
        slot = entry.slots!.slotOf(c.id)
        method = 'keycode'
        emit({ type: 'keypadUsed', nativeId: entry.nukiId, granted: true, slot, code: c.code })
      }
    }
    this.ctx.noteLockState(entry, locked, method, slot)
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
