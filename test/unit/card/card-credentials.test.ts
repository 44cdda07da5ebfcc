// The persisted card issuance state: stamps strictly increase across restarts and clock steps back,
// credential numbers never repeat, the site id and staff generation are stable, reservation stamps
// are reused only while a live grant holds a card of that key and door set.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { ManualClock } from '../../../src/kernel/clock.js'
import { compareStamps } from '../../../src/protocols/lockstep-card/card.js'
import { seededRandom } from '../../../src/kernel/ids.js'
import { Store } from '../../../src/store/store.js'
import type { IssuedCard } from '../../../src/store/card-credentials.js'

const T0 = Date.parse('2026-06-01T12:00:00Z')
const dirs: string[] = []
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true })
})

const card = (over: Partial<IssuedCard>): Omit<IssuedCard, 'seq'> => ({
  acsCredentialId: crypto.randomUUID(), credentialNumber: 1, cardUid: 'deadbeef', accessMethodId: 'm1', accessGrantId: 'g1', userIdentityId: null,
  acsEncoderId: null, level: 'guest', joiner: false, reservationKey: 'stay-1', reservationDoorSet: ['e1'], stamp: { time: 1, seq: 0 },
  startsAt: T0, endsAt: T0 + 1000, acsEntranceIds: ['e1'], entranceAddresses: [1], issuedAt: T0, ...over,
})

describe('CardCredentials', () => {
  it('persists the allocator, credential numbers, site id and staff generation across a reopen', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lockstep-cards-'))
    dirs.push(dir)
    const clock = new ManualClock(T0)
    let store = Store.open(join(dir, 'db.sqlite'), clock, seededRandom('ci'))
    const site = store.cardCredentials.siteId
    expect(site).toBeGreaterThan(0)
    const s1 = store.tx(() => store.cardCredentials.allocateStamp())
    const s2 = store.tx(() => store.cardCredentials.allocateStamp())
    expect(s2).toEqual({ time: s1.time, seq: s1.seq + 1 })
    const staff = store.tx(() => store.cardCredentials.staffStamp())
    expect(store.tx(() => store.cardCredentials.staffStamp())).toEqual(staff)
    const n1 = store.tx(() => store.cardCredentials.allocateCredentialNumber())
    store.close()

    clock.set(T0 - 3_600_000) // the box's clock stepped back an hour
    store = Store.open(join(dir, 'db.sqlite'), clock, seededRandom('ci'))
    expect(store.cardCredentials.siteId).toBe(site)
    expect(store.tx(() => store.cardCredentials.staffStamp())).toEqual(staff)
    const s3 = store.tx(() => store.cardCredentials.allocateStamp())
    expect(compareStamps(s3, staff)).toBe(1)
    expect(store.tx(() => store.cardCredentials.allocateCredentialNumber())).toBe(n1 + 1)
    store.close()
  })

  it('reuses a reservation stamp only for the same key and door set while its grant lives', () => {
    const store = Store.open(':memory:', new ManualClock(T0), seededRandom('ci2'))
    store.tx(() => store.cardCredentials.record(card({ stamp: { time: 5, seq: 1 } })))
    const live = new Set(['g1'])
    const isLive = (g: string) => live.has(g)
    expect(store.cardCredentials.reservationStamp('stay-1', ['e1'], isLive)).toEqual({ time: 5, seq: 1 })
    expect(store.cardCredentials.reservationStamp('stay-1', ['e2'], isLive)).toBeNull()
    expect(store.cardCredentials.reservationStamp('stay-2', ['e1'], isLive)).toBeNull()
    live.clear()
    expect(store.cardCredentials.reservationStamp('stay-1', ['e1'], isLive)).toBeNull()
    store.tx(() => store.cardCredentials.record(card({ credentialNumber: 2, stamp: { time: 6, seq: 0 }, accessGrantId: 'g2', reservationKey: 'stay-9', entranceAddresses: [1, 7] })))
    expect(store.cardCredentials.newerGuestCardsAt([1], { time: 5, seq: 1 }).map((c) => c.credentialNumber)).toEqual([2])
    expect(store.cardCredentials.newerGuestCardsAt([3], { time: 5, seq: 1 })).toEqual([])
    expect(store.cardCredentials.byCredentialNumber(2)?.cardUid).toBe('deadbeef')
    expect(store.cardCredentials.latestForUid('deadbeef')?.credentialNumber).toBe(2)
    store.close()
  })
})
