// A simulated Nuki Smart Lock (API 2.x) on the fake BLE medium: advertising, GATT table, pairing,
// authorization table, challenge rule, keypad code store, lock state machine, error reports — the
// lock's side written from the spec (reference/nuki-ble.md), plus a lab API and fault switches.
import nacl from 'tweetnacl'
import type { Clock } from '../../src/kernel/clock.js'
import { systemClock } from '../../src/kernel/clock.js'
import type { Random } from '../../src/kernel/ids.js'
import {
  ADATA_LENGTH,
  CMD,
  ERROR_CODE,
  LOCK_ACTION,
  LOCK_STATE,
  NUKI_STATE,
  NUKI_UUID,
  STATUS,
  TRIGGER,
} from '../../src/protocols/nuki/constants.js'
import { decodeAdata, decryptMessage, encryptMessage } from '../../src/protocols/nuki/encrypted-frame.js'
import { FrameError } from '../../src/protocols/nuki/frame-error.js'
import { keyPairFromSecret, type KeyPair } from '../../src/protocols/nuki/keys.js'
import { decodePlain, encodePlain } from '../../src/protocols/nuki/plain-frame.js'
import type { FakeBleMedium } from '../ble-medium/medium.js'
import type { Advertisement, GattService, PeripheralLink, SimulatedPeripheral } from '../ble-medium/peripheral.js'
import type { NukiFault } from './faults.js'
import { KeypadCodeStore, KeypadError, isValidKeypadCode } from './keypad-codes.js'
import { PairingSession, type NewAuthorization } from './pairing-session.js'
import {
  encodeConfig,
  encodeDateTime,
  encodeErrorReport,
  encodeKeypadCode,
  encodeKeyturnerStates,
  parseAddKeypadCode,
  parseUpdateKeypadCode,
  splitAuthenticated,
  u16,
} from './wire.js'

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

interface Authorization extends NewAuthorization {
  id: number
  /** Last challenge issued to this authorization: good for one use (spec §5.1). */
  challenge?: Buffer
}

interface Reply {
  command: number
  payload: Buffer
}

/** Trigger the simulator records for keypad-initiated actions; spec §7 lists none [unverified choice]. */
const KEYPAD_TRIGGER = 0x04

export class SimulatedNukiLock implements SimulatedPeripheral {
  readonly id: string
  readonly address: string
  readonly nukiId: number
  readonly name: string
  private readonly medium: FakeBleMedium
  private readonly random: Random
  private readonly clock: Clock
  private readonly keyPair: KeyPair
  private readonly lockUuid: Buffer
  private readonly keypad: KeypadCodeStore
  private readonly authorizations = new Map<number, Authorization>()
  private readonly maxAuthorizations: number
  private readonly securityPin: number
  private readonly motorMs: number
  private readonly chunkSize: number
  private nextAuthId = 1
  private pairingMode: boolean
  private online = true
  private link: PeripheralLink | undefined
  private pairing: PairingSession | undefined
  private lockState: number = LOCK_STATE.locked
  private trigger: number = TRIGGER.system
  private lastAction = 0
  private lastActionTrigger: number = TRIGGER.system
  private busy = false
  private stateChanged = false
  private readonly faults: NukiFault[] = []
  /** The fault armed for the command being answered; replies to other commands are clean. */
  private activeFault: NukiFault | undefined
  /** Every lab-visible thing that happened, for tests (no secrets). */
  readonly journal: string[] = []

  constructor(options: SimulatedNukiLockOptions) {
    this.medium = options.medium
    this.random = options.random
    this.clock = options.clock ?? systemClock
    this.nukiId = options.nukiId >>> 0
    const hexId = this.nukiId.toString(16).toUpperCase().padStart(8, '0')
    this.name = options.name ?? `Nuki_${hexId}`
    this.id = `5a${hexId.toLowerCase()}0001`.slice(0, 12)
    this.address = this.id.match(/../g)!.join(':')
    this.keyPair = keyPairFromSecret(this.random.bytes(32))
    this.lockUuid = this.random.bytes(16)
    this.keypad = new KeypadCodeStore(options.keypadCapacity ?? 100)
    this.maxAuthorizations = options.maxAuthorizations ?? 200
    this.securityPin = options.securityPin ?? 0
    this.pairingMode = options.pairingMode ?? true
    this.motorMs = options.motorMs ?? 0
    this.chunkSize = options.chunkSize ?? 20
  }

