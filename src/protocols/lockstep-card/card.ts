// Card payload v1 (docs/protocols/lockstep-card.md §4): a 96-byte record in blocks 4,5,6 (sector 1) and 8,9,10
// (sector 2), MAC = first 8 bytes of HMAC-SHA256(kMac, "LS1" ‖ UID ‖ R[0..87]).
// Pure codec shared by the daemon (issuing) and the simulated offline lock (reading); pinned by
// the golden vectors in test/unit/card/card-codec.test.ts (design rule 6).
import { createHmac, timingSafeEqual } from 'node:crypto'

export const CARD_DATA_BLOCKS = [4, 5, 6, 8, 9, 10] as const
export const CARD_SECTORS = [1, 2] as const
export const CARD_TRAILER_BLOCKS = [7, 11] as const
export const RECORD_BYTES = 96
export const MAX_ENTRANCES = 24
/** Every entrance of the site; only master and emergency cards may carry it. */
export const ALL_ENTRANCES = 0xffff

const MAGIC = [0x4c, 0x53]
const VERSION = 1

export const LEVELS = ['guest', 'staff', 'master', 'emergency'] as const
export type CardLevel = (typeof LEVELS)[number]
export const CARD_TYPES = ['entry', 'cancel', 'lockout_set', 'lockout_clear'] as const
export type CardType = (typeof CARD_TYPES)[number]

export interface CardFlags {
  oneShot: boolean
  joiner: boolean
  privacyOverride: boolean
  lockoutOverride: boolean
}

/** Override stamp: compared as the 48-bit number time·2^16 + seq. */
export interface Stamp {
  time: number
  seq: number
}

export interface CardFields {
  level: CardLevel
  type: CardType
  flags: CardFlags
  siteId: number
  credentialId: number
  /** 8 bytes; zeros when the card belongs to no reservation. */
  reservationTag: Buffer
  stamp: Stamp
  /** Unix seconds UTC. */
  startsAt: number
  /** Unix seconds UTC, exclusive, > startsAt. */
  endsAt: number
  /** 1…24 entrance addresses (u16, 0x0001…0xFFFE, or 0xFFFF for master/emergency). */
  entrances: number[]
}

export type CardDecodeError = 'bad_format' | 'wrong_site' | 'bad_mac'

export type CardDecodeResult =
  | { ok: true; fields: CardFields }
  | { ok: false; error: CardDecodeError; detail: string }

export const NO_RESERVATION_TAG: Buffer = Buffer.alloc(8)

export function stampValue(s: Stamp): number {
  // 48 bits fits exactly in a double.
  return s.time * 65536 + s.seq
}

export function compareStamps(a: Stamp, b: Stamp): number {
  return Math.sign(stampValue(a) - stampValue(b))
}

const u32 = (n: number): boolean => Number.isInteger(n) && n >= 0 && n <= 0xffffffff
const u16 = (n: number): boolean => Number.isInteger(n) && n >= 0 && n <= 0xffff

/** Throws RangeError on fields the format cannot carry; the daemon validates before it gets here. */
export function validateFields(f: CardFields): void {
  if (!LEVELS.includes(f.level)) throw new RangeError(`unknown level ${String(f.level)}`)
  if (!CARD_TYPES.includes(f.type)) throw new RangeError(`unknown card type ${String(f.type)}`)
  if (!u32(f.siteId)) throw new RangeError('siteId must be u32')
  if (!u32(f.credentialId)) throw new RangeError('credentialId must be u32')
  if (!Buffer.isBuffer(f.reservationTag) || f.reservationTag.length !== 8) throw new RangeError('reservationTag must be 8 bytes')
  if (!u32(f.stamp.time) || !u16(f.stamp.seq)) throw new RangeError('stamp out of range')
  if (!u32(f.startsAt) || !u32(f.endsAt) || f.endsAt <= f.startsAt) throw new RangeError('window must be u32 seconds with endsAt > startsAt')
  const n = f.entrances.length
  if (n < 1 || n > MAX_ENTRANCES) throw new RangeError(`entrance count must be 1…${MAX_ENTRANCES}`)
  for (const e of f.entrances) {
    if (!u16(e) || e === 0) throw new RangeError(`bad entrance address ${e}`)
    if (e === ALL_ENTRANCES && f.level !== 'master' && f.level !== 'emergency') {
      throw new RangeError('0xFFFF (all entrances) is reserved to master and emergency cards')
    }
  }
}

function flagsByte(f: CardFlags): number {
  return (f.oneShot ? 1 : 0) | (f.joiner ? 2 : 0) | (f.privacyOverride ? 4 : 0) | (f.lockoutOverride ? 8 : 0)
}

export function computeMac(kMac: Buffer, uid: Buffer, body: Buffer): Buffer {
  return createHmac('sha256', kMac).update(Buffer.from('LS1', 'latin1')).update(uid).update(body.subarray(0, 88)).digest().subarray(0, 8)
}

