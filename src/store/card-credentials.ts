// Offline card credentials (migration 5): the site's card id, the persisted stamp allocator and
// credential-number counter, the staff generation stamp, and every card written and read back.
// Pure rules (nextStamp, card layout) live in src/domain; this file only remembers.
import { createHash } from 'node:crypto'
import { nextStamp } from '../domain/card-image-plan.js'
import type { CardLevel, Stamp } from '../protocols/lockstep-card/card.js'
import { json, type StoreContext } from './context.js'

export interface IssuedCard {
  seq: number
  acsCredentialId: string
  credentialNumber: number
  cardUid: string
  accessMethodId: string | null
  accessGrantId: string | null
  userIdentityId: string | null
  acsEncoderId: string | null
  level: CardLevel
  joiner: boolean
  reservationKey: string | null
  reservationDoorSet: string[] | null
  stamp: Stamp
  startsAt: number
  endsAt: number | null
  acsEntranceIds: string[]
  entranceAddresses: number[]
  issuedAt: number
  /** Forgotten through /acs/credentials/delete (migration 8); such cards leave lists. */
  deletedAt?: number | null
}

interface Row {
  seq: number
  acs_credential_id: string
  credential_number: number
  card_uid: string
  access_method_id: string | null
  access_grant_id: string | null
  user_identity_id: string | null
  acs_encoder_id: string | null
  level: CardLevel
  joiner: number
  reservation_key: string | null
  reservation_door_set: string | null
  stamp_time: number
  stamp_seq: number
  starts_at: number
  ends_at: number | null
  acs_entrance_ids: string
  entrance_addresses: string
  issued_at: number
  deleted_at?: number | null
}

interface StateRow {
  site_id: number
  last_stamp_time: number | null
  last_stamp_seq: number | null
  next_credential_number: number
  staff_stamp_time: number | null
  staff_stamp_seq: number | null
}

const fromRow = (r: Row): IssuedCard => ({
  seq: r.seq,
  acsCredentialId: r.acs_credential_id,
  credentialNumber: r.credential_number,
  cardUid: r.card_uid,
  accessMethodId: r.access_method_id,
  accessGrantId: r.access_grant_id,
  userIdentityId: r.user_identity_id,
  acsEncoderId: r.acs_encoder_id,
  level: r.level,
  joiner: r.joiner === 1,
  reservationKey: r.reservation_key,
  reservationDoorSet: json.parse<string[] | null>(r.reservation_door_set),
  stamp: { time: r.stamp_time, seq: r.stamp_seq },
  startsAt: r.starts_at,
  endsAt: r.ends_at,
  acsEntranceIds: json.parse<string[]>(r.acs_entrance_ids),
  entranceAddresses: json.parse<number[]>(r.entrance_addresses),
  issuedAt: r.issued_at,
  deletedAt: r.deleted_at ?? null,
})

export const doorSetKey = (ids: readonly string[]): string[] => [...new Set(ids)].sort()

export class CardCredentials {
  constructor(private readonly ctx: StoreContext) {
    const exists = ctx.db.prepare('SELECT 1 FROM card_issuance WHERE id = 1').get()
    if (!exists) {
      // Derived from the workspace id (no draw from the injected random, so seeded ids stay as they were):
      // cards of another box never decode as ours (`wrong_site`).
      const siteId = 1 + (createHash('sha256').update(`card-site:${ctx.workspaceId}`).digest().readUInt32BE(0) % 0xfffffffe)
      ctx.db.prepare('INSERT INTO card_issuance (id, site_id, next_credential_number) VALUES (1, ?, 1)').run(siteId)
    }
  }

  private state(): StateRow {
    return this.ctx.db.prepare('SELECT * FROM card_issuance WHERE id = 1').get() as StateRow
  }

  get siteId(): number {
    return this.state().site_id
  }

  /** A fresh override stamp, strictly greater than every stamp issued before on the site. Call inside tx. */
  allocateStamp(nowMs: number = this.ctx.clock.now()): Stamp {
    const s = this.state()
    const last = s.last_stamp_time === null ? null : { time: s.last_stamp_time, seq: s.last_stamp_seq ?? 0 }
    const next = nextStamp(last, nowMs / 1000)
    this.ctx.db.prepare('UPDATE card_issuance SET last_stamp_time = ?, last_stamp_seq = ? WHERE id = 1').run(next.time, next.seq)
    return next
  }

  /** The staff level's generation stamp (allocated on first use, then shared by every staff card). */
  staffStamp(): Stamp {
    const s = this.state()
    if (s.staff_stamp_time !== null) return { time: s.staff_stamp_time, seq: s.staff_stamp_seq ?? 0 }
    const stamp = this.allocateStamp()
    this.ctx.db.prepare('UPDATE card_issuance SET staff_stamp_time = ?, staff_stamp_seq = ? WHERE id = 1').run(stamp.time, stamp.seq)
    return stamp
  }