  // ---- lab API -------------------------------------------------------------------------------------

  /** Someone types a code on the keypad. */
  enterCode(code: string): { granted: boolean; reason: 'granted' | 'unknown_code' | 'disabled' | 'offline' } {
    if (!this.online) return { granted: false, reason: 'offline' }
    const entry = /^\d{6}$/.test(code) ? this.keypad.findByCode(Number(code)) : undefined
    if (!entry) return { granted: false, reason: 'unknown_code' }
    if (!entry.enabled) return { granted: false, reason: 'disabled' }
    entry.lockCount++
    entry.lastActiveMs = this.clock.now()
    this.lockState = LOCK_STATE.unlocked
    this.lastAction = LOCK_ACTION.unlock
    this.lastActionTrigger = KEYPAD_TRIGGER
    this.trigger = KEYPAD_TRIGGER
    this.journal.push(`keypad unlock by code id ${entry.id}`)
    this.flagStateChange()
    return { granted: true, reason: 'granted' }
  }

  /** The owner edits keypad code `slot` (the lock's code id) in the Nuki app; null deletes it. */
  programCode(slot: number, code: string | null, name = 'App'): void {
    if (code === null) {
      if (this.keypad.get(slot)) this.keypad.remove(slot)
      return
    }
    const n = Number(code)
    if (!/^\d{6}$/.test(code) || !isValidKeypadCode(n)) throw new RangeError('the Nuki app refuses this code')
    if (this.keypad.get(slot)) this.keypad.update(slot, n, name, true)
    else this.keypad.add(n, name, this.clock.now(), slot)
  }

  /** The owner disables (or re-enables) a code in the app without deleting it. */
  setCodeEnabled(slot: number, enabled: boolean): void {
    const e = this.keypad.get(slot)
    if (!e) throw new RangeError(`no code id ${slot}`)
    this.keypad.update(slot, e.code, e.name, enabled)
  }

  /** Every code id 1…capacity with its code, or null when free. */
  slots(): { slot: number; code: string | null }[] {
    const out: { slot: number; code: string | null }[] = []
    for (let slot = 1; slot <= this.keypad.capacity; slot++) {
      const e = this.keypad.get(slot)
      out.push({ slot, code: e ? String(e.code) : null })
    }
    return out
  }

  codeNames(): Map<number, string> {
    return new Map(this.keypad.list().map((e) => [e.id, e.name]))
  }

  isLocked(): boolean {
    return this.lockState === LOCK_STATE.locked
  }

  /** Out of radio range (or battery out): stops advertising, drops the link, ignores connects. */
  setOnline(online: boolean): void {
    this.online = online
    if (!online) this.medium.dropLink(this.id, 'connection timeout')
    else this.medium.advertise(this.id)
  }

  /** Holding the button: the lock accepts a new authorization. */
  setPairingMode(on: boolean): void {
    this.pairingMode = on
    this.medium.advertise(this.id)
  }

  authorizationNames(): string[] {
    return [...this.authorizations.values()].map((a) => a.name)
  }

  injectFault(fault: NukiFault): void {
    this.faults.push(fault)
  }

  pendingFaults(): number {
    return this.faults.length
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
    beacon[24] = 0xc4 | (this.stateChanged ? 1 : 0)
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
    if (this.authorizations.size === 0) services.unshift({ uuid: NUKI_UUID.initializationService, characteristics: [] })
    return services
  }

  onConnect(link: PeripheralLink): void {
    this.link = link
    this.pairing = undefined
  }

  onDisconnect(): void {
    this.link = undefined
    this.pairing = undefined
  }

  onWrite(serviceUuid: string, characteristicUuid: string, data: Buffer): void {
    if (characteristicUuid === NUKI_UUID.pairingGdio) this.onPairingWrite(data)
    else if (characteristicUuid === NUKI_UUID.usdio) this.onEncryptedWrite(data)
    void serviceUuid
  }

