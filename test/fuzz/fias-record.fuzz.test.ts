// Fuzz the FIAS frame reader, record parser and key-request mapping: arbitrary bytes, split anywhere,
// never throw anything but a FiasRecordError with a message, and valid records survive any chunking.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { codePage } from '../../src/fias/code-page.js'
import { encodeFrame, FrameReader } from '../../src/fias/frame.js'
import { parseKeyRequest } from '../../src/fias/key-records.js'
import { encodeRecord, FiasRecordError, parseRecord, record } from '../../src/fias/record.js'

const cp850 = codePage('cp850')
const ID = fc.constantFrom('KR', 'KD', 'KM', 'KZ', 'KA', 'LS', 'LA', 'LD', 'LR', 'LC', 'LE', 'XY')
const FIELD_ID = fc.constantFrom('WS', 'KC', 'RN', 'KT', 'G#', 'GA', 'GD', 'DT', 'GN', 'RO', 'SI', 'KO', '$2', 'K#', 'ZZ', 'A0')
const VALUE = fc.oneof(
  fc.string({ unit: fc.constantFrom(...'0123456789:;, NDOAé'.split('')), maxLength: 12 }),
  fc.string({ unit: 'grapheme-ascii', maxLength: 20 }).map((s) => s.replace(/[|\x00-\x1f\x7f]/g, '')),
)
const REC = fc.tuple(ID, fc.array(fc.tuple(FIELD_ID, VALUE), { maxLength: 12 })).map(([type, fields]) => record(type, fields))
/** Bodies near the grammar: valid records, mutated by a few byte flips, or raw noise. */
const BODY = fc.oneof(
  REC.map((r) => encodeRecord(r, cp850)),
  fc.tuple(REC, fc.array(fc.tuple(fc.nat(200), fc.integer({ min: 0, max: 255 })), { maxLength: 3 })).map(([r, flips]) => {
    const b = Buffer.from(encodeRecord(r, cp850))
    for (const [at, v] of flips) if (b.length) b[at % b.length] = v
    return b
  }),
  fc.uint8Array({ maxLength: 80 }).map((u) => Buffer.from(u)),
)

function parseOrError(body: Uint8Array): 'ok' | 'error' {
  try {
    const rec = parseRecord(body, cp850)
    const mapped = parseKeyRequest(rec)
    if (!mapped.ok) {
      expect(mapped.answer.status).toBe('UR')
      expect(mapped.answer.text.length).toBeGreaterThan(0)
    }
    return 'ok'
  } catch (err) {
    expect(err).toBeInstanceOf(FiasRecordError)
    expect((err as Error).message.length).toBeGreaterThan(3)
    return 'error'
  }
}

describe('fuzz: FIAS records', () => {
  it('the record parser and key mapping never crash: a record or a FiasRecordError with a message (20k cases)', () => {
    fc.assert(fc.property(BODY, (body) => void parseOrError(body)), { numRuns: 20_000 })
  })

  it('any valid record encodes and parses back to itself', () => {
    fc.assert(
      fc.property(REC, (r) => {
        expect(parseRecord(encodeRecord(r, cp850), cp850)).toEqual(r)
      }),
      { numRuns: 10_000 },
    )
  })

  it('the frame reader takes any byte stream split anywhere; valid frames come out whole, in order', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(REC.map((r) => ({ ok: true as const, bytes: encodeFrame(encodeRecord(r, cp850)) })), fc.uint8Array({ maxLength: 30 }).map((u) => ({ ok: false as const, bytes: Buffer.from(u) }))), { maxLength: 8 }), fc.array(fc.nat(600), { maxLength: 8 }), (parts, cuts) => {
        const wire = Buffer.concat(parts.map((p) => p.bytes))
        const points = [...new Set(cuts.map((c) => c % (wire.length + 1)))].sort((a, b) => a - b)
        const reader = new FrameReader()
        const frames: Buffer[] = []
        let at = 0
        for (const p of [...points, wire.length]) {
          for (const item of reader.push(wire.subarray(at, p))) {
            if (item.kind === 'frame') frames.push(item.body)
            else expect(item.message.length).toBeGreaterThan(0)
            if (item.kind === 'frame') parseOrError(item.body)
          }
          at = p
        }
        // When no noise part holds STX/ETX, every valid frame is found exactly.
        const clean = parts.every((p) => p.ok || !p.bytes.some((b) => b === 0x02 || b === 0x03))
        if (clean) {
          const want = parts.filter((p) => p.ok).map((p) => p.bytes.subarray(1, -1))
          expect(frames).toEqual(want)
        }
      }),
      { numRuns: 10_000 },
    )
  })
})
