// The offline lock against seed 001 (reservation override/joiner) and docs/protocols/lockstep-card.md §5.
import { describe, expect, it } from 'vitest'
import { ManualClock } from '../../../src/kernel/clock.js'
import { seededRandom } from '../../../src/kernel/ids.js'
import { nextStamp, type CardGrantFacts } from '../../../src/domain/card-image-plan.js'
import { projectTrailer, sectorKeysFor, type SiteKeys } from '../../../src/protocols/lockstep-card/keys.js'
import type { Stamp } from '../../../src/protocols/lockstep-card/card.js'
import { VirtualCardStore } from '../../../simulators/mifare-classic/card-store.js'
import { OfflineLock } from '../../../simulators/offline-lock/lock.js'
import { personalise } from '../../helpers/cards.js'

const rnd = seededRandom('lock-tests')
const SITE: SiteKeys = { kMac: rnd.bytes(32), kA: rnd.bytes(32), kB: rnd.bytes(32) }
const H = 3_600_000
const DAY = 24 * H
const T0 = Date.parse('2025-05-10T15:00:00Z')
const ROOM101 = 101
const ROOM102 = 102
const ROOM203 = 203
const LOBBY = 900

function world() {
  const clock = new ManualClock(T0 + H)
  const store = new VirtualCardStore(seededRandom('lock-cards'))
  let last: Stamp | null = null
  let cred = 0
  const stamp = () => (last = nextStamp(last, clock.now() / 1000))
  const lock = (entrance: number, reservationCapable = true, extra: object = {}) =>
    new OfflineLock({ siteId: 1, entrance, keys: SITE, reservationCapable, ...extra }, clock)
  const card = (over: Partial<CardGrantFacts> & { stamp: Stamp }, keys: SiteKeys = SITE) =>
    personalise(store.createBlank().card, {
      siteId: 1,
      credentialId: ++cred,
      level: 'guest',
      reservationKey: 'stay-1',
      startsAtMs: T0,
      endsAtMs: T0 + 4 * DAY,
      entrances: [ROOM101],
      ...over,
    }, keys)
  return { clock, store, stamp, lock, card }
}

