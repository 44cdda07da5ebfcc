// Reassembly of indications, the slot map, and advertisement recognition.
import { describe, expect, it } from 'vitest'
import { parseNukiAdvertisement } from '../../adapters/nuki-ble/advertisement.js'
import { Reassembler } from '../../adapters/nuki-ble/reassembler.js'
import { SlotMap } from '../../adapters/nuki-ble/slot-map.js'
import { encodePlain, encryptMessage } from '../../src/protocols/nuki/index.js'

const pieces = (b: Buffer, n = 20) => Array.from({ length: Math.ceil(b.length / n) }, (_, i) => b.subarray(i * n, i * n + n))

describe('Reassembler', () => {
  it('joins 20-byte indications into whole encrypted frames, two frames back to back', () => {
    const key = Buffer.alloc(32, 9)
    const a = encryptMessage(key, Buffer.alloc(24, 1), { authorizationId: 2, command: 0x44, payload: Buffer.from([3, 0]) })
    const b = encryptMessage(key, Buffer.alloc(24, 2), { authorizationId: 2, command: 0x45, payload: Buffer.alloc(63) })
    const r = new Reassembler('encrypted')
    const out = pieces(Buffer.concat([a, b])).flatMap((p) => r.push(p))
    expect(out).toEqual([a, b])
    expect(r.pending).toBe(0)
  })

  it('knows plain frame lengths by command and rejects an unknown one', () => {
    const r = new Reassembler('plain')
    const pk = encodePlain(0x0003, Buffer.alloc(32, 5))
    expect(pieces(pk).flatMap((p) => r.push(p))).toEqual([pk])
    expect(() => r.push(Buffer.from([0x99, 0x99, 0, 0]))).toThrow(/no known length/)
    expect(r.pending).toBe(0)
  })

  it('refuses an absurd announced length instead of waiting forever', () => {
    const r = new Reassembler('encrypted')
    const junk = Buffer.alloc(30, 0xff)
    expect(() => r.push(junk)).toThrow(/announces/)
  })
})

describe('SlotMap', () => {
  it('keeps bindings, places foreign codes at slot = id when free, else lowest free', () => {
    const m = new SlotMap(1, 5, [[3, 1]])
    m.sync([{ id: 1, code: '111111' }, { id: 2, code: '222222' }, { id: 3, code: '333333' }])
    expect(m.pairs()).toEqual([[1, 3], [2, 2], [3, 1]])
  })

  it('forgets ids the lock no longer lists and honours pending adds', () => {
    const m = new SlotMap(1, 5, [[1, 1], [2, 2]])
    m.sync([{ id: 2, code: '222222' }, { id: 4, code: '444444' }], new Map([[5, '444444']]))
    expect(m.pairs()).toEqual([[2, 2], [5, 4]])
    expect(m.idOf(1)).toBeUndefined()
    expect(m.slotOf(4)).toBe(5)
  })

  it('leaves a code unplaced when every slot is taken', () => {
    const m = new SlotMap(1, 1, [[1, 1]])
    m.sync([{ id: 1, code: '1' }, { id: 2, code: '2' }])
    expect(m.pairs()).toEqual([[1, 1]])
  })
})

describe('parseNukiAdvertisement', () => {
  const beacon = (tx: number) => {
    const b = Buffer.alloc(25)
    b.writeUInt16LE(0x004c, 0)
    b[2] = 0x02
    b[3] = 0x15
    Buffer.from('a92ee200550111e4916c0800200c9a66', 'hex').copy(b, 4)
    Buffer.from('2A37599A', 'hex').copy(b, 20)
    b[24] = tx
    return b
  }

  it('reads the Nuki id, the state-changed bit and pairing mode', () => {
    expect(parseNukiAdvertisement({ manufacturerData: beacon(0xc4) })).toEqual({ nukiId: '2A37599A', pairingMode: false, stateChanged: false })
    expect(
      parseNukiAdvertisement({ manufacturerData: beacon(0xc5), serviceData: [{ uuid: 'a92ee100550111e4916c0800200c9a66', data: Buffer.alloc(4) }] }),
    ).toEqual({ nukiId: '2A37599A', pairingMode: true, stateChanged: true })
  })

  it('falls back to the local name and ignores other devices', () => {
    expect(parseNukiAdvertisement({ localName: 'Nuki_2a37599a' })).toMatchObject({ nukiId: '2A37599A' })
    expect(parseNukiAdvertisement({ localName: 'Fitbit' })).toBeUndefined()
    const other = beacon(0xc4)
    other[5] = other[5]! ^ 1
    expect(parseNukiAdvertisement({ manufacturerData: other })).toBeUndefined()
  })
})
