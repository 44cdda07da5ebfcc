// The simulated lock's side of the radio: frames on the pairing GDIO (plain, CRC) and on USDIO
// (encrypted), the authorization table with its one-use challenges and the security PIN, 20-byte
// indications, and the fault switches that bend replies. What a command does is commands.ts.
import nacl from 'tweetnacl'
import type { Random } from '../../src/kernel/ids.js'
import { ADATA_LENGTH, CMD, ERROR_CODE, NUKI_UUID } from '../../src/protocols/nuki/constants.js'
import { decodeAdata, decryptMessage, encryptMessage } from '../../src/protocols/nuki/encrypted-frame.js'
import { FrameError } from '../../src/protocols/nuki/frame-error.js'
import type { KeyPair } from '../../src/protocols/nuki/keys.js'
import { decodePlain, encodePlain } from '../../src/protocols/nuki/plain-frame.js'
import type { PeripheralLink } from '../ble-medium/peripheral.js'
import type { LockCommands, Reply } from './commands.js'
import type { NukiFault } from './faults.js'
import { KeypadError } from './keypad-codes.js'
import { PairingSession, type NewAuthorization } from './pairing-session.js'
import { encodeErrorReport, splitAuthenticated } from './wire.js'

interface Authorization extends NewAuthorization {
  id: number
  /** Last challenge issued to this authorization: good for one use (docs/protocols/nuki-ble.md §5.1). */
  challenge?: Buffer
}

export interface NukiTransportOptions {
  random: Random
  keyPair: KeyPair
  lockUuid: Buffer
  /** Authorizations the lock can hold. */
  maxAuthorizations: number
  securityPin: number
  /** Indication size: min(20, MTU−3) on a real link. */
  chunkSize: number
  commands: LockCommands
  inPairingMode(): boolean
  /** A new authorization was stored: a real lock leaves pairing mode. */
  onPaired(): void
  /** Drop the connection (a fault). */
  dropLink(): void
  journal: string[]
}

export class NukiTransport {
  private readonly authorizations = new Map<number, Authorization>()
  private nextAuthId = 1
  private link: PeripheralLink | undefined
  private pairing: PairingSession | undefined
  private readonly faults: NukiFault[] = []

  constructor(private readonly options: NukiTransportOptions) {}

