// Golden vectors from the Nuki Smart Lock API V2.1 (docs/protocols/nuki-ble.md §8), byte for byte.
// These pin the shared codec in src/protocols/nuki so the adapter and the simulator cannot share a bug.
import { describe, expect, it } from 'vitest'
import nacl from 'tweetnacl'
import {
  authenticator,
  crc16,
  decodePlain,
  decryptMessage,
  deriveSharedKey,
  encodePlain,
  encryptMessage,
  keyPairFromSecret,
} from '../../src/protocols/nuki/index.js'

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex')

const CL_SECRET = hex('8CAA54672307BFFDF5EA183FC607158D2011D008ECA6A1088614FF0853A5AA07')
const CL_PUBLIC = hex('F88127CCF48023B5CBE9101D24BAA8A368DA94E8C2E3CDE2DED29CE96AB50C15')
const SL_PUBLIC = hex('2FE57DA347CD62431528DAAC5FBB290730FFF684AFC4CFC2ED90995F58CB3B74')
const DH_K = hex('0DE40B998E0E330376F2D2FC4892A6931E25055FD09F054F99E93FECD9BA611E')
const SHARED = hex('217FCB0F18CAF284E9BDEA0B94B83B8D10867ED706BFDEDBD2381F4CB3B8F730')
const NK1 = hex('6CD4163D159050C798553EAA57E278A579AFFCBC56F09FC57FE879E51C42DF17')
const NK2 = hex('E0742CFEA39CB46109385BF91286A3C02F40EE86B0B62FC34033094DE41E2C0D')
const NAME = hex('4D61726320285465737429000000000000000000000000000000000000000000')
const NA = hex('52AFE0A664B4E9B56DC6BD4CB718A6C9FED6BE17A7411072AA0D315378140577')
const UUID = hex('83B33643C6D97EF77ED51C02A277CBF7')
const NK3 = hex('EA479915982F13C61D997A56678AD77791BFA7E95229A3DD34F87132BF3E3C97')
const UNLOCK_NK = hex('57D95521BEA186B5A9244F025737924C5B7E33592D0614D5F6EF2E2F142C6D4B')

describe('CRC-16/CCITT-FALSE', () => {
  it('has the check value 0x29B1 and matches frame 1', () => {
    expect(crc16(Buffer.from('123456789', 'ascii'))).toBe(0x29b1)
    expect(crc16(hex('01000300'))).toBe(0xa727)
  })
})

describe('key derivation (nuki-ble.md §8.1)', () => {
  it('derives the public key, k and the shared key byte for byte', () => {
    expect(Buffer.from(keyPairFromSecret(CL_SECRET).publicKey)).toEqual(CL_PUBLIC)
    expect(Buffer.from(nacl.scalarMult(CL_SECRET, SL_PUBLIC))).toEqual(DH_K)
    expect(deriveSharedKey(CL_SECRET, SL_PUBLIC)).toEqual(SHARED)
  })
})

describe('pairing transcript (nuki-ble.md §8.2)', () => {
  it('rebuilds frames 1, 2, 3, 4, 6 and 10', () => {
    expect(encodePlain(0x0001, hex('0300'))).toEqual(hex('0100 0300 27A7'))
    expect(encodePlain(0x0003, SL_PUBLIC)).toEqual(Buffer.concat([hex('0300'), SL_PUBLIC, hex('9DB9')]))
    expect(encodePlain(0x0003, CL_PUBLIC)).toEqual(Buffer.concat([hex('0300'), CL_PUBLIC, hex('9241')]))
    expect(encodePlain(0x0004, NK1)).toEqual(Buffer.concat([hex('0400'), NK1, hex('C3DF')]))
    expect(encodePlain(0x0004, NK2)).toEqual(Buffer.concat([hex('0400'), NK2, hex('7FE1')]))
    expect(encodePlain(0x000e, hex('00'))).toEqual(hex('0E00 00 9DD7'))
  })

  it('rebuilds frame 5 (authenticator over CL pub, SL pub, nK1)', () => {
    const a = authenticator(SHARED, CL_PUBLIC, SL_PUBLIC, NK1)
    expect(encodePlain(0x0005, a)).toEqual(hex('0500 B09A0D3979A029E5FD027B519EAA200BC14AD3E163D3BE4563843E021073BCB1 C357'))
  })

  it('rebuilds frame 7 (authorization data)', () => {
    const fields = Buffer.concat([hex('00'), hex('00000000'), NAME, NA])
    const a = authenticator(SHARED, fields, NK2)
    expect(encodePlain(0x0006, Buffer.concat([a, fields]))).toEqual(
      hex(`0600 CF1B9E7801E3196E6594E76D57908EE500AAD5C33F4B6E0BBEA0DDEF82967BFC 00 00000000
           4D61726320285465737429000000000000000000000000000000000000000000
           52AFE0A664B4E9B56DC6BD4CB718A6C9FED6BE17A7411072AA0D315378140577 69F2`),
    )
  })

  it('verifies frame 8 (authorization id) including the restored digits', () => {
    const frame = hex(`0700 3A270A2E453443C3790E657CEBE634B03F0102F45681B4067C661D46E6E15EDF 02000000
      83B33643C6D97EF77ED51C02A277CBF7 EA479915982F13C61D997A56678AD77791BFA7E95229A3DD34F87132BF3E3C97 DB9F`)
    const msg = decodePlain(frame)
    expect(msg.command).toBe(0x0007)
    const expected = authenticator(SHARED, hex('02000000'), UUID, NK3, NA)
    expect(msg.payload.subarray(0, 32)).toEqual(expected)
  })

  it('rebuilds frame 9 (confirmation)', () => {
    const a = authenticator(SHARED, hex('02000000'), NK3)
    expect(encodePlain(0x001e, Buffer.concat([a, hex('02000000')]))).toEqual(
      hex('1E00 3A41B91A66FBC4D22EFEFBB7272140829695A3917433D5BEB981B76166D13F8A 02000000 CDF5'),
    )
  })
})

