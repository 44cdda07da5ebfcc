// Golden vectors for card payload v1, written from docs/protocols/lockstep-card.md §4 by hand (not by the codec).
import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { decodeCard, encodeCard, type CardFields } from '../../../src/protocols/lockstep-card/card.js'
import { cardKeyA, cardKeyB, projectTrailer } from '../../../src/protocols/lockstep-card/keys.js'
import { cardFieldsFor, issueCardImage, nextStamp, reservationTag } from '../../../src/domain/card-image-plan.js'

const seq = (from: number) => Buffer.from(Array.from({ length: 32 }, (_, i) => from + i))
const K_MAC = seq(0x00)
const K_A = seq(0x20)
const K_B = seq(0x40)
const UID = Buffer.from('deadbeef', 'hex')
const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex')

// The reference's example, block by block, as printed in docs/protocols/lockstep-card.md §4.
const DOC_BLOCKS: Record<number, string> = {
  4: '4C 53 01 00 00 00 02 00 00 00 00 01 00 00 01 01',
  5: '7A 6C 4C 33 36 41 EC 56 68 1E 49 A8 00 00 00 00',
  6: '68 1F 69 F0 68 24 77 B0 00 65 00 07 00 00 00 00',
  8: '00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00',
  9: '00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00',
  10: '00 00 00 00 00 00 00 00 B1 82 C6 C3 74 A4 65 C4',
}
const DOC_TRAILER = '9B 07 59 A5 80 D1 78 77 88 69 10 CE 75 DE B4 7B'

const exampleFields = (): CardFields => ({
  level: 'guest',
  type: 'entry',
  flags: { oneShot: false, joiner: false, privacyOverride: false, lockoutOverride: false },
  siteId: 1,
  credentialId: 0x101,
  reservationTag: createHmac('sha256', K_MAC).update('res').update('stay-1').digest().subarray(0, 8),
  stamp: { time: Date.parse('2025-05-09T18:30:00Z') / 1000, seq: 0 },
  startsAt: Date.parse('2025-05-10T15:00:00Z') / 1000,
  endsAt: Date.parse('2025-05-14T11:00:00Z') / 1000,
  entrances: [101, 7],
})

describe('card codec golden vectors (docs/protocols/lockstep-card.md §4)', () => {
  it('hand-assembled record matches the reference blocks', () => {
    // Build R from the spec table directly, to make sure the doc's bytes mean what we think they mean.
    const r = Buffer.alloc(96)
    r.set([0x4c, 0x53, 0x01, 0x00, 0x00, 0x00, 0x02, 0x00], 0)
    r.writeUInt32BE(1, 8)
    r.writeUInt32BE(0x101, 12)
    createHmac('sha256', K_MAC).update('res').update('stay-1').digest().copy(r, 16, 0, 8)
    r.writeUInt32BE(0x681e49a8, 24) // 2025-05-09T18:30:00Z
    r.writeUInt32BE(0x681f69f0, 32) // 2025-05-10T15:00:00Z
    r.writeUInt32BE(0x682477b0, 36) // 2025-05-14T11:00:00Z
    r.writeUInt16BE(101, 40)
    r.writeUInt16BE(7, 42)
    createHmac('sha256', K_MAC).update('LS1').update(UID).update(r.subarray(0, 88)).digest().copy(r, 88, 0, 8)
    const blocks = [4, 5, 6, 8, 9, 10]
    blocks.forEach((b, i) => expect(r.subarray(16 * i, 16 * i + 16).toString('hex')).toBe(hex(DOC_BLOCKS[b]!).toString('hex')))
  })

  it('encodeCard produces exactly the reference blocks', () => {
    const blocks = encodeCard(exampleFields(), UID, K_MAC)
    expect([...blocks.keys()]).toEqual([4, 5, 6, 8, 9, 10])
    for (const [b, data] of blocks) expect(data.toString('hex'), `block ${b}`).toBe(hex(DOC_BLOCKS[b]!).toString('hex'))
  })

  it('sector keys and trailer match the reference', () => {
    const t = projectTrailer(cardKeyA(K_A, UID), cardKeyB(K_B, UID))
    expect(t.toString('hex')).toBe(hex(DOC_TRAILER).toString('hex'))
  })

  it('issuing helper maps grant facts to the same card', () => {
    expect(reservationTag(K_MAC, 'stay-1').toString('hex')).toBe('7a6c4c333641ec56')
    const img = issueCardImage(
      {
        siteId: 1,
        credentialId: 0x101,
        level: 'guest',
        reservationKey: 'stay-1',
        stamp: { time: 0x681e49a8, seq: 0 },
        startsAtMs: Date.parse('2025-05-10T15:00:00Z'),
        endsAtMs: Date.parse('2025-05-14T11:00:00Z'),
        entrances: [101, 7],
      },
      UID,
      { kMac: K_MAC },
    )
    expect(img.blocks.get(10)!.toString('hex')).toBe(hex(DOC_BLOCKS[10]!).toString('hex'))
    expect(img.blocks.get(5)!.toString('hex')).toBe(hex(DOC_BLOCKS[5]!).toString('hex'))
  })

  it('staff cards carry a zero tag and flags land in byte 5', () => {
    const f = cardFieldsFor(
      { siteId: 9, credentialId: 1, level: 'staff', reservationKey: null, stamp: { time: 5, seq: 1 }, startsAtMs: 1000, endsAtMs: 5000, entrances: [3], joiner: true, oneShot: true },
      K_MAC,
    )
    expect(f.reservationTag.equals(Buffer.alloc(8))).toBe(true)
    const b4 = encodeCard(f, UID, K_MAC).get(4)!
    expect(b4[3]).toBe(0x01) // staff
    expect(b4[5]).toBe(0x03) // one-shot | joiner
    expect(b4.readUInt32BE(8)).toBe(9)
  })
})

