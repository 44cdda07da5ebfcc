// A simulated offline card lock: reads a presented card through its MIFARE model with the derived
// key A (a lock can read, never write), decides with decide.ts, keeps a bounded audit ring.
import type { Clock } from '../../src/kernel/clock.js'
import { CARD_DATA_BLOCKS, CARD_SECTORS } from '../../src/protocols/lockstep-card/card.js'
import { cardKeyA } from '../../src/protocols/lockstep-card/keys.js'
import type { CardReply } from '../mifare-classic/card.js'
import { decide, installState, type CardRead, type Decision, type LockConfig, type LockState } from './decide.js'

/** What a lock's reader can do with a card in its field (ClassicCard implements it). */
export interface ReadableCard {
  readonly uid: Buffer
  readonly sak: number
  select(): void
  authenticate(key: 'A' | 'B', block: number, keyBytes: Buffer, uid: Buffer): boolean
  read(block: number): CardReply
}

export interface AuditEntry {
  at: string
  uid: string
  credentialId?: number
  level?: string
  type?: string
  /** First two bytes of the reservation tag, hex: enough to tell stays apart, not to forge. */
  tagPrefix?: string
  outcome: Decision['outcome']
  reason: Decision['reason']
  mode?: Decision['mode']
}

export class OfflineLock {
  private state: LockState = installState()
  private readonly log: AuditEntry[] = []

  constructor(
    readonly config: LockConfig,
    private readonly clock: Clock,
  ) {}

  /** Steps 1–2: select (SAK 0x08, 4-byte UID), authenticate sectors 1 and 2 with key A, read six blocks. */
  private readCard(card: ReadableCard): CardRead {
    const uid = Buffer.from(card.uid)
    if ((card.sak & 0x08) === 0 || uid.length !== 4) return { ok: false, uid }
    card.select()
    const keyA = cardKeyA(this.config.keys.kA, uid)
    const parts: Buffer[] = []
    for (const sector of CARD_SECTORS) {
      if (!card.authenticate('A', sector * 4 + 3, keyA, uid)) return { ok: false, uid }
      for (const b of CARD_DATA_BLOCKS.filter((x) => Math.floor(x / 4) === sector)) {
        const r = card.read(b)
        if (!r.ok || !r.data) return { ok: false, uid }
        parts.push(r.data)
      }
    }
    return { ok: true, uid, record: Buffer.concat(parts) }
  }

  present(card: ReadableCard): Decision {
    const read = this.readCard(card)
    const { decision, state } = decide(this.config, this.state, read, Math.floor(this.clock.now() / 1000))
    this.state = state
    const f = decision.fields
    this.append({
      at: new Date(this.clock.now()).toISOString(),
      uid: card.uid.toString('hex'),
      ...(f ? { credentialId: f.credentialId, level: f.level, type: f.type, tagPrefix: f.reservationTag.subarray(0, 2).toString('hex') } : {}),
      outcome: decision.outcome,
      reason: decision.reason,
      ...(decision.mode ? { mode: decision.mode } : {}),
    })
    return decision
  }

  /** The thumb-turn / deadbolt. */
  setPrivacy(on: boolean): void {
    this.state = { ...this.state, privacy: on }
  }

  /** Oldest first; at most auditCapacity entries (350 by default, after Ilco). */
  audit(): AuditEntry[] {
    return this.log.map((e) => ({ ...e }))
  }

  snapshot(): LockState {
    return structuredClone(this.state)
  }

  /** Back to a state and audit saved earlier (a lock keeps both across power cuts; `lockstep simulate` restarts). */
  restore(state: LockState, audit: AuditEntry[]): void {
    // Copied by hand: structuredClone would turn the tags' Buffers into plain Uint8Arrays.
    const slots = Object.fromEntries(Object.entries(state.slots).map(([level, s]) => [level, { stamp: { ...s.stamp }, tag: Buffer.from(s.tag) }]))
    this.state = { ...state, slots: slots as LockState['slots'], usedOneShots: [...state.usedOneShots] }
    this.log.splice(0, this.log.length, ...audit.map((e) => ({ ...e })))
  }

  private append(e: AuditEntry): void {
    this.log.push(e)
    const cap = this.config.auditCapacity ?? 350
    if (this.log.length > cap) this.log.splice(0, this.log.length - cap)
  }
}
