// The lock's side of pairing (docs/protocols/nuki-ble.md §3), one instance per connection. Plain frames on the pairing GDIO.
import { CMD, ERROR_CODE, STATUS } from '../../src/protocols/nuki/constants.js'
import { authenticator, deriveSharedKey, type KeyPair } from '../../src/protocols/nuki/keys.js'
import { readName } from './wire.js'

export interface NewAuthorization {
  idType: number
  appId: number
  name: string
  sharedKey: Buffer
}

export interface PairingHost {
  keyPair: KeyPair
  lockUuid: Buffer
  inPairingMode(): boolean
  randomBytes(n: number): Buffer
  /** Reserves an authorization id, or undefined when the table is full. */
  nextAuthorizationId(): number | undefined
  commit(id: number, auth: NewAuthorization): void
}

export type PairingReply = { command: number; payload: Buffer }

type Step =
  | { at: 'idle' }
  | { at: 'sentPublicKey' }
  | { at: 'sentChallenge1'; clientPublic: Buffer; sharedKey: Buffer; nK1: Buffer }
  | { at: 'sentChallenge2'; sharedKey: Buffer; nK2: Buffer }
  | { at: 'sentAuthId'; sharedKey: Buffer; authId: number; nK3: Buffer; pending: NewAuthorization }

const err = (code: number, command: number): PairingReply => ({
  command: CMD.errorReport,
  payload: Buffer.from([code, command & 0xff, command >> 8]),
})

export class PairingSession {
  private step: Step = { at: 'idle' }

  constructor(private readonly host: PairingHost) {}

  handle(command: number, payload: Buffer): PairingReply[] {
    const s = this.step
    if (command === CMD.requestData) {
      if (payload.length < 2 || payload.readUInt16LE(0) !== CMD.publicKey) return [err(ERROR_CODE.pBadParameter, command)]
      if (!this.host.inPairingMode()) return [err(ERROR_CODE.pNotPairing, command)]
      this.step = { at: 'sentPublicKey' }
      return [{ command: CMD.publicKey, payload: Buffer.from(this.host.keyPair.publicKey) }]
    }
    if (command === CMD.publicKey && s.at === 'sentPublicKey') {
      if (payload.length !== 32) return [err(ERROR_CODE.badLength, command)]
      const sharedKey = deriveSharedKey(this.host.keyPair.secretKey, payload)
      const nK1 = this.host.randomBytes(32)
      this.step = { at: 'sentChallenge1', clientPublic: Buffer.from(payload), sharedKey, nK1 }
      return [{ command: CMD.challenge, payload: nK1 }]
    }
    if (command === CMD.authorizationAuthenticator && s.at === 'sentChallenge1') {
      const expected = authenticator(s.sharedKey, s.clientPublic, this.host.keyPair.publicKey, s.nK1)
      if (payload.length !== 32 || !expected.equals(payload)) return this.fail(ERROR_CODE.pBadAuthenticator, command)
      const nK2 = this.host.randomBytes(32)
      this.step = { at: 'sentChallenge2', sharedKey: s.sharedKey, nK2 }
      return [{ command: CMD.challenge, payload: nK2 }]
    }
    if (command === CMD.authorizationData && s.at === 'sentChallenge2') {
      if (payload.length !== 101) return this.fail(ERROR_CODE.badLength, command)
      const fields = payload.subarray(32)
      if (!authenticator(s.sharedKey, fields, s.nK2).equals(payload.subarray(0, 32))) {
        return this.fail(ERROR_CODE.pBadAuthenticator, command)
      }
      const idType = fields[0]!
      if (idType > 3) return this.fail(ERROR_CODE.pBadParameter, command)
      const authId = this.host.nextAuthorizationId()
      if (authId === undefined) return this.fail(ERROR_CODE.pMaxUser, command)
      const nA = fields.subarray(37, 69)
      const nK3 = this.host.randomBytes(32)
      const idBytes = Buffer.alloc(4)
      idBytes.writeUInt32LE(authId, 0)
      const auth = authenticator(s.sharedKey, idBytes, this.host.lockUuid, nK3, nA)
      this.step = {
        at: 'sentAuthId',
        sharedKey: s.sharedKey,
        authId,
        nK3,
        pending: { idType, appId: fields.readUInt32LE(1), name: readName(fields.subarray(5, 37)), sharedKey: s.sharedKey },
      }
      return [{ command: CMD.authorizationId, payload: Buffer.concat([auth, idBytes, this.host.lockUuid, nK3]) }]
    }
    if (command === CMD.authorizationIdConfirmation && s.at === 'sentAuthId') {
      if (payload.length !== 36) return this.fail(ERROR_CODE.badLength, command)
      const expected = authenticator(s.sharedKey, payload.subarray(32, 36), s.nK3)
      if (!expected.equals(payload.subarray(0, 32)) || payload.readUInt32LE(32) !== s.authId) {
        return this.fail(ERROR_CODE.pBadAuthenticator, command)
      }
      this.host.commit(s.authId, s.pending)
      this.step = { at: 'idle' }
      return [{ command: CMD.status, payload: Buffer.from([STATUS.complete]) }]
    }
    return this.fail(ERROR_CODE.unknown, command)
  }

  private fail(code: number, command: number): PairingReply[] {
    this.step = { at: 'idle' }
    return [err(code, command)]
  }
}