describe('seed 001 scenarios at the lock', () => {
  it('back-to-back stays: guest 1 works until guest 2 first uses the door, then overridden', () => {
    const w = world()
    const door = w.lock(ROOM101)
    const g1 = w.card({ reservationKey: 'stay-1', stamp: w.stamp() })
    expect(door.present(g1)).toMatchObject({ outcome: 'granted', mode: 'override' })
    w.clock.advance(H)
    const g2 = w.card({ reservationKey: 'stay-2', stamp: w.stamp() })
    expect(door.present(g1).outcome).toBe('granted') // the lock has not met guest 2 yet
    expect(door.present(g2)).toMatchObject({ outcome: 'granted', mode: 'override' })
    expect(door.present(g1)).toMatchObject({ outcome: 'denied', reason: 'overridden' })
    expect(door.present(g2).mode).toBe('joiner')
  })

  it('two guests on one stay (joiners) both open, in either order', () => {
    const w = world()
    const s = w.stamp()
    const g1 = w.card({ stamp: s })
    const g2 = w.card({ stamp: s, joiner: true })
    const a = w.lock(ROOM101)
    expect(a.present(g2)).toMatchObject({ outcome: 'granted', mode: 'override' })
    expect(a.present(g1)).toMatchObject({ outcome: 'granted', mode: 'joiner' })
    expect(a.present(g2)).toMatchObject({ outcome: 'granted', mode: 'joiner' })
  })

  it('a joiner on a subset of doors opens only those', () => {
    const w = world()
    const s = w.stamp()
    w.card({ stamp: s, entrances: [ROOM101, ROOM102] })
    const g2 = w.card({ stamp: s, joiner: true, entrances: [ROOM101] })
    expect(w.lock(ROOM101).present(g2).outcome).toBe('granted')
    expect(w.lock(ROOM102).present(g2).reason).toBe('wrong_entrance')
  })

  it('relocation: new room with a new stamp opens 203; old card refused at 203 and overridden at 101 after a cancel card', () => {
    const w = world()
    const d101 = w.lock(ROOM101)
    const d203 = w.lock(ROOM203)
    const old = w.card({ stamp: w.stamp(), entrances: [ROOM101] })
    expect(d101.present(old).outcome).toBe('granted')
    w.clock.advance(H)
    const moved = w.card({ stamp: w.stamp(), entrances: [ROOM203] })
    expect(d203.present(moved)).toMatchObject({ outcome: 'granted', mode: 'override' })
    expect(d203.present(old).reason).toBe('wrong_entrance')
    expect(d101.present(moved).reason).toBe('wrong_entrance')
    const cancel = w.card({ stamp: w.stamp(), type: 'cancel', reservationKey: null, level: 'guest', entrances: [ROOM101] })
    expect(d101.present(cancel)).toMatchObject({ outcome: 'cancel_applied', unlocked: false })
    expect(d101.present(old).reason).toBe('overridden')
    expect(d101.present(cancel).reason).toBe('overridden') // a cancel card works once
  })

  it('date change: re-encoded with the same stamp extends; shortened with a fresh stamp overrides the old card', () => {
    const w = world()
    const door = w.lock(ROOM101)
    const s = w.stamp()
    const orig = w.card({ stamp: s, endsAtMs: T0 + 2 * DAY })
    const extended = w.card({ stamp: s, endsAtMs: T0 + 6 * DAY })
    expect(door.present(orig).outcome).toBe('granted')
    expect(door.present(extended).mode).toBe('joiner')
    w.clock.advance(3 * DAY)
    expect(door.present(orig).reason).toBe('expired')
    expect(door.present(extended).outcome).toBe('granted')
    const shortened = w.card({ stamp: w.stamp(), endsAtMs: T0 + 4 * DAY })
    expect(door.present(shortened)).toMatchObject({ outcome: 'granted', mode: 'override' })
    expect(door.present(extended).reason).toBe('overridden')
  })

  it('re-encoding the same physical card: the new content opens, a clone of the old content is overridden', () => {
    const w = world()
    const door = w.lock(ROOM101)
    const { cardId, card } = w.store.createBlank()
    personalise(card, { siteId: 1, credentialId: 500, level: 'guest', reservationKey: 'stay-1', stamp: w.stamp(), startsAtMs: T0, endsAtMs: T0 + DAY, entrances: [ROOM101] }, SITE)
    const oldCopy = w.store.clone(cardId).card
    w.clock.advance(H)
    personalise(card, { siteId: 1, credentialId: 501, level: 'guest', reservationKey: 'stay-1b', stamp: w.stamp(), startsAtMs: T0, endsAtMs: T0 + 2 * DAY, entrances: [ROOM101] }, SITE)
    expect(door.present(card)).toMatchObject({ outcome: 'granted', mode: 'override' })
    expect(door.present(oldCopy).reason).toBe('overridden')
  })

  it('staff cards are not touched by guest overrides; a new staff generation revokes older staff cards', () => {
    const w = world()
    const door = w.lock(ROOM101)
    const gen1 = w.stamp()
    const staff = w.card({ level: 'staff', reservationKey: null, stamp: gen1, entrances: [ROOM101, ROOM102], endsAtMs: T0 + 365 * DAY })
    const staff2 = w.card({ level: 'staff', reservationKey: null, stamp: gen1, joiner: true, entrances: [ROOM101], endsAtMs: T0 + 365 * DAY })
    expect(door.present(staff).outcome).toBe('granted')
    const g1 = w.card({ reservationKey: 'stay-1', stamp: w.stamp() })
    const g2 = w.card({ reservationKey: 'stay-2', stamp: w.stamp() })
    expect(door.present(g1).outcome).toBe('granted')
    expect(door.present(g2).outcome).toBe('granted')
    expect(door.present(g1).reason).toBe('overridden')
    expect(door.present(staff)).toMatchObject({ outcome: 'granted', mode: 'joiner' })
    expect(door.present(staff2).outcome).toBe('granted')
    expect(door.snapshot().slots.staff.stamp).toEqual(gen1)
    const gen2 = w.card({ level: 'staff', reservationKey: null, stamp: w.stamp(), entrances: [ROOM101], endsAtMs: T0 + 365 * DAY })
    expect(door.present(gen2).mode).toBe('override')
    expect(door.present(staff).reason).toBe('overridden')
    expect(door.present(g2).outcome).toBe('granted') // and the guest slot was not touched by staff
  })

  it('mixed grant: capable room overrides, non-capable lobby accepts both guests in any order and stores nothing', () => {
    const w = world()
    const room = w.lock(ROOM101)
    const lobby = w.lock(LOBBY, false)
    const g1 = w.card({ reservationKey: 'stay-1', stamp: w.stamp(), entrances: [ROOM101, LOBBY] })
    const g2 = w.card({ reservationKey: 'stay-2', stamp: w.stamp(), entrances: [ROOM101, LOBBY] })
    expect(lobby.present(g2)).toMatchObject({ outcome: 'granted', mode: 'standard' })
    expect(lobby.present(g1)).toMatchObject({ outcome: 'granted', mode: 'standard' })
    expect(room.present(g2).outcome).toBe('granted')
    expect(room.present(g1).reason).toBe('overridden')
    expect(lobby.present(g1).outcome).toBe('granted')
    expect(lobby.snapshot().slots.guest.stamp).toEqual({ time: 0, seq: 0 })
  })
})