describe('encrypted transcript (nuki-ble.md §8.3)', () => {
  it('re-encrypts the keyturner-states request byte for byte', () => {
    const nonce = hex('37917F1AF31EC5940705F34D1E5550607D5B2F9FE7D496B6')
    const frame = encryptMessage(SHARED, nonce, { authorizationId: 2, command: 0x0001, payload: hex('0C00') })
    expect(frame).toEqual(
      hex(`37917F1AF31EC5940705F34D1E5550607D5B2F9FE7D496B6 02000000 1A00
           670D124926004366532E8D927A33FE84E782A9594D39157D065E`),
    )
  })

  it('decrypts the lock-state reply', () => {
    const frame = hex(`90B0757CFED0243017EAF5E089F8583B9839D61B050924D2 02000000 2700
      B13938B67121B6D528E7DE206B0D7C5A94587A471B33EBFB012CED8F1261135566ED756E3910B5`)
    const msg = decryptMessage(SHARED, frame)
    expect(msg).toMatchObject({ authorizationId: 2, command: 0x000c })
    expect(msg.payload).toEqual(hex('020100E0070307080F1E3C0000200A'))
  })

  it('re-encrypts the challenge request and decrypts the challenge reply', () => {
    const req = encryptMessage(SHARED, hex('88FDEFD7F941B63C242B7F84B3D786886340A4A8B1C1EAA0'), {
      authorizationId: 2,
      command: 0x0001,
      payload: hex('0400'),
    })
    expect(req).toEqual(
      hex(`88FDEFD7F941B63C242B7F84B3D786886340A4A8B1C1EAA0 02000000 1A00
           066819A2956E6A79AF6ED66D257B276715F51F63A8BEB9ED0D47`),
    )
    const reply = hex(`99C8613A9F6AB6D3FB0399D37AD38C5C003AC139B1567BC1 02000000 3800
      28CDCC668C08DA47BF323BF9371EBF068F6D480438563660780A4234D9A2
      3794E305EE37878874EDE106A0BBFCF5B60E0C2E2BA17248A02B`)
    const msg = decryptMessage(SHARED, reply)
    expect(msg.command).toBe(0x0004)
    expect(msg.payload).toEqual(UNLOCK_NK)
  })

  it('re-encrypts the lock action byte for byte', () => {
    const payload = Buffer.concat([hex('01 00000000 00'), UNLOCK_NK])
    const frame = encryptMessage(SHARED, hex('19467990B69FFBE3D484A5882C995449E3EBC878712152E7'), {
      authorizationId: 2,
      command: 0x000d,
      payload,
    })
    expect(frame).toEqual(
      hex(`19467990B69FFBE3D484A5882C995449E3EBC878712152E7 02000000 3E00
           B30D19E0C0A12F4D8C887864877B8853437825D587F85BB6C21BF674E204A685AC5E40E8A5
           FDB85349F520069496F092FAB63736928C0933DB34CFA21809`),
    )
  })

  it('checks the CRCs of the printed plaintext PDATA', () => {
    expect(crc16(hex('02000000 0100 0C00'))).toBe(0x8d41)
    expect(crc16(hex('02000000 0E00 01'))).toBe(0x9a0d)
    expect(crc16(hex('02000000 0E00 00'))).toBe(0x8a2c)
  })

  it('rejects a frame whose ciphertext was altered, and one opened with the wrong key', () => {
    const frame = encryptMessage(SHARED, Buffer.alloc(24, 7), { authorizationId: 2, command: 1, payload: hex('0C00') })
    const bad = Buffer.from(frame)
    bad[40] = bad[40]! ^ 1
    expect(() => decryptMessage(SHARED, bad)).toThrow(/authentication/)
    expect(() => decryptMessage(Buffer.alloc(32, 1), frame)).toThrow(/authentication/)
  })
})
