// The offline-card part of the simulated property: virtual cards, PN532 encoders on in-process serial
// links, and offline locks. The lab's HTTP routes map one-to-one onto these methods.
import type { Duplex } from 'node:stream'
import type { Clock } from '../kernel/clock.js'
import type { LockKeys } from '../protocols/lockstep-card/keys.js'
import type { Random } from '../kernel/ids.js'
import { duplexPair, type DuplexPair } from '../kernel/duplex-pair.js'
import { VirtualCardStore, type CardDump } from '../../simulators/mifare-classic/card-store.js'
import type { Decision } from '../../simulators/offline-lock/decide.js'
import { OfflineLock, type AuditEntry } from '../../simulators/offline-lock/lock.js'
import { Pn532Simulator } from '../../simulators/pn532-encoder/encoder.js'

export interface CardLabConfig {
  siteId: number
  /** What locks hold: the MAC key and the read key A secret (never K_B). */
  lockKeys: LockKeys
  encoders: Array<{ id: string; baud?: number | null }>
  entrances: Array<{ id: string; address: number; reservationCapable: boolean; skewSec?: number; auditCapacity?: number }>
}

export type PresentResult = Omit<Decision, 'fields'> & { credentialId?: number }

export class CardLab {
  readonly cards: VirtualCardStore
  private readonly encoders = new Map<string, { sim: Pn532Simulator; link: DuplexPair }>()
  private readonly locks = new Map<string, OfflineLock>()

  constructor(cfg: CardLabConfig, clock: Clock, random: Random) {
    this.cards = new VirtualCardStore(random)
    for (const e of cfg.encoders) {
      const link = duplexPair()
      const sim = new Pn532Simulator({ baud: e.baud === undefined ? 115200 : e.baud })
      sim.attach(link.device)
      this.encoders.set(e.id, { sim, link })
    }
    for (const d of cfg.entrances) {
      const lockCfg = {
        siteId: cfg.siteId,
        entrance: d.address,
        keys: cfg.lockKeys,
        reservationCapable: d.reservationCapable,
        ...(d.skewSec !== undefined ? { skewSec: d.skewSec } : {}),
        ...(d.auditCapacity !== undefined ? { auditCapacity: d.auditCapacity } : {}),
      }
      this.locks.set(d.id, new OfflineLock(lockCfg, clock))
    }
  }

  private enc(id: string) {
    const e = this.encoders.get(id)
    if (!e) throw new RangeError(`no encoder ${id}`)
    return e
  }

  private lock(id: string): OfflineLock {
    const l = this.locks.get(id)
    if (!l) throw new RangeError(`no entrance ${id}`)
    return l
  }

  /** The host end of encoder `id`'s serial cable: pass it as `port` to Pn532EncoderDriver. */
  encoderPort(id: string): Duplex {
    return this.enc(id).link.host
  }

  encoderSimulator(id: string): Pn532Simulator {
    return this.enc(id).sim
  }

  // POST cards/create
  createCard(): CardDump {
    return this.cards.get(this.cards.createBlank().cardId)
  }
  // GET cards/get
  getCard(cardId: string): CardDump {
    return this.cards.get(cardId)
  }
  // POST cards/clone
  cloneCard(cardId: string): CardDump {
    return this.cards.get(this.cards.clone(cardId).cardId)
  }
  // POST cards/write_block (attacker: no keys needed)
  writeBlock(cardId: string, block: number, hex: string): CardDump {
    this.cards.writeBlock(cardId, block, hex)
    return this.cards.get(cardId)
  }
  // POST encoders/place_card
  placeCard(encoderId: string, cardId: string): void {
    this.enc(encoderId).sim.placeCard(this.cards.card(cardId))
  }
  // POST encoders/remove_card
  removeCard(encoderId: string): void {
    this.enc(encoderId).sim.removeCard()
  }
  // POST entrances/present_card
  presentCard(entranceId: string, cardId: string): PresentResult {
    const { fields, ...rest } = this.lock(entranceId).present(this.cards.card(cardId))
    return { ...rest, ...(fields ? { credentialId: fields.credentialId } : {}) }
  }
  // POST entrances/set_privacy (thumb-turn)
  setPrivacy(entranceId: string, on: boolean): void {
    this.lock(entranceId).setPrivacy(on)
  }
  // GET entrances/audit_log
  auditLog(entranceId: string): AuditEntry[] {
    return this.lock(entranceId).audit()
  }

  stop(): void {
    for (const { sim, link } of this.encoders.values()) {
      sim.detach()
      link.cut()
    }
  }
}
