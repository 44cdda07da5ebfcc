// The commands lockstep needs, as reply sequences over a SecureChannel (docs/protocols/nuki-ble.md §4.2–4.6). A command marked
// Ch first fetches a fresh challenge; a reply the sequence does not expect is skipped, never guessed at.
import { CMD, STATUS } from '../../src/protocols/nuki/constants.js'
import { TransientDeviceError } from '../../src/ports/errors.js'
import * as msg from './messages.js'
import { done, more, type SecureChannel } from './secure-channel.js'

export async function readKeyturnerStates(ch: SecureChannel): Promise<msg.KeyturnerStates> {
  return ch.exchange(CMD.requestData, msg.requestData(CMD.keyturnerStates), (m) =>
    m.command === CMD.keyturnerStates ? done(msg.parseKeyturnerStates(m.payload)) : more,
  )
}

/** Count first, then one record per code (docs/protocols/nuki-ble.md §4.6); incomplete or inconsistent lists are transient. */
export async function listKeypadCodes(ch: SecureChannel, pin: number): Promise<msg.KeypadCodeEntry[]> {
  const nK = await ch.challenge()
  let expected: number | undefined
  const entries = new Map<number, msg.KeypadCodeEntry>()
  return ch.exchange(CMD.requestKeypadCodes, msg.requestKeypadCodes(0, 0xffff, nK, pin), (m) => {
    if (m.command === CMD.keypadCodeCount) {
      if (expected !== undefined) throw new TransientDeviceError('second keypad code count in one list')
      expected = m.payload.readUInt16LE(0)
    } else if (m.command === CMD.keypadCode) {
      if (expected === undefined) throw new TransientDeviceError('keypad code before its count')
      const entry = msg.parseKeypadCode(m.payload)
      if (entries.has(entry.id)) throw new TransientDeviceError(`keypad code id ${entry.id} listed twice`)
      entries.set(entry.id, entry)
    } else if (m.command === CMD.status && expected !== undefined && entries.size < expected) {
      throw new TransientDeviceError(`lock listed ${entries.size} of ${expected} keypad codes`)
    } else {
      return more
    }
    return expected !== undefined && entries.size >= expected ? done([...entries.values()]) : more
  })
}

export async function addKeypadCode(ch: SecureChannel, pin: number, code: string, name: string): Promise<number> {
  const nK = await ch.challenge()
  return ch.exchange(CMD.addKeypadCode, msg.addKeypadCode(code, name, nK, pin), (m) =>
    m.command === CMD.keypadCodeId ? done(m.payload.readUInt16LE(0)) : more,
  )
}

export async function updateKeypadCode(ch: SecureChannel, pin: number, id: number, code: string, name: string): Promise<void> {
  const nK = await ch.challenge()
  await ch.exchange(CMD.updateKeypadCode, msg.updateKeypadCode(id, code, name, nK, pin), completes)
}

export async function removeKeypadCode(ch: SecureChannel, pin: number, id: number): Promise<void> {
  const nK = await ch.challenge()
  await ch.exchange(CMD.removeKeypadCode, msg.removeKeypadCode(id, nK, pin), completes)
}

/** Status ACCEPTED, Keyturner States while moving, then Status COMPLETE; or a bare COMPLETE (docs/protocols/nuki-ble.md §4.3). */
export async function lockAction(ch: SecureChannel, appId: number, action: number): Promise<msg.KeyturnerStates | undefined> {
  const nK = await ch.challenge()
  let last: msg.KeyturnerStates | undefined
  return ch.exchange(CMD.lockAction, msg.lockAction(action, appId, nK), (m) => {
    if (m.command === CMD.keyturnerStates) last = msg.parseKeyturnerStates(m.payload)
    if (m.command === CMD.status && m.payload[0] === STATUS.complete) return done(last)
    return more
  })
}

function completes(m: { command: number; payload: Buffer }) {
  return m.command === CMD.status && m.payload[0] === STATUS.complete ? done(undefined) : more
}

/** Request Config (Ch, no PIN) → Config: the lock's own name, as the owner set it in the app. */
export async function readConfig(ch: SecureChannel): Promise<msg.LockConfig> {
  const nK = await ch.challenge()
  return ch.exchange(CMD.requestConfig, nK, (m) => (m.command === CMD.config ? done(msg.parseConfig(m.payload)) : more))
}