  // ---- pairing GDIO --------------------------------------------------------------------------------

  private onPairingWrite(data: Buffer): void {
    let msg
    try {
      msg = decodePlain(data)
    } catch (e) {
      const code = e instanceof FrameError && e.reason === 'bad_crc' ? ERROR_CODE.badCrc : ERROR_CODE.badLength
      this.sendPlain(CMD.errorReport, encodeErrorReport(code, 0))
      return
    }
    this.pairing ??= new PairingSession({
      keyPair: this.keyPair,
      lockUuid: this.lockUuid,
      inPairingMode: () => this.pairingMode,
      randomBytes: (n) => this.random.bytes(n),
      nextAuthorizationId: () => (this.authorizations.size < this.maxAuthorizations ? this.nextAuthId : undefined),
      commit: (id, auth) => {
        this.authorizations.set(id, { ...auth, id })
        this.nextAuthId = id + 1
        this.pairingMode = false // a real lock leaves pairing mode once paired
        this.journal.push(`paired authorization ${id} (${auth.name})`)
        this.medium.advertise(this.id)
      },
    })
    for (const reply of this.pairing.handle(msg.command, msg.payload)) this.sendPlain(reply.command, reply.payload)
  }

  private sendPlain(command: number, payload: Buffer): void {
    this.indicate(NUKI_UUID.pairingService, NUKI_UUID.pairingGdio, encodePlain(command, payload))
  }

  // ---- USDIO: encrypted commands -------------------------------------------------------------------

  private onEncryptedWrite(data: Buffer): void {
    this.activeFault = undefined
    if (data.length < ADATA_LENGTH) return
    const auth = this.authorizations.get(decodeAdata(data).authorizationId)
    // Without a key there is no way to answer encrypted: stay silent (spec §2.5, undocumented case).
    if (!auth) return
    let msg
    try {
      msg = decryptMessage(auth.sharedKey, data)
    } catch (e) {
      const reason = e instanceof FrameError ? e.reason : 'auth_failed'
      const code = reason === 'bad_crc' ? ERROR_CODE.badCrc : reason === 'bad_length' || reason === 'too_short' ? ERROR_CODE.badLength : ERROR_CODE.kNotAuthorized
      this.sendEncrypted(auth, [{ command: CMD.errorReport, payload: encodeErrorReport(code, 0) }])
      return
    }
    const replies = this.execute(auth, msg.command, msg.payload)
    if (replies) this.sendEncrypted(auth, replies)
  }

  /** Runs one command; returns its replies, or undefined when they are sent later (lock action). */
  private execute(auth: Authorization, command: number, payload: Buffer): Reply[] | undefined {
    const error = (code: number): Reply[] => [{ command: CMD.errorReport, payload: encodeErrorReport(code, command) }]
    if (command === CMD.requestData) {
      if (payload.length < 2) return error(ERROR_CODE.badLength)
      const wanted = payload.readUInt16LE(0)
      if (wanted === CMD.challenge) {
        auth.challenge = this.random.bytes(32)
        return [{ command: CMD.challenge, payload: auth.challenge }]
      }
      if (wanted === CMD.keyturnerStates) {
        this.stateChanged = false
        return [{ command: CMD.keyturnerStates, payload: this.keyturnerStates() }]
      }
      return error(ERROR_CODE.kBadParameter)
    }

    const shape = COMMAND_SHAPES[command]
    if (!shape) return error(ERROR_CODE.unknown)
    const parts = splitAuthenticated(payload, shape.own(payload.length), shape.pin)
    if (!parts) return error(ERROR_CODE.badLength)

    // The challenge is consumed whatever happens next: one use only.
    const issued = auth.challenge
    auth.challenge = undefined
    const fault = this.faults.shift()
    this.activeFault = fault
    if (fault?.kind === 'wrongNonce' || !issued || !issued.equals(parts.challenge)) return error(ERROR_CODE.kBadNonce)
    if (shape.pin && parts.pin !== this.securityPin) return error(ERROR_CODE.kBadPin)

    if (fault?.kind === 'dropLink' && !fault.afterApply) {
      this.dropLinkNow()
      return undefined
    }
    let replies: Reply[] | undefined
    try {
      replies = this.run(auth, command, parts.fields)
    } catch (e) {
      if (e instanceof KeypadError) replies = error(e.code)
      else throw e
    }
    if (fault?.kind === 'dropLink') {
      this.dropLinkNow()
      return undefined
    }
    return replies
  }

