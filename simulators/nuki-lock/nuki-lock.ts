// A simulated Nuki Smart Lock (API 2.x) on the fake BLE medium: advertising, GATT table and the lab
// API here; what the lock does with a command in commands.ts (keypad store, lock state machine); the
// frames, pairing, authorizations, challenges and fault switches in transport.ts. Written from the
// spec (docs/protocols/nuki-ble.md), never from the adapter.
import type { Clock } from '../../src/kernel/clock.js'
import { systemClock } from '../../src/kernel/clock.js'
import type { Random } from '../../src/kernel/ids.js'
import { NUKI_UUID } from '../../src/protocols/nuki/constants.js'
import { keyPairFromSecret } from '../../src/protocols/nuki/keys.js'
import type { FakeBleMedium } from '../ble-medium/medium.js'
import type { Advertisement, GattService, PeripheralLink, SimulatedPeripheral } from '../ble-medium/peripheral.js'
import { LockCommands } from './commands.js'
import type { NukiFault } from './faults.js'
import { NukiTransport } from './transport.js'

export interface SimulatedNukiLockOptions {
  medium: FakeBleMedium
  random: Random
  clock?: Clock
  /** Nuki ID; also the beacon major/minor and the local name suffix. */
  nukiId: number
  name?: string
  /** Keypad code capacity (about 100 on real locks). */
  keypadCapacity?: number
  /** Authorizations the lock can hold (200 on Smart Lock 2.0+). */
  maxAuthorizations?: number
  securityPin?: number
  pairingMode?: boolean
  /** Time the motor takes for one lock action. */
  motorMs?: number
  /** Indication size: min(20, MTU−3) on a real link. */
  chunkSize?: number
}

export class SimulatedNukiLock implements SimulatedPeripheral {
  readonly id: string
  readonly address: string
  readonly nukiId: number
  readonly name: string
  private readonly medium: FakeBleMedium
  private readonly commands: LockCommands
  private readonly transport: NukiTransport
  private pairingMode: boolean
  private online = true
  /** Every lab-visible thing that happened, for tests (no secrets). */
  readonly journal: string[] = []
  /**
   * What the lock's radio received, counted on the lock's side: each connection costs the battery a
   * wake-up and a GATT session, whatever it carries. Tests hold the gateway's own count against this.
   */
  readonly radio = { connections: 0 }

  constructor(options: SimulatedNukiLockOptions) {
    this.medium = options.medium
    const random = options.random
    this.nukiId = options.nukiId >>> 0
    const hexId = this.nukiId.toString(16).toUpperCase().padStart(8, '0')
    this.name = options.name ?? `Nuki_${hexId}`
    this.id = `5a${hexId.toLowerCase()}0001`.slice(0, 12)
    this.address = this.id.match(/../g)!.join(':')
    // Drawn in this order so a seed gives the same lock as before the split.
    const keyPair = keyPairFromSecret(random.bytes(32))
    const lockUuid = random.bytes(16)
    this.pairingMode = options.pairingMode ?? true
    this.commands = new LockCommands({
      clock: options.clock ?? systemClock,
      nukiId: this.nukiId,
      name: this.name,
      keypadCapacity: options.keypadCapacity ?? 100,
      motorMs: options.motorMs ?? 0,
      pairingMode: () => this.pairingMode,
      onStateChange: () => this.medium.advertise(this.id),
      journal: this.journal,
    })
    this.transport = new NukiTransport({
      random,
      keyPair,
      lockUuid,
      maxAuthorizations: options.maxAuthorizations ?? 200,
      securityPin: options.securityPin ?? 0,
      chunkSize: options.chunkSize ?? 20,
      commands: this.commands,
      inPairingMode: () => this.pairingMode,
      onPaired: () => {
        this.pairingMode = false // a real lock leaves pairing mode once paired
        this.medium.advertise(this.id)
      },
      dropLink: () => this.medium.dropLink(this.id, 'connection timeout'),
      journal: this.journal,
    })
  }

  // ---- lab API -------------------------------------------------------------------------------------

  /** Someone types a code on the keypad. */
  enterCode(code: string): { granted: boolean; reason: 'granted' | 'unknown_code' | 'disabled' | 'offline' } {
    if (!this.online) return { granted: false, reason: 'offline' }
    return this.commands.enterCode(code)
  }

