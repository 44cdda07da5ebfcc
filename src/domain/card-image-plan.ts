// The card image plan: grant facts → card fields → card image, plus the per-site stamp allocator.
// Pure; the card-credentials repository persists the allocator's last value and the credential number counter.
import { createHmac } from 'node:crypto'
import type { CardImage } from './card-image.js'
import { encodeCard, NO_RESERVATION_TAG, type CardFields, type CardLevel, type CardType, type Stamp } from '../protocols/lockstep-card/card.js'
import { sectorKeysFor, type CardSectorKeys, type SiteKeys } from '../protocols/lockstep-card/keys.js'

/** First 8 bytes of HMAC-SHA256(kMac, "res" ‖ UTF-8 reservation_key). */
export function reservationTag(kMac: Buffer, reservationKey: string): Buffer {
  return createHmac('sha256', kMac).update(Buffer.from('res', 'latin1')).update(Buffer.from(reservationKey, 'utf8')).digest().subarray(0, 8)
}

/**
 * Next stamp after `last` at wall time `nowSec`: time = max(now, last.time); seq = last.seq + 1 when
 * the second is the same, else 0. Strictly increasing even if the clock steps back; when 65 536 stamps
 * land in one second, borrows the next second. `last` null = nothing issued yet on this site.
 */
export function nextStamp(last: Stamp | null, nowSec: number): Stamp {
  const now = Math.floor(nowSec)
  if (!last) return { time: now, seq: 0 }
  if (now > last.time) return { time: now, seq: 0 }
  if (last.seq < 0xffff) return { time: last.time, seq: last.seq + 1 }
  return { time: last.time + 1, seq: 0 }
}

/** What the daemon knows about the credential when it encodes a card. */
export interface CardGrantFacts {
  siteId: number
  credentialId: number
  level: CardLevel
  type?: CardType
  /** Guest cards of a reservation carry its tag; staff/no-reservation cards pass null. */
  reservationKey: string | null
  /** The reservation's stamp (shared by its joiners) or the staff level's generation stamp. */
  stamp: Stamp
  /** Epoch milliseconds (grant starts_at / ends_at); seconds are floored / ceiled outward. */
  startsAtMs: number
  endsAtMs: number
  entrances: number[]
  joiner?: boolean
  oneShot?: boolean
  privacyOverride?: boolean
  lockoutOverride?: boolean
}

export function cardFieldsFor(facts: CardGrantFacts, kMac: Buffer): CardFields {
  const startsAt = Math.floor(facts.startsAtMs / 1000)
  let endsAt = Math.ceil(facts.endsAtMs / 1000)
  if (endsAt <= startsAt) endsAt = startsAt + 1
  return {
    level: facts.level,
    type: facts.type ?? 'entry',
    flags: {
      oneShot: !!facts.oneShot,
      joiner: !!facts.joiner,
      privacyOverride: !!facts.privacyOverride,
      lockoutOverride: !!facts.lockoutOverride,
    },
    siteId: facts.siteId,
    credentialId: facts.credentialId,
    reservationTag: facts.reservationKey === null ? Buffer.from(NO_RESERVATION_TAG) : reservationTag(kMac, facts.reservationKey),
    stamp: facts.stamp,
    startsAt,
    endsAt,
    entrances: [...facts.entrances],
  }
}

/** The six credential blocks for `facts` on the card `uid` (4 bytes, from waitForCard). */
export function issueCardImage(facts: CardGrantFacts, uid: Buffer, keys: Pick<SiteKeys, 'kMac'>): CardImage {
  return { blocks: encodeCard(cardFieldsFor(facts, keys.kMac), uid, keys.kMac) }
}

/** Sector keys provider for the encoder driver, bound to the site's secrets. */
export function encoderKeyring(keys: Pick<SiteKeys, 'kA' | 'kB'>): (uid: Buffer) => CardSectorKeys {
  return (uid) => sectorKeysFor(keys, uid)
}
