// Fuzz the card decoder: random records, mutated valid records and malformed block maps must
// yield { ok } or a typed error — never a throw, never an accepted forgery.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decodeCard, encodeRecord, recordToBlocks, type CardFields } from '../../src/protocols/lockstep-card/card.js'

const K = Buffer.alloc(32, 7)
const UID = Buffer.from('01020304', 'hex')
const ERRORS = ['bad_format', 'wrong_site', 'bad_mac']

const fields: fc.Arbitrary<CardFields> = fc
  .record({
    level: fc.constantFrom('guest', 'staff', 'master', 'emergency' as const),
    type: fc.constantFrom('entry', 'cancel', 'lockout_set', 'lockout_clear' as const),
    flags: fc.record({ oneShot: fc.boolean(), joiner: fc.boolean(), privacyOverride: fc.boolean(), lockoutOverride: fc.boolean() }),
    credentialId: fc.nat(0xffffffff),
    reservationTag: fc.uint8Array({ minLength: 8, maxLength: 8 }).map((b) => Buffer.from(b)),
    stamp: fc.record({ time: fc.nat(0xffffffff), seq: fc.nat(0xffff) }),
    startsAt: fc.nat(0xfffffff0),
    len: fc.integer({ min: 1, max: 0xffff }),
    entrances: fc.array(fc.integer({ min: 1, max: 0xfffe }), { minLength: 1, maxLength: 24 }),
  })
  .map(({ len, ...f }) => ({ ...f, siteId: 1, endsAt: Math.min(0xffffffff, f.startsAt + len) }) as CardFields)

describe('fuzz: card decoder', () => {
  it('random 96-byte records: typed result, no throw', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 96, maxLength: 96 }), fc.uint8Array({ minLength: 0, maxLength: 8 }), (r, uid) => {
        const res = decodeCard(Buffer.from(r), Buffer.from(uid), K, 1)
        if (!res.ok) expect(ERRORS).toContain(res.error)
        else expect(res.fields.siteId).toBe(1) // only possible with a correct MAC: astronomically unlikely
      }),
      { numRuns: 10_000 },
    )
  })

  it('valid cards round-trip; any mutation is refused with a typed error', () => {
    fc.assert(
      fc.property(fields, fc.nat(95), fc.integer({ min: 1, max: 255 }), (f, pos, x) => {
        const r = encodeRecord(f, UID, K)
        const ok = decodeCard(r, UID, K, 1)
        expect(ok.ok && ok.fields).toEqual(f)
        const bad = Buffer.from(r)
        bad[pos] = bad[pos]! ^ x
        const res = decodeCard(recordToBlocks(bad), UID, K, 1)
        expect(res.ok).toBe(false)
        if (!res.ok) expect(ERRORS).toContain(res.error)
      }),
      { numRuns: 10_000 },
    )
  })

  it('malformed block maps (missing, short, long, extra blocks): bad_format, no throw', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: -2, max: 70 }), fc.uint8Array({ maxLength: 20 })), { maxLength: 10 }), (entries) => {
        const m = new Map(entries.map(([b, d]) => [b, Buffer.from(d)]))
        const res = decodeCard(m, UID, K, 1)
        expect(res.ok).toBe(false)
        if (!res.ok) expect(ERRORS).toContain(res.error)
      }),
      { numRuns: 10_000 },
    )
  })
})