  private run(auth: Authorization, command: number, f: Buffer): Reply[] | undefined {
    const now = this.clock.now()
    switch (command) {
      case CMD.addKeypadCode: {
        const { code, name } = parseAddKeypadCode(f)
        const entry = this.keypad.add(code, name, now)
        this.journal.push(`added code id ${entry.id}`)
        const reply = Buffer.alloc(9)
        reply.writeUInt16LE(entry.id, 0)
        encodeDateTime(now).copy(reply, 2)
        return [{ command: CMD.keypadCodeId, payload: reply }]
      }
      case CMD.updateKeypadCode: {
        const u = parseUpdateKeypadCode(f)
        this.keypad.update(u.id, u.code, u.name, u.enabled)
        this.journal.push(`updated code id ${u.id}`)
        return [statusReply(STATUS.complete)]
      }
      case CMD.removeKeypadCode: {
        const id = f.readUInt16LE(0)
        this.keypad.remove(id)
        this.journal.push(`removed code id ${id}`)
        return [statusReply(STATUS.complete)]
      }
      case CMD.requestKeypadCodes: {
        const offset = f.readUInt16LE(0)
        const count = f.readUInt16LE(2)
        const all = this.keypad.list()
        const page = all.slice(offset, offset + count)
        return [
          { command: CMD.keypadCodeCount, payload: u16(all.length) },
          ...page.map((e) => ({ command: CMD.keypadCode, payload: encodeKeypadCode(e) })),
          statusReply(STATUS.complete),
        ]
      }
      case CMD.lockAction:
        return this.lockAction(auth, f[0]!)
      case CMD.requestConfig:
        return [{ command: CMD.config, payload: encodeConfig(this.nukiId, this.name, now, true, this.pairingMode) }]
      default:
        return [{ command: CMD.errorReport, payload: encodeErrorReport(ERROR_CODE.unknown, command) }]
    }
  }

  private lockAction(auth: Authorization, action: number): Reply[] | undefined {
    const target = action === LOCK_ACTION.unlock ? LOCK_STATE.unlocked : action === LOCK_ACTION.lock ? LOCK_STATE.locked : undefined
    if (target === undefined) return [{ command: CMD.errorReport, payload: encodeErrorReport(ERROR_CODE.kBadParameter, CMD.lockAction) }]
    if (this.busy) return [{ command: CMD.errorReport, payload: encodeErrorReport(ERROR_CODE.kBusy, CMD.lockAction) }]
    this.lastAction = action
    this.lastActionTrigger = TRIGGER.system
    this.trigger = TRIGGER.system
    if (this.lockState === target) return [statusReply(STATUS.complete)]
    this.busy = true
    this.lockState = target === LOCK_STATE.unlocked ? LOCK_STATE.unlocking : LOCK_STATE.locking
    const fault = this.activeFault
    this.sendEncrypted(auth, [statusReply(STATUS.accepted), { command: CMD.keyturnerStates, payload: this.keyturnerStates() }])
    setTimeout(() => {
      this.activeFault = fault
      this.busy = false
      this.lockState = target
      this.journal.push(target === LOCK_STATE.locked ? 'locked' : 'unlocked')
      this.flagStateChange()
      this.sendEncrypted(auth, [{ command: CMD.keyturnerStates, payload: this.keyturnerStates() }, statusReply(STATUS.complete)])
      this.activeFault = undefined
    }, this.motorMs)
    return undefined
  }

  private keyturnerStates(): Buffer {
    return encodeKeyturnerStates({
      nukiState: this.pairingMode ? NUKI_STATE.pairingMode : NUKI_STATE.doorMode,
      lockState: this.lockState,
      trigger: this.trigger,
      nowMs: this.clock.now(),
      batteryPercent: 88,
      lastLockAction: this.lastAction,
      lastLockActionTrigger: this.lastActionTrigger,
      lastCompletion: 0,
    })
  }