  authorizationCount(): number {
    return this.authorizations.size
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

  onConnect(link: PeripheralLink): void {
    this.link = link
    this.pairing = undefined
  }

  onDisconnect(): void {
    this.link = undefined
    this.pairing = undefined
  }

  onWrite(characteristicUuid: string, data: Buffer): void {
    if (characteristicUuid === NUKI_UUID.pairingGdio) this.onPairingWrite(data)
    else if (characteristicUuid === NUKI_UUID.usdio) this.onEncryptedWrite(data)
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
    const o = this.options
    this.pairing ??= new PairingSession({
      keyPair: o.keyPair,
      lockUuid: o.lockUuid,
      inPairingMode: () => o.inPairingMode(),
      randomBytes: (n) => o.random.bytes(n),
      nextAuthorizationId: () => (this.authorizations.size < o.maxAuthorizations ? this.nextAuthId : undefined),
      commit: (id, auth) => {
        this.authorizations.set(id, { ...auth, id })
        this.nextAuthId = id + 1
        o.journal.push(`paired authorization ${id} (${auth.name})`)
        o.onPaired()
      },
    })
    for (const reply of this.pairing.handle(msg.command, msg.payload)) this.sendPlain(reply.command, reply.payload)
  }

  private sendPlain(command: number, payload: Buffer): void {
    this.indicate(NUKI_UUID.pairingService, NUKI_UUID.pairingGdio, encodePlain(command, payload))
  }

  // ---- USDIO: encrypted commands -------------------------------------------------------------------

  private onEncryptedWrite(data: Buffer): void {
    if (data.length < ADATA_LENGTH) return
    const auth = this.authorizations.get(decodeAdata(data).authorizationId)
    // Without a key there is no way to answer encrypted: stay silent (docs/protocols/nuki-ble.md §2.5, undocumented case).
    if (!auth) return
    let msg
    try {
      msg = decryptMessage(auth.sharedKey, data)
    } catch (e) {
      const reason = e instanceof FrameError ? e.reason : 'auth_failed'
      const code = reason === 'bad_crc' ? ERROR_CODE.badCrc : reason === 'bad_length' || reason === 'too_short' ? ERROR_CODE.badLength : ERROR_CODE.kNotAuthorized
      this.sendEncrypted(auth, [{ command: CMD.errorReport, payload: encodeErrorReport(code, 0) }], undefined)
      return
    }
    this.execute(auth, msg.command, msg.payload)
  }

  /**
   * Checks one command's challenge and PIN, applies the next armed fault, and hands the command to the
   * lock. The fault bends every reply to this command, including a lock action's late COMPLETE.
   */
  private execute(auth: Authorization, command: number, payload: Buffer): void {
    const error = (code: number, fault?: NukiFault): void =>
      this.sendEncrypted(auth, [{ command: CMD.errorReport, payload: encodeErrorReport(code, command) }], fault)
    if (command === CMD.requestData) {
      if (payload.length < 2) return error(ERROR_CODE.badLength)
      const wanted = payload.readUInt16LE(0)
      if (wanted === CMD.challenge) {
        auth.challenge = this.options.random.bytes(32)
        return this.sendEncrypted(auth, [{ command: CMD.challenge, payload: auth.challenge }], undefined)
      }
      if (wanted === CMD.keyturnerStates) {
        return this.sendEncrypted(auth, [{ command: CMD.keyturnerStates, payload: this.options.commands.readStates() }], undefined)
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
    if (fault?.kind === 'wrongNonce' || !issued || !issued.equals(parts.challenge)) return error(ERROR_CODE.kBadNonce, fault)
    if (shape.pin && parts.pin !== this.options.securityPin) return error(ERROR_CODE.kBadPin, fault)

    if (fault?.kind === 'dropLink' && !fault.afterApply) return this.dropLinkNow()
    let replies: Reply[] | undefined
    try {
      replies = this.options.commands.execute(command, parts.fields, (later) => this.sendEncrypted(auth, later, fault))
    } catch (e) {
      if (e instanceof KeypadError) replies = [{ command: CMD.errorReport, payload: encodeErrorReport(e.code, command) }]
      else throw e
    }
    if (fault?.kind === 'dropLink') return this.dropLinkNow()
    if (replies) this.sendEncrypted(auth, replies, fault)
  }

  // ---- sending, with faults ------------------------------------------------------------------------

  private sendEncrypted(auth: Authorization, replies: Reply[], fault: NukiFault | undefined): void {
    const random = this.options.random
    const frames = replies.map((r, i) => {
      let frame = encryptMessage(auth.sharedKey, random.bytes(24), {
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
    if (fault?.kind === 'lateReply') {
      setTimeout(() => {
        this.options.journal.push(link?.connected ? 'late reply sent' : 'late reply dropped: its link is gone')
        send()
      }, fault.delayMs)
    } else send()
  }

  /** An authentic frame whose PDATA CRC is wrong: only the CRC check can catch it. */
  private withBadCrc(auth: Authorization, r: Reply): Buffer {
    const pdata = Buffer.alloc(6 + r.payload.length + 2)
    pdata.writeUInt32LE(auth.id, 0)
    pdata.writeUInt16LE(r.command, 4)
    r.payload.copy(pdata, 6)
    pdata.writeUInt16LE(0xbeef, pdata.length - 2)
    return sealRaw(auth.sharedKey, this.options.random.bytes(24), auth.id, pdata)
  }

  private indicate(service: string, characteristic: string, frame: Buffer, twice = false, link = this.link): void {
    if (!link?.connected) return
    const size = this.options.chunkSize
    for (let at = 0; at < frame.length; at += size) {
      const piece = frame.subarray(at, at + size)
      link.indicate(service, characteristic, piece)
      if (twice) link.indicate(service, characteristic, piece)
    }
  }

  private dropLinkNow(): void {
    this.options.journal.push('link dropped (fault)')
    this.options.dropLink()
  }
}

interface CommandShape {
  own: (payloadLength: number) => number
  pin: boolean
}

/** Own-field sizes of the challenge-carrying commands (docs/protocols/nuki-ble.md §4.1, §4.3, §4.6). */
const COMMAND_SHAPES: Record<number, CommandShape> = {
  [CMD.addKeypadCode]: { own: () => 44, pin: true },
  [CMD.updateKeypadCode]: { own: () => 47, pin: true },
  [CMD.removeKeypadCode]: { own: () => 2, pin: true },
  [CMD.requestKeypadCodes]: { own: () => 4, pin: true },
  // 38 bytes, or 58 with the name suffix: only the length tells them apart.
  [CMD.lockAction]: { own: (n) => (n === 58 ? 26 : 6), pin: false },
  [CMD.requestConfig]: { own: () => 0, pin: false },
}

function sealRaw(key: Buffer, nonce: Buffer, authId: number, pdata: Buffer): Buffer {
  const box = nacl.secretbox(Uint8Array.from(pdata), Uint8Array.from(nonce), Uint8Array.from(key))
  const adata = Buffer.alloc(ADATA_LENGTH)
  nonce.copy(adata, 0)
  adata.writeUInt32LE(authId, 24)
  adata.writeUInt16LE(box.length, 28)
  return Buffer.concat([adata, Buffer.from(box)])
}