describe('decodeCard', () => {
  const good = () => encodeCard(exampleFields(), UID, K_MAC)

  it('round-trips', () => {
    const r = decodeCard(good(), UID, K_MAC, 1)
    expect(r.ok).toBe(true)
    if (r.ok) expect(r.fields).toEqual(exampleFields())
  })

  it('reference blocks decode', () => {
    const m = new Map(Object.entries(DOC_BLOCKS).map(([k, v]) => [Number(k), hex(v)]))
    const r = decodeCard(m, UID, K_MAC, 1)
    expect(r.ok && r.fields.entrances).toEqual([101, 7])
  })

  it('every single-byte change is refused (bad_mac, bad_format or wrong_site), never accepted', () => {
    const blocks = good()
    for (const b of [4, 5, 6, 8, 9, 10]) {
      for (let i = 0; i < 16; i++) {
        const copy = new Map([...blocks].map(([k, v]) => [k, Buffer.from(v)]))
        copy.get(b)![i]! ^= 0x01
        const r = decodeCard(copy, UID, K_MAC, 1)
        expect(r.ok, `block ${b} byte ${i}`).toBe(false)
      }
    }
  })

  it('payload-only edits (tag, stamp, window, credential) are bad_mac', () => {
    for (const [b, i] of [[5, 0], [5, 11], [6, 3], [6, 7], [4, 15], [10, 15]] as const) {
      const copy = new Map([...good()].map(([k, v]) => [k, Buffer.from(v)]))
      copy.get(b)![i]! ^= 0x80
      const r = decodeCard(copy, UID, K_MAC, 1)
      expect(r.ok ? 'ok' : r.error).toBe('bad_mac')
    }
  })

  it('another UID is bad_mac; another site is wrong_site; another key is bad_mac', () => {
    const r1 = decodeCard(good(), Buffer.from('01020304', 'hex'), K_MAC, 1)
    expect(r1.ok ? 'ok' : r1.error).toBe('bad_mac')
    const r2 = decodeCard(good(), UID, K_MAC, 2)
    expect(r2.ok ? 'ok' : r2.error).toBe('wrong_site')
    const r3 = decodeCard(good(), UID, K_B, 1)
    expect(r3.ok ? 'ok' : r3.error).toBe('bad_mac')
  })

  it('format failures', () => {
    const cases: Array<[number, number, number, string]> = [
      [4, 0, 0x00, 'magic'],
      [4, 2, 0x02, 'version'],
      [4, 3, 0x04, 'level'],
      [4, 4, 0x04, 'type'],
      [4, 5, 0x10, 'flags'],
      [4, 6, 0x00, 'count 0'],
      [4, 6, 25, 'count 25'],
      [4, 7, 0x01, 'reserved'],
      [6, 12, 0x01, 'slot beyond n'],
    ]
    for (const [b, i, v, label] of cases) {
      const copy = new Map([...good()].map(([k, v2]) => [k, Buffer.from(v2)]))
      copy.get(b)![i] = v
      const r = decodeCard(copy, UID, K_MAC, 1)
      expect(r.ok ? 'ok' : r.error, label).toBe('bad_format')
    }
    const missing = good()
    missing.delete(9)
    expect(decodeCard(missing, UID, K_MAC, 1)).toMatchObject({ ok: false, error: 'bad_format' })
  })

  it('encode refuses fields the format cannot carry', () => {
    const f = exampleFields()
    expect(() => encodeCard({ ...f, entrances: [] }, UID, K_MAC)).toThrow(RangeError)
    expect(() => encodeCard({ ...f, entrances: [0xffff] }, UID, K_MAC)).toThrow(RangeError)
    expect(() => encodeCard({ ...f, level: 'master', entrances: [0xffff] }, UID, K_MAC)).not.toThrow()
    expect(() => encodeCard({ ...f, endsAt: f.startsAt }, UID, K_MAC)).toThrow(RangeError)
    expect(() => encodeCard({ ...f, entrances: Array.from({ length: 25 }, (_, i) => i + 1) }, UID, K_MAC)).toThrow(RangeError)
  })
})

describe('nextStamp', () => {
  it('is strictly increasing and follows the reference rule', () => {
    expect(nextStamp(null, 100.7)).toEqual({ time: 100, seq: 0 })
    expect(nextStamp({ time: 100, seq: 0 }, 100)).toEqual({ time: 100, seq: 1 })
    expect(nextStamp({ time: 100, seq: 4 }, 101)).toEqual({ time: 101, seq: 0 })
    expect(nextStamp({ time: 100, seq: 4 }, 50)).toEqual({ time: 100, seq: 5 }) // clock stepped back
    expect(nextStamp({ time: 100, seq: 0xffff }, 100)).toEqual({ time: 101, seq: 0 })
  })
})