describe('lock security', () => {
  it('a byte-for-byte clone still opens (UID cloning is out of scope, as the reference says)', () => {
    const w = world()
    const { cardId, card } = w.store.createBlank()
    personalise(card, { siteId: 1, credentialId: 9, level: 'guest', reservationKey: 'x', stamp: w.stamp(), startsAtMs: T0, endsAtMs: T0 + DAY, entrances: [ROOM101] }, SITE)
    const clone = w.store.clone(cardId).card
    expect(clone.uid.equals(card.uid)).toBe(true)
    expect(w.lock(ROOM101).present(clone).outcome).toBe('granted')
  })

  it('any changed payload byte (raw write_block by an attacker) → refused: bad_mac (wrong_site for site bytes, bad_format for structure)', () => {
    const w = world()
    const src = w.store.createBlank()
    personalise(src.card, { siteId: 1, credentialId: 9, level: 'guest', reservationKey: 'x', stamp: w.stamp(), startsAtMs: T0, endsAtMs: T0 + DAY, entrances: [ROOM101] }, SITE)
    const reasons = new Set<string>()
    for (const b of [4, 5, 6, 8, 9, 10]) {
      for (let i = 0; i < 16; i++) {
        const c = w.store.clone(src.cardId)
        const blk = Buffer.from(w.store.get(c.cardId).blocks[b]!, 'hex')
        blk[i]! ^= 0x04
        w.store.writeBlock(c.cardId, b, blk.toString('hex'))
        const r = w.lock(ROOM101).present(c.card)
        expect(r.outcome, `block ${b} byte ${i}`).toBe('denied')
        reasons.add(r.reason)
        // Site id bytes fail the site check first (step 4); tag, stamp, credential id and MAC bytes are bad_mac.
        if (b === 4 && i >= 8 && i < 12) expect(r.reason).toBe('wrong_site')
        if ((b === 4 && i >= 12) || (b === 5 && i < 14) || (b === 10 && i >= 8)) expect(r.reason, `block ${b} byte ${i}`).toBe('bad_mac')
      }
    }
    expect([...reasons].every((x) => ['bad_format', 'wrong_site', 'bad_mac'].includes(x))).toBe(true)
    // The attack that matters: extend one's own stay.
    const c = w.store.clone(src.cardId)
    const b6 = Buffer.from(w.store.get(c.cardId).blocks[6]!, 'hex')
    b6.writeUInt32BE(b6.readUInt32BE(4) + 30 * 86400, 4)
    w.store.writeBlock(c.cardId, 6, b6.toString('hex'))
    expect(w.lock(ROOM101).present(c.card).reason).toBe('bad_mac')
  })

  it('payload copied onto another UID → bad_mac', () => {
    const w = world()
    const src = w.store.createBlank()
    personalise(src.card, { siteId: 1, credentialId: 9, level: 'guest', reservationKey: 'x', stamp: w.stamp(), startsAtMs: T0, endsAtMs: T0 + DAY, entrances: [ROOM101] }, SITE)
    const dst = w.store.createBlank()
    const dump = w.store.get(src.cardId).blocks
    for (const b of [4, 5, 6, 8, 9, 10]) w.store.writeBlock(dst.cardId, b, dump[b]!)
    // Give it trailers the lock can open (an attacker who knows that card's key A).
    const k = sectorKeysFor(SITE, dst.card.uid)
    for (const t of [7, 11]) dst.card.rawWrite(t, projectTrailer(k.keyA, k.keyB))
    expect(w.lock(ROOM101).present(dst.card).reason).toBe('bad_mac')
  })

  it('a card of another site: wrong_site when its sectors are readable, unreadable when its keys differ', () => {
    const w = world()
    const other: SiteKeys = { kMac: rnd.bytes(32), kA: SITE.kA, kB: rnd.bytes(32) }
    const foreign = w.card({ siteId: 2, stamp: w.stamp() }, other)
    expect(w.lock(ROOM101).present(foreign).reason).toBe('wrong_site')
    const foreign2 = w.card({ siteId: 2, stamp: w.stamp() }, { kMac: rnd.bytes(32), kA: rnd.bytes(32), kB: rnd.bytes(32) })
    expect(w.lock(ROOM101).present(foreign2).reason).toBe('unreadable')
    // Right site id but MAC'd under another key → bad_mac.
    const forged = w.card({ siteId: 1, stamp: w.stamp() }, other)
    expect(w.lock(ROOM101).present(forged).reason).toBe('bad_mac')
  })

  it('replaying an older reservation card after a newer one was used → overridden', () => {
    const w = world()
    const door = w.lock(ROOM101)
    const older = w.card({ reservationKey: 'stay-1', stamp: w.stamp() })
    const newer = w.card({ reservationKey: 'stay-2', stamp: w.stamp() })
    expect(door.present(newer).outcome).toBe('granted')
    expect(door.present(older).reason).toBe('overridden')
    // Equal stamp with a different tag (conflicting issue) is refused too.
    const conflicting = w.card({ reservationKey: 'stay-9', stamp: door.snapshot().slots.guest.stamp })
    expect(door.present(conflicting).reason).toBe('overridden')
  })
})

