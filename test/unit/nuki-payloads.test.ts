// Command payloads on both sides against the derived Add Keypad Code vector (docs/protocols/nuki-ble.md §8.5), and the
// adapter's parsers against the simulator's encoders' documented layouts.
import { describe, expect, it } from 'vitest'
import * as msg from '../../adapters/nuki-ble/messages.js'
import { decryptMessage, encryptMessage } from '../../src/protocols/nuki/index.js'
import { encodeConfig, parseAddKeypadCode, splitAuthenticated } from '../../simulators/nuki-lock/wire.js'

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex')
const SHARED = hex('217FCB0F18CAF284E9BDEA0B94B83B8D10867ED706BFDEDBD2381F4CB3B8F730')
const NK = hex('57D95521BEA186B5A9244F025737924C5B7E33592D0614D5F6EF2E2F142C6D4B')
const FRAME = hex(`111111111111111111111111111111111111111111111111 02000000 6600
  AD17C31680BB23063E4BD6F561925F271DD99D9A9177CC7C3921113E918CDF661A2BF03B1BAC3C9F85FFC32C
  55014DE87FB3869743C23936B4350EC1CCD7D895295AAE31B9FBF44D0E54B0259DB02BA58462FDEFB84F15E7
  2FE62CD96196D6D99CB47945C622`)

describe('Add Keypad Code (derived vector §8.5)', () => {
  it('the adapter builds the frame byte for byte', () => {
    const payload = msg.addKeypadCode('654321', 'Guest', NK, 1234)
    expect(payload).toHaveLength(78)
    const frame = encryptMessage(SHARED, Buffer.alloc(24, 0x11), { authorizationId: 2, command: 0x0041, payload })
    expect(frame).toEqual(FRAME)
  })

  it('the simulator reads code, name, challenge and PIN from it', () => {
    const m = decryptMessage(SHARED, FRAME)
    expect(m.command).toBe(0x0041)
    const parts = splitAuthenticated(m.payload, 44, true)!
    expect(parts.challenge).toEqual(NK)
    expect(parts.pin).toBe(1234)
    expect(parseAddKeypadCode(parts.fields)).toEqual({ code: 654321, name: 'Guest', enabled: true })
  })
})

describe('adapter payload helpers', () => {
  it('cuts names at 20 bytes on a character boundary', () => {
    expect(msg.nameField('Anna Smith, Reservation-12345')).toEqual(Buffer.from('Anna Smith, Reservat'))
    const f = msg.nameField('ääääääääääää') // 2 bytes each: 10 fit
    expect(msg.readNameField(f)).toBe('ä'.repeat(10))
  })

  it('parses 44- and 63-byte keypad code records and refuses others', () => {
    const rec = Buffer.alloc(63)
    rec.writeUInt16LE(7, 0)
    rec.writeUInt32LE(654321, 2)
    Buffer.from('Guest').copy(rec, 6)
    rec[26] = 1
    rec.writeUInt16LE(3, 41)
    expect(msg.parseKeypadCode(rec)).toEqual({ id: 7, code: '654321', name: 'Guest', enabled: true, lockCount: 3 })
    expect(msg.parseKeypadCode(rec.subarray(0, 44))).toMatchObject({ id: 7, code: '654321' })
    expect(() => msg.parseKeypadCode(rec.subarray(0, 50))).toThrow(/50 bytes/)
  })

  it('parses keyturner states from the spec example (first 13 bytes)', () => {
    const s = msg.parseKeyturnerStates(hex('020100E0070307080F1E3C0000200A'))
    expect(s).toMatchObject({ nukiState: 2, lockState: 1, trigger: 0, batteryCritical: false })
    expect(() => msg.parseKeyturnerStates(hex('0201'))).toThrow(/2 bytes/)
  })

  it('builds the spec lock action payload', () => {
    expect(msg.lockAction(1, 0, NK)).toEqual(Buffer.concat([hex('01 00000000 00'), NK]))
  })

  it('reads the lock name from a 74-byte config and accepts longer ones from newer firmware', () => {
    const cfg = encodeConfig(0x2a37599a, 'Office', Date.UTC(2026, 0, 1), true, false)
    expect(cfg).toHaveLength(74)
    expect(msg.parseConfig(cfg)).toEqual({ nukiId: 0x2a37599a, name: 'Office', hasKeypad: true })
    expect(msg.parseConfig(Buffer.concat([cfg, Buffer.alloc(6)]))).toMatchObject({ name: 'Office' })
    expect(() => msg.parseConfig(cfg.subarray(0, 70))).toThrow(/70 bytes/)
  })
})