  private flagStateChange(): void {
    this.stateChanged = true
    this.medium.advertise(this.id)
  }

  // ---- sending, with faults ------------------------------------------------------------------------

  private sendEncrypted(auth: Authorization, replies: Reply[]): void {
    const fault = this.activeFault
    const frames = replies.map((r, i) => {
      let frame = encryptMessage(auth.sharedKey, this.random.bytes(24), {
        authorizationId: auth.id,
        command: r.command,
        payload: r.payload,
      })
      if (i === 0 && fault?.kind === 'corruptCrc') frame = this.withBadCrc(auth, r)
      if (i === 0 && fault?.kind === 'corruptCiphertext') frame[frame.length - 1] = frame[frame.length - 1]! ^ 0x01
      return frame
    })
    // Indications belong to the connection the command came on: a late reply never reaches a newer one.
    const link = this.link
    const send = (): void => {
      frames.forEach((frame, i) => {
        this.indicate(NUKI_UUID.keyturnerService, NUKI_UUID.usdio, frame, i === 0 && fault?.kind === 'duplicatePieces', link)
        if (fault?.kind === 'duplicateReply') this.indicate(NUKI_UUID.keyturnerService, NUKI_UUID.usdio, frame, false, link)
      })
    }
    if (fault?.kind === 'lateReply') setTimeout(send, fault.delayMs)
    else send()
  }

  /** An authentic frame whose PDATA CRC is wrong: only the CRC check can catch it. */
  private withBadCrc(auth: Authorization, r: Reply): Buffer {
    const pdata = Buffer.alloc(6 + r.payload.length + 2)
    pdata.writeUInt32LE(auth.id, 0)
    pdata.writeUInt16LE(r.command, 4)
    r.payload.copy(pdata, 6)
    pdata.writeUInt16LE(0xbeef, pdata.length - 2)
    return sealRaw(auth.sharedKey, this.random.bytes(24), auth.id, pdata)
  }

  private indicate(service: string, characteristic: string, frame: Buffer, twice = false, link = this.link): void {
    if (!link?.connected) return
    for (let at = 0; at < frame.length; at += this.chunkSize) {
      const piece = frame.subarray(at, at + this.chunkSize)
      link.indicate(service, characteristic, piece)
      if (twice) link.indicate(service, characteristic, piece)
    }
  }

  private dropLinkNow(): void {
    this.journal.push('link dropped (fault)')
    this.medium.dropLink(this.id, 'connection timeout')
  }
}

interface CommandShape {
  own: (payloadLength: number) => number
  pin: boolean
}

/** Own-field sizes of the challenge-carrying commands (spec §4.1, §4.3, §4.6). */
const COMMAND_SHAPES: Record<number, CommandShape> = {
  [CMD.addKeypadCode]: { own: () => 44, pin: true },
  [CMD.updateKeypadCode]: { own: () => 47, pin: true },
  [CMD.removeKeypadCode]: { own: () => 2, pin: true },
  [CMD.requestKeypadCodes]: { own: () => 4, pin: true },
  // 38 bytes, or 58 with the name suffix: only the length tells them apart.
  [CMD.lockAction]: { own: (n) => (n === 58 ? 26 : 6), pin: false },
  [CMD.requestConfig]: { own: () => 0, pin: false },
}

function statusReply(status: number): Reply {
  return { command: CMD.status, payload: Buffer.from([status]) }
}

function sealRaw(key: Buffer, nonce: Buffer, authId: number, pdata: Buffer): Buffer {
  const box = nacl.secretbox(Uint8Array.from(pdata), Uint8Array.from(nonce), Uint8Array.from(key))
  const adata = Buffer.alloc(ADATA_LENGTH)
  nonce.copy(adata, 0)
  adata.writeUInt32LE(authId, 24)
  adata.writeUInt16LE(box.length, 28)
  return Buffer.concat([adata, Buffer.from(box)])
}