  /** Unique per encoded card on the site (u32). Burnt numbers (a failed write) are simply skipped. */
  allocateCredentialNumber(): number {
    const n = this.state().next_credential_number
    if (n > 0xffffffff) throw new RangeError('credential numbers exhausted')
    this.ctx.db.prepare('UPDATE card_issuance SET next_credential_number = ? WHERE id = 1').run(n + 1)
    return n
  }

  /**
   * The stamp the reservation (key + door set) already uses on issued cards of live grants, if any: the
   * newest such. A reservation whose grants were all deleted (room move, key reused later) starts afresh.
   */
  reservationStamp(reservationKey: string, doorSet: readonly string[], isLiveGrant: (accessGrantId: string) => boolean): Stamp | null {
    const set = json.str(doorSetKey(doorSet))
    const rows = (this.ctx.db
      .prepare("SELECT * FROM issued_cards WHERE reservation_key = ? AND level = 'guest' AND reservation_door_set = ? ORDER BY stamp_time DESC, stamp_seq DESC")
      .all(reservationKey, set) as Row[]).map(fromRow)
    const live = rows.find((c) => c.accessGrantId !== null && isLiveGrant(c.accessGrantId))
    return live ? live.stamp : null
  }

  record(c: Omit<IssuedCard, 'seq'>): IssuedCard {
    this.ctx.db
      .prepare(
        `INSERT INTO issued_cards (acs_credential_id, credential_number, card_uid, access_method_id, access_grant_id, user_identity_id, acs_encoder_id,
           level, joiner, reservation_key, reservation_door_set, stamp_time, stamp_seq, starts_at, ends_at, acs_entrance_ids, entrance_addresses, issued_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        c.acsCredentialId, c.credentialNumber, c.cardUid, c.accessMethodId, c.accessGrantId, c.userIdentityId, c.acsEncoderId,
        c.level, c.joiner ? 1 : 0, c.reservationKey, c.reservationDoorSet === null ? null : json.str(doorSetKey(c.reservationDoorSet)),
        c.stamp.time, c.stamp.seq, c.startsAt, c.endsAt, json.str(c.acsEntranceIds), json.str(c.entranceAddresses), c.issuedAt,
      )
    return this.byCredentialId(c.acsCredentialId)!
  }

  byCredentialId(acsCredentialId: string): IssuedCard | undefined {
    const r = this.ctx.db.prepare('SELECT * FROM issued_cards WHERE acs_credential_id = ?').get(acsCredentialId) as Row | undefined
    return r ? fromRow(r) : undefined
  }

  /** Cards not deleted through the API, oldest first. */
  listLive(): IssuedCard[] {
    return (this.ctx.db.prepare('SELECT * FROM issued_cards WHERE deleted_at IS NULL ORDER BY seq').all() as Row[]).map(fromRow)
  }

  markDeleted(acsCredentialId: string): void {
    this.ctx.db.prepare('UPDATE issued_cards SET deleted_at = ? WHERE acs_credential_id = ? AND deleted_at IS NULL').run(this.ctx.clock.now(), acsCredentialId)
  }

  byCredentialNumber(n: number): IssuedCard | undefined {
    const r = this.ctx.db.prepare('SELECT * FROM issued_cards WHERE credential_number = ?').get(n) as Row | undefined
    return r ? fromRow(r) : undefined
  }

  /** Every credential ever written for a method, oldest first. */
  credentialIdsOfMethod(accessMethodId: string): string[] {
    return (this.ctx.db.prepare('SELECT acs_credential_id FROM issued_cards WHERE access_method_id = ? ORDER BY seq').all(accessMethodId) as { acs_credential_id: string }[])
      .map((r) => r.acs_credential_id)
  }

  /** The newest card written for a method (what `access_method.issued` refers to). */
  latestForMethod(accessMethodId: string): IssuedCard | undefined {
    const r = this.ctx.db.prepare('SELECT * FROM issued_cards WHERE access_method_id = ? ORDER BY seq DESC LIMIT 1').get(accessMethodId) as Row | undefined
    return r ? fromRow(r) : undefined
  }

  /** The newest card written on a physical card (UID, lowercase hex). */
  latestForUid(cardUid: string): IssuedCard | undefined {
    const r = this.ctx.db.prepare('SELECT * FROM issued_cards WHERE card_uid = ? ORDER BY seq DESC LIMIT 1').get(cardUid) as Row | undefined
    return r ? fromRow(r) : undefined
  }

  /** Guest cards issued with a newer stamp for any of `addresses` (they override `stamp` on first use there). */
  newerGuestCardsAt(addresses: readonly number[], stamp: Stamp): IssuedCard[] {
    const rows = (this.ctx.db
      .prepare("SELECT * FROM issued_cards WHERE level = 'guest' AND (stamp_time > ? OR (stamp_time = ? AND stamp_seq > ?)) ORDER BY seq")
      .all(stamp.time, stamp.time, stamp.seq) as Row[]).map(fromRow)
    return rows.filter((c) => c.entranceAddresses.some((a) => addresses.includes(a)))
  }
}
