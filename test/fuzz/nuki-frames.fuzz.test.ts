// Fuzzing the Nuki frame decoders with fast-check: arbitrary bytes never crash them, every failure is a
// FrameError with a reason, and a damaged encrypted frame is never decoded into a different message.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { parseConfig, parseErrorReport, parseKeypadCode, parseKeyturnerStates } from '../../adapters/nuki-ble/messages.js'
import { Reassembler } from '../../adapters/nuki-ble/reassembler.js'
import { FakeBleMedium } from '../../simulators/ble-medium/medium.js'
import { SimulatedNukiLock } from '../../simulators/nuki-lock/nuki-lock.js'
import { seededRandom } from '../../src/kernel/ids.js'
import { NUKI_UUID, FrameError, decodePlain, decryptMessage, encodePlain, encryptMessage } from '../../src/protocols/nuki/index.js'

const RUNS = 10_000
const bytes = (max = 200) => fc.uint8Array({ minLength: 0, maxLength: max }).map((u) => Buffer.from(u))
const KEY = Buffer.alloc(32, 0x5a)

/** Runs fn; passes if it returns or throws a FrameError with a reason, fails on anything else. */
function onlyFrameErrors(fn: () => unknown): void {
  try {
    fn()
  } catch (e) {
    if (!(e instanceof FrameError)) throw e
    expect(e.reason).toMatch(/^(too_short|bad_length|bad_crc|auth_failed|auth_id_mismatch)$/)
  }
}

describe('fuzz: Nuki frame decoders', () => {
  it(`plain frames: ${RUNS} arbitrary inputs`, () => {
    fc.assert(fc.property(bytes(), (b) => onlyFrameErrors(() => decodePlain(b))), { numRuns: RUNS, seed: 1 })
  })

  it('plain frames: every valid frame round-trips', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffff }), bytes(100), (cmd, payload) => {
        expect(decodePlain(encodePlain(cmd, payload))).toEqual({ command: cmd, payload })
      }),
      { numRuns: 2000, seed: 2 },
    )
  })

  it(`encrypted frames: ${RUNS} arbitrary inputs, with and without a well-formed ADATA length`, () => {
    const shaped = fc.tuple(bytes(24), fc.integer({ min: 0, max: 0xffffffff }), bytes(120)).map(([n, id, rest]) => {
      const adata = Buffer.alloc(30)
      n.copy(adata)
      adata.writeUInt32LE(id, 24)
      adata.writeUInt16LE(rest.length, 28)
      return Buffer.concat([adata, rest])
    })
    fc.assert(fc.property(fc.oneof(bytes(), shaped), (b) => onlyFrameErrors(() => decryptMessage(KEY, b))), { numRuns: RUNS, seed: 3 })
  })

  it(`encrypted frames: ${RUNS} single-byte corruptions are all rejected`, () => {
    const frame = encryptMessage(KEY, Buffer.alloc(24, 1), { authorizationId: 2, command: 0x0045, payload: Buffer.alloc(63, 7) })
    fc.assert(
      fc.property(fc.integer({ min: 0, max: frame.length - 1 }), fc.integer({ min: 1, max: 255 }), (at, x) => {
        const bad = Buffer.from(frame)
        bad[at] = bad[at]! ^ x
        expect(() => decryptMessage(KEY, bad)).toThrow(FrameError)
      }),
      { numRuns: RUNS, seed: 4 },
    )
  })

  it(`reassembler: ${RUNS} arbitrary indication sequences`, () => {
    fc.assert(
      fc.property(fc.constantFrom('plain' as const, 'encrypted' as const), fc.array(bytes(20), { maxLength: 30 }), (kind, ps) => {
        const r = new Reassembler(kind)
        for (const p of ps) {
          try {
            for (const f of r.push(p)) {
              if (kind === 'encrypted') expect(f.length).toBe(30 + f.readUInt16LE(28))
            }
          } catch (e) {
            if (!(e instanceof FrameError)) throw e
            expect(r.pending).toBe(0) // a framing error clears the buffer
          }
        }
      }),
      { numRuns: RUNS, seed: 5 },
    )
  })

  it(`payload parsers: ${RUNS} arbitrary payloads`, () => {
    fc.assert(
      fc.property(bytes(80), (b) => {
        onlyFrameErrors(() => parseKeypadCode(b))
        onlyFrameErrors(() => parseKeyturnerStates(b))
        onlyFrameErrors(() => parseErrorReport(b))
        onlyFrameErrors(() => parseConfig(b))
      }),
      { numRuns: RUNS, seed: 6 },
    )
  })

  it('the simulated lock survives garbage on every characteristic', () => {
    const lock = new SimulatedNukiLock({ medium: new FakeBleMedium(), random: seededRandom('fuzz'), nukiId: 1 })
    fc.assert(
      fc.property(fc.constantFrom(NUKI_UUID.pairingGdio, NUKI_UUID.usdio, NUKI_UUID.keyturnerGdio), bytes(), (chr, b) => {
        lock.onWrite(NUKI_UUID.keyturnerService, chr, b)
      }),
      { numRuns: 2000, seed: 7 },
    )
  })
})