describe('lock procedure details', () => {
  it('window with skew grace: not_yet_valid, valid inside the grace, expired', () => {
    const w = world()
    const door = w.lock(ROOM101)
    const c = w.card({ stamp: w.stamp(), startsAtMs: T0 + 2 * H, endsAtMs: T0 + 5 * H })
    w.clock.set(T0 + 2 * H - 301_000)
    expect(door.present(c).reason).toBe('not_yet_valid')
    w.clock.set(T0 + 2 * H - 299_000)
    expect(door.present(c).outcome).toBe('granted')
    w.clock.set(T0 + 5 * H + 299_000)
    expect(door.present(c).outcome).toBe('granted')
    w.clock.set(T0 + 5 * H + 300_000)
    expect(door.present(c).reason).toBe('expired')
  })

  it('wrong entrance; master 0xFFFF opens every door', () => {
    const w = world()
    expect(w.lock(ROOM101).present(w.card({ stamp: w.stamp(), entrances: [ROOM102] })).reason).toBe('wrong_entrance')
    const master = w.card({ level: 'master', reservationKey: null, stamp: w.stamp(), entrances: [0xffff] })
    expect(w.lock(ROOM203).present(master).outcome).toBe('granted')
  })

  it('one-shot: first use opens, second is one_shot_used; never overrides', () => {
    const w = world()
    const door = w.lock(ROOM101)
    const g = w.card({ stamp: w.stamp() })
    expect(door.present(g).outcome).toBe('granted')
    const os = w.card({ stamp: w.stamp(), oneShot: true, reservationKey: null })
    expect(door.present(os)).toMatchObject({ outcome: 'granted', mode: 'one_shot' })
    expect(door.present(os).reason).toBe('one_shot_used')
    expect(door.present(g).outcome).toBe('granted')
  })

  it('privacy: deadbolt stops guests (and their override), emergency opens; lockout blocks until cleared', () => {
    const w = world()
    const door = w.lock(ROOM101)
    const g1 = w.card({ reservationKey: 'stay-1', stamp: w.stamp() })
    const g2 = w.card({ reservationKey: 'stay-2', stamp: w.stamp() })
    expect(door.present(g1).outcome).toBe('granted')
    door.setPrivacy(true)
    expect(door.present(g2).reason).toBe('privacy')
    const em = w.card({ level: 'emergency', reservationKey: null, stamp: w.stamp(), entrances: [0xffff] })
    expect(door.present(em).outcome).toBe('granted')
    door.setPrivacy(false)
    expect(door.present(g1).outcome).toBe('granted') // g2 did not override while the deadbolt was thrown
    const set = w.card({ level: 'staff', type: 'lockout_set', reservationKey: null, stamp: w.stamp() })
    const clear = w.card({ level: 'staff', type: 'lockout_clear', reservationKey: null, stamp: w.stamp() })
    expect(door.present(set)).toMatchObject({ outcome: 'lockout_set', unlocked: false })
    expect(door.present(g1).reason).toBe('blocked')
    expect(door.present(w.card({ stamp: w.stamp(), lockoutOverride: true, reservationKey: 'stay-1' })).outcome).toBe('granted')
    expect(door.present(clear).outcome).toBe('lockout_cleared')
  })

  it('unreadable: blank card, non-Classic SAK', () => {
    const w = world()
    const door = w.lock(ROOM101)
    const blank = w.store.createBlank().card
    expect(door.present(blank).reason).toBe('unreadable')
    const c = w.card({ stamp: w.stamp() })
    Object.defineProperty(c, 'sak', { value: 0x20 })
    expect(door.present(c).reason).toBe('unreadable')
  })

  it('audit: every attempt logged with reason, bounded FIFO', () => {
    const w = world()
    const door = w.lock(ROOM101, true, { auditCapacity: 5 })
    const g = w.card({ stamp: w.stamp() })
    for (let i = 0; i < 7; i++) door.present(i === 6 ? w.store.createBlank().card : g)
    const log = door.audit()
    expect(log).toHaveLength(5)
    expect(log.at(-1)).toMatchObject({ outcome: 'denied', reason: 'unreadable' })
    expect(log[0]).toMatchObject({ outcome: 'granted', credentialId: 1, level: 'guest', reason: 'granted' })
    expect(JSON.stringify(log)).not.toMatch(new RegExp(SITE.kA.toString('hex')))
  })
})

