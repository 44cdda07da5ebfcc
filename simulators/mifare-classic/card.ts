// A virtual MIFARE Classic 1K card (4-byte NUID): 64 blocks, per-sector keys and access bits
// enforced as the data sheet says. Crypto-1 itself is not modelled: a key matches or it does not.
import { accessConditions, allows, dataRights, keyBIsData, trailerRights, type KeyType } from './access.js'

export type CardReply = { ok: true; data?: Buffer } | { ok: false; nak: number }

const NAK_INVALID = 0x0
export const SAK_CLASSIC_1K = 0x08
export const ATQA_CLASSIC_1K = Buffer.from([0x00, 0x04])
export const TRANSPORT_TRAILER = Buffer.from('ffffffffffffff078069ffffffffffff', 'hex')

export class ClassicCard {
  private readonly mem: Buffer[]
  private session: { sector: number; key: KeyType } | undefined
  /** A failed authentication halts the card until it is selected again. */
  halted = false

  private constructor(blocks: Buffer[]) {
    this.mem = blocks.map((b) => Buffer.from(b))
  }

  /** Factory-fresh card: block 0 = UID, BCC, SAK, ATQA (LSB first), manufacturer bytes; transport trailers. */
  static blank(uid: Buffer, manufacturer: Buffer = Buffer.alloc(8)): ClassicCard {
    if (uid.length !== 4) throw new RangeError('virtual cards use a 4-byte NUID')
    const blocks = Array.from({ length: 64 }, (_, i) => (i % 4 === 3 ? Buffer.from(TRANSPORT_TRAILER) : Buffer.alloc(16)))
    const b0 = blocks[0]!
    uid.copy(b0, 0)
    b0[4] = uid[0]! ^ uid[1]! ^ uid[2]! ^ uid[3]!
    b0[5] = SAK_CLASSIC_1K
    b0[6] = 0x04
    b0[7] = 0x00
    manufacturer.copy(b0, 8, 0, 8)
    return new ClassicCard(blocks)
  }

  /** A byte-for-byte copy (a "magic" clone card): same UID, same blocks, keys included. */
  static fromBlocks(blocks: Buffer[]): ClassicCard {
    if (blocks.length !== 64 || blocks.some((b) => b.length !== 16)) throw new RangeError('a Classic 1K image is 64 blocks of 16 bytes')
    return new ClassicCard(blocks)
  }

  get uid(): Buffer {
    return Buffer.from(this.mem[0]!.subarray(0, 4))
  }
  readonly sak = SAK_CLASSIC_1K
  readonly atqa = ATQA_CLASSIC_1K

  /** Raw memory including keys (the lab's `cards/get`, cloning). */
  dump(): Buffer[] {
    return this.mem.map((b) => Buffer.from(b))
  }

  /** Attacker / lab write: bypasses keys and access bits, may even rewrite block 0. */
  rawWrite(block: number, data: Buffer): void {
    if (!Number.isInteger(block) || block < 0 || block > 63 || data.length !== 16) throw new RangeError('block 0…63, 16 bytes')
    this.mem[block] = Buffer.from(data)
  }

  /** REQA/anticollision/select: a fresh session, no sector open. */
  select(): void {
    this.halted = false
    this.session = undefined
  }

  private trailerOf(sector: number): Buffer {
    return this.mem[sector * 4 + 3]!
  }

  authenticate(key: KeyType, block: number, keyBytes: Buffer, uid: Buffer): boolean {
    if (this.halted || block < 0 || block > 63) return false
    const sector = Math.floor(block / 4)
    const t = this.trailerOf(sector)
    const stored = key === 'A' ? t.subarray(0, 6) : t.subarray(10, 16)
    if (!accessConditions(t) || keyBytes.length !== 6 || !uid.equals(this.uid) || !stored.equals(keyBytes)) {
      this.session = undefined
      this.halted = true
      return false
    }
    this.session = { sector, key }
    return true
  }

  private opened(block: number): { key: KeyType; c: [string, string, string, string] } | undefined {
    if (this.halted || !this.session || this.session.sector !== Math.floor(block / 4)) return undefined
    const c = accessConditions(this.trailerOf(this.session.sector))
    if (!c) return undefined
    // A readable key B is data: operations under it are refused.
    if (this.session.key === 'B' && keyBIsData(c[3])) return undefined
    return { key: this.session.key, c }
  }

  read(block: number): CardReply {
    const s = this.opened(block)
    if (!s) return { ok: false, nak: NAK_INVALID }
    const i = block % 4
    if (i < 3) {
      if (!allows(dataRights(s.c[i]!).read, s.key)) return { ok: false, nak: NAK_INVALID }
      return { ok: true, data: Buffer.from(this.mem[block]!) }
    }
    const r = trailerRights(s.c[3])
    const t = this.mem[block]!
    const out = Buffer.alloc(16) // key A never reads back
    if (allows(r.bitsRead, s.key)) t.copy(out, 6, 6, 10)
    if (allows(r.keyBRead, s.key)) t.copy(out, 10, 10, 16)
    return { ok: true, data: out }
  }

  write(block: number, data: Buffer): CardReply {
    const s = this.opened(block)
    if (!s || data.length !== 16 || block === 0) return { ok: false, nak: NAK_INVALID }
    const i = block % 4
    if (i < 3) {
      if (!allows(dataRights(s.c[i]!).write, s.key)) return { ok: false, nak: NAK_INVALID }
      this.mem[block] = Buffer.from(data)
      return { ok: true }
    }
    const r = trailerRights(s.c[3])
    const canA = allows(r.keyAWrite, s.key)
    const canBits = allows(r.bitsWrite, s.key)
    const canB = allows(r.keyBWrite, s.key)
    if (!canA && !canBits && !canB) return { ok: false, nak: NAK_INVALID }
    const t = this.mem[block]!
    if (canA) data.copy(t, 0, 0, 6)
    // Invalid access bits are accepted and then block the sector for good, as on a real card.
    if (canBits) data.copy(t, 6, 6, 10)
    if (canB) data.copy(t, 10, 10, 16)
    return { ok: true }
  }
}