  /** The owner edits keypad code `slot` (the lock's code id) in the Nuki app; null deletes it. */
  programCode(slot: number, code: string | null, name = 'App'): void {
    this.commands.programCode(slot, code, name)
  }

  /** The owner disables (or re-enables) a code in the app without deleting it. */
  setCodeEnabled(slot: number, enabled: boolean): void {
    const e = this.commands.keypad.get(slot)
    if (!e) throw new RangeError(`no code id ${slot}`)
    this.commands.keypad.update(slot, e.code, e.name, enabled)
  }

  /** Every code id 1…capacity with its code, or null when free. */
  slots(): { slot: number; code: string | null }[] {
    const keypad = this.commands.keypad
    const out: { slot: number; code: string | null }[] = []
    for (let slot = 1; slot <= keypad.capacity; slot++) {
      const e = keypad.get(slot)
      out.push({ slot, code: e ? String(e.code) : null })
    }
    return out
  }

  codeNames(): Map<number, string> {
    return new Map(this.commands.keypad.list().map((e) => [e.id, e.name]))
  }

  isLocked(): boolean {
    return this.commands.isLocked()
  }

  /** Out of radio range (or battery out): stops advertising, drops the link, ignores connects. */
  setOnline(online: boolean): void {
    this.online = online
    if (!online) this.medium.dropLink(this.id, 'connection timeout')
    else this.medium.advertise(this.id)
  }

  /** A central holds a connection to the lock now. */
  isConnected(): boolean {
    return this.medium.isConnected(this.id)
  }

  /** Holding the button: the lock accepts a new authorization. */
  setPairingMode(on: boolean): void {
    this.pairingMode = on
    this.medium.advertise(this.id)
  }

  authorizationNames(): string[] {
    return this.transport.authorizationNames()
  }

  injectFault(fault: NukiFault): void {
    this.transport.injectFault(fault)
  }

  pendingFaults(): number {
    return this.transport.pendingFaults()
  }

  // ---- SimulatedPeripheral -------------------------------------------------------------------------

  reachable(): boolean {
    return this.online
  }

  advertisement(): Advertisement {
    const beacon = Buffer.alloc(25)
    beacon.writeUInt16LE(0x004c, 0) // Apple company id
    beacon[2] = 0x02
    beacon[3] = 0x15
    Buffer.from(NUKI_UUID.keyturnerService, 'hex').copy(beacon, 4)
    beacon.writeUInt32BE(this.nukiId, 20)
    beacon[24] = 0xc4 | (this.commands.stateChanged ? 1 : 0)
    const idBytes = Buffer.alloc(4)
    idBytes.writeUInt32BE(this.nukiId, 0)
    return {
      localName: `Nuki_${this.nukiId.toString(16).toUpperCase().padStart(8, '0')}`,
      manufacturerData: beacon,
      serviceData: this.pairingMode ? [{ uuid: NUKI_UUID.pairingService, data: idBytes }] : [],
      serviceUuids: [NUKI_UUID.keyturnerService],
      serviceSolicitationUuids: [],
    }
  }

  gatt(): GattService[] {
    const rw = ['write', 'indicate']
    const services: GattService[] = [
      { uuid: NUKI_UUID.pairingService, characteristics: [{ uuid: NUKI_UUID.pairingGdio, properties: rw }] },
      {
        uuid: NUKI_UUID.keyturnerService,
        characteristics: [
          { uuid: NUKI_UUID.keyturnerGdio, properties: rw },
          { uuid: NUKI_UUID.usdio, properties: rw },
        ],
      },
    ]
    if (this.transport.authorizationCount() === 0) services.unshift({ uuid: NUKI_UUID.initializationService, characteristics: [] })
    return services
  }

  onConnect(link: PeripheralLink): void {
    this.radio.connections++
    this.transport.onConnect(link)
  }

  onDisconnect(): void {
    this.transport.onDisconnect()
  }

  onWrite(_serviceUuid: string, characteristicUuid: string, data: Buffer): void {
    this.transport.onWrite(characteristicUuid, data)
  }
}
