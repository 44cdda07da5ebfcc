// The gateway's side of pairing (docs/protocols/nuki-ble.md §3): plain frames on the pairing GDIO. Returns the authorization
// the driver stores; the shared key never leaves this function except in that result.
import { CMD, STATUS } from '../../src/protocols/nuki/constants.js'
import { authenticator, deriveSharedKey, keyPairFromSecret } from '../../src/protocols/nuki/keys.js'
import { decodePlain, encodePlain, type PlainMessage } from '../../src/protocols/nuki/plain-frame.js'
import type { Random } from '../../src/kernel/ids.js'
import { RejectedByDeviceError, TransientDeviceError } from '../../src/ports/errors.js'
import { NukiErrorReport, toPortError } from './device-errors.js'
import type { GattLink } from './gatt-link.js'
import { nameField, parseErrorReport, requestData } from './messages.js'

export interface PairingIdentity {
  /** 0 app, 1 bridge, 2 fob, 3 keypad. */
  idType: number
  appId: number
  name: string
}

export interface PairingResult {
  authorizationId: number
  sharedKey: Buffer
  lockUuid: Buffer
}

export async function pair(link: GattLink, random: Random, who: PairingIdentity, timeoutMs: number): Promise<PairingResult> {
  const send = (command: number, payload: Buffer) => link.send(encodePlain(command, payload), timeoutMs)
  const expect = async (command: number, size: number): Promise<Buffer> => {
    let m: PlainMessage
    try {
      m = decodePlain(await link.next(timeoutMs))
    } catch (e) {
      if (e instanceof TransientDeviceError) throw e
      throw new TransientDeviceError(`bad pairing frame: ${(e as Error).message}`)
    }
    if (m.command === CMD.errorReport) {
      const r = parseErrorReport(m.payload)
      const report = new NukiErrorReport(r.code, r.command)
      throw r.code === 0x10 ? new RejectedByDeviceError('other', 'lock is not in pairing mode') : toPortError(report)
    }
    if (m.command !== command || m.payload.length !== size) {
      throw new TransientDeviceError(`pairing expected 0x${command.toString(16)}, got 0x${m.command.toString(16)}`)
    }
    return m.payload
  }

  const mine = keyPairFromSecret(random.bytes(32))
  await send(CMD.requestData, requestData(CMD.publicKey))
  const lockPublic = await expect(CMD.publicKey, 32)
  await send(CMD.publicKey, Buffer.from(mine.publicKey))
  const sharedKey = deriveSharedKey(mine.secretKey, lockPublic)
  const nK1 = await expect(CMD.challenge, 32)
  await send(CMD.authorizationAuthenticator, authenticator(sharedKey, mine.publicKey, lockPublic, nK1))
  const nK2 = await expect(CMD.challenge, 32)

  const fields = Buffer.alloc(1 + 4)
  fields[0] = who.idType
  fields.writeUInt32LE(who.appId >>> 0, 1)
  const nA = random.bytes(32)
  const data = Buffer.concat([fields, nameField(who.name, 32), nA])
  await send(CMD.authorizationData, Buffer.concat([authenticator(sharedKey, data, nK2), data]))

  const idReply = await expect(CMD.authorizationId, 84)
  const authIdBytes = idReply.subarray(32, 36)
  const lockUuid = Buffer.from(idReply.subarray(36, 52))
  const nK3 = idReply.subarray(52, 84)
  // Verify the lock before confirming: it proves it holds the same shared key.
  if (!authenticator(sharedKey, authIdBytes, lockUuid, nK3, nA).equals(idReply.subarray(0, 32))) {
    throw new TransientDeviceError('lock sent a bad authenticator during pairing')
  }
  await send(CMD.authorizationIdConfirmation, Buffer.concat([authenticator(sharedKey, authIdBytes, nK3), authIdBytes]))
  const status = await expect(CMD.status, 1)
  if (status[0] !== STATUS.complete) throw new TransientDeviceError('pairing did not complete')
  return { authorizationId: authIdBytes.readUInt32LE(0), sharedKey, lockUuid }
}
