// The lab's box of virtual cards: create blank, get (UID + 64 blocks hex), clone, raw write.
import type { Random } from '../../src/kernel/ids.js'
import { ClassicCard } from './card.js'

export interface CardDump {
  cardId: string
  uid: string
  blocks: string[]
}

export class VirtualCardStore {
  private readonly cards = new Map<string, ClassicCard>()
  private n = 0

  constructor(private readonly random: Random) {}

  private add(card: ClassicCard): string {
    const id = `card_${++this.n}`
    this.cards.set(id, card)
    return id
  }

  /** A factory-fresh card with a random 4-byte NUID (never the cascade tag 0x88, never all-zero). */
  createBlank(): { cardId: string; card: ClassicCard } {
    let uid: Buffer
    do uid = this.random.bytes(4)
    while (uid[0] === 0x88 || uid.equals(Buffer.alloc(4)))
    const card = ClassicCard.blank(uid, this.random.bytes(8))
    return { cardId: this.add(card), card }
  }

  card(cardId: string): ClassicCard {
    const c = this.cards.get(cardId)
    if (!c) throw new RangeError(`no virtual card ${cardId}`)
    return c
  }

  get(cardId: string): CardDump {
    const c = this.card(cardId)
    return { cardId, uid: c.uid.toString('hex'), blocks: c.dump().map((b) => b.toString('hex')) }
  }

  /** Byte-for-byte copy onto a new virtual card (same UID: a "magic" Gen1 clone). */
  clone(cardId: string): { cardId: string; card: ClassicCard } {
    const card = ClassicCard.fromBlocks(this.card(cardId).dump())
    return { cardId: this.add(card), card }
  }

  /** Attacker write: ignores keys and access bits. */
  writeBlock(cardId: string, block: number, hex: string): void {
    if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new RangeError('block data must be 32 hex characters')
    this.card(cardId).rawWrite(block, Buffer.from(hex, 'hex'))
  }

  list(): string[] {
    return [...this.cards.keys()]
  }

  /** Puts back a card saved earlier under its id (`lockstep simulate` restarts); later ids come after it. */
  restore(cardId: string, blocks: Buffer[]): void {
    this.cards.set(cardId, ClassicCard.fromBlocks(blocks))
    const n = /^card_(\d+)$/.exec(cardId)
    if (n) this.n = Math.max(this.n, Number(n[1]))
  }
}
