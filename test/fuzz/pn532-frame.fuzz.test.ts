// Fuzz the PN532 frame readers (host side in the adapter, device side in the simulator):
// arbitrary bytes, split anywhere, never throw, never hang, and only ever yield typed items.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { encodeFrame, FrameReader } from '../../adapters/pn532-serial/frame.js'
import { HostFrameScanner } from '../../simulators/pn532-encoder/hsu.js'

const KINDS = new Set(['ack', 'nack', 'error', 'data', 'frame_error'])
const chunked = fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 12 })
// Bias towards structure: valid frames, ACKs and start codes mixed with noise.
const structured = fc.array(
  fc.oneof(
    fc.uint8Array({ maxLength: 16 }),
    fc.constant(Uint8Array.from([0x00, 0x00, 0xff, 0x00, 0xff, 0x00])),
    fc.constant(Uint8Array.from([0x00, 0xff])),
    fc.uint8Array({ minLength: 0, maxLength: 40 }).map((pd) => Uint8Array.from(encodeFrame(0xd5, pd))),
  ),
  { maxLength: 10 },
)

describe('fuzz: PN532 frame parsing', () => {
  it('adapter FrameReader: no throw, typed items only, valid frames survive arbitrary chunking', () => {
    fc.assert(
      fc.property(fc.oneof(chunked, structured), (chunks) => {
        const r = new FrameReader()
        for (const c of chunks) for (const item of r.push(c)) expect(KINDS.has(item.kind)).toBe(true)
      }),
      { numRuns: 10_000 },
    )
  })

  it('adapter FrameReader: any sequence of valid frames, split anywhere, parses back exactly', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 60 }), { minLength: 1, maxLength: 5 }), fc.array(fc.nat(400), { maxLength: 6 }), (pds, cuts) => {
        const wire = Buffer.concat(pds.map((pd) => encodeFrame(0xd5, pd)))
        const points = [...new Set(cuts.map((c) => c % (wire.length + 1)))].sort((a, b) => a - b)
        const r = new FrameReader()
        const got: unknown[] = []
        let at = 0
        for (const p of [...points, wire.length]) {
          got.push(...r.push(wire.subarray(at, p)))
          at = p
        }
        const want = pds.map((pd) => (pd.length === 0 ? { kind: 'data', tfi: 0xd5, pd: Buffer.alloc(0) } : { kind: 'data', tfi: 0xd5, pd: Buffer.from(pd) }))
        expect(got).toEqual(want)
      }),
      { numRuns: 10_000 },
    )
  })

  it('simulator HostFrameScanner: no throw, bounded memory, typed items only', () => {
    fc.assert(
      fc.property(fc.oneof(chunked, structured), (chunks) => {
        const s = new HostFrameScanner()
        for (const c of chunks) {
          for (const item of s.feed(Buffer.from(c))) expect(['command', 'ack', 'nack', 'damaged']).toContain(item.t)
        }
      }),
      { numRuns: 10_000 },
    )
  })

  it('a single flipped byte inside a valid frame is never accepted as a different valid frame', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 30 }), fc.nat(), fc.integer({ min: 1, max: 255 }), (pd, pos, x) => {
        const f = encodeFrame(0xd5, pd)
        const i = 3 + (pos % (f.length - 4)) // LEN … DCS
        f[i] = f[i]! ^ x
        const items = new FrameReader().push(f)
        for (const it of items) if (it.kind === 'data') expect(it.pd.equals(Buffer.from(pd))).toBe(false)
        expect(items.filter((it) => it.kind === 'data' && it.pd.equals(Buffer.from(pd)))).toHaveLength(0)
      }),
      { numRuns: 10_000 },
    )
  })
})