/** The 96-byte record R for `fields` on the card with `uid`. */
export function encodeRecord(fields: CardFields, uid: Buffer, kMac: Buffer): Buffer {
  validateFields(fields)
  if (uid.length !== 4) throw new RangeError('card UID must be 4 bytes')
  const r = Buffer.alloc(RECORD_BYTES)
  r[0] = MAGIC[0]!
  r[1] = MAGIC[1]!
  r[2] = VERSION
  r[3] = LEVELS.indexOf(fields.level)
  r[4] = CARD_TYPES.indexOf(fields.type)
  r[5] = flagsByte(fields.flags)
  r[6] = fields.entrances.length
  r.writeUInt32BE(fields.siteId, 8)
  r.writeUInt32BE(fields.credentialId, 12)
  fields.reservationTag.copy(r, 16)
  r.writeUInt32BE(fields.stamp.time, 24)
  r.writeUInt16BE(fields.stamp.seq, 28)
  r.writeUInt32BE(fields.startsAt, 32)
  r.writeUInt32BE(fields.endsAt, 36)
  fields.entrances.forEach((e, i) => r.writeUInt16BE(e, 40 + 2 * i))
  computeMac(kMac, uid, r).copy(r, 88)
  return r
}

export function recordToBlocks(r: Buffer): Map<number, Buffer> {
  const m = new Map<number, Buffer>()
  CARD_DATA_BLOCKS.forEach((b, i) => m.set(b, Buffer.from(r.subarray(16 * i, 16 * i + 16))))
  return m
}

/** Reassembles R from blocks; undefined when a block is missing or not 16 bytes. */
export function blocksToRecord(blocks: ReadonlyMap<number, Buffer>): Buffer | undefined {
  const parts: Buffer[] = []
  for (const b of CARD_DATA_BLOCKS) {
    const x = blocks.get(b)
    if (!x || x.length !== 16) return undefined
    parts.push(x)
  }
  return Buffer.concat(parts)
}

/** encode(fields, uid, kMac) → the six credential blocks. */
export function encodeCard(fields: CardFields, uid: Buffer, kMac: Buffer): Map<number, Buffer> {
  return recordToBlocks(encodeRecord(fields, uid, kMac))
}

/** Format check only (step 3 of the lock procedure): returns fields or why not. */
export function parseRecord(r: Buffer): { ok: true; fields: CardFields } | { ok: false; detail: string } {
  if (r.length !== RECORD_BYTES) return { ok: false, detail: 'record must be 96 bytes' }
  if (r[0] !== MAGIC[0] || r[1] !== MAGIC[1]) return { ok: false, detail: 'magic' }
  if (r[2] !== VERSION) return { ok: false, detail: 'version' }
  const level = LEVELS[r[3]!]
  if (level === undefined) return { ok: false, detail: 'level' }
  const type = CARD_TYPES[r[4]!]
  if (type === undefined) return { ok: false, detail: 'type' }
  const flags = r[5]!
  if (flags & 0xf0) return { ok: false, detail: 'flag bits 4-7' }
  const n = r[6]!
  if (n < 1 || n > MAX_ENTRANCES) return { ok: false, detail: 'entrance count' }
  if (r[7] !== 0 || r[30] !== 0 || r[31] !== 0) return { ok: false, detail: 'reserved bytes' }
  const entrances: number[] = []
  for (let i = 0; i < MAX_ENTRANCES; i++) {
    const e = r.readUInt16BE(40 + 2 * i)
    if (i < n) {
      if (e === 0) return { ok: false, detail: 'empty entrance slot below n' }
      entrances.push(e)
    } else if (e !== 0) return { ok: false, detail: 'entrance slot beyond n not zero' }
  }
  const startsAt = r.readUInt32BE(32)
  const endsAt = r.readUInt32BE(36)
  if (endsAt <= startsAt) return { ok: false, detail: 'ends_at <= starts_at' }
  return {
    ok: true,
    fields: {
      level,
      type,
      flags: { oneShot: !!(flags & 1), joiner: !!(flags & 2), privacyOverride: !!(flags & 4), lockoutOverride: !!(flags & 8) },
      siteId: r.readUInt32BE(8),
      credentialId: r.readUInt32BE(12),
      reservationTag: Buffer.from(r.subarray(16, 24)),
      stamp: { time: r.readUInt32BE(24), seq: r.readUInt16BE(28) },
      startsAt,
      endsAt,
      entrances,
    },
  }
}

/**
 * decode(blocks, uid, kMac, siteId): format → site → MAC, in the lock's order. Never throws on
 * card content; every bad input is a typed error.
 */
export function decodeCard(blocks: ReadonlyMap<number, Buffer> | Buffer, uid: Buffer, kMac: Buffer, siteId: number): CardDecodeResult {
  const r = Buffer.isBuffer(blocks) ? blocks : blocksToRecord(blocks)
  if (!r) return { ok: false, error: 'bad_format', detail: 'missing credential blocks' }
  const parsed = parseRecord(r)
  if (!parsed.ok) return { ok: false, error: 'bad_format', detail: parsed.detail }
  if (parsed.fields.siteId !== siteId) return { ok: false, error: 'wrong_site', detail: `site ${parsed.fields.siteId}` }
  if (uid.length !== 4) return { ok: false, error: 'bad_format', detail: 'UID must be 4 bytes' }
  const mac = computeMac(kMac, uid, r)
  if (!timingSafeEqual(mac, r.subarray(88, 96))) return { ok: false, error: 'bad_mac', detail: 'MAC mismatch' }
  return { ok: true, fields: parsed.fields }
}
