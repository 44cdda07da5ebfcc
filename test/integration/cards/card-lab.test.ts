// The lab facade end to end: driver on the lab's in-process encoder link, cards issued by the
// domain helper, presented at lab doors; clock advance through an OffsetClock.
import { afterEach, describe, expect, it } from 'vitest'
import { Pn532EncoderDriver } from '../../../adapters/pn532-serial/driver.js'
import { ManualClock, OffsetClock } from '../../../src/kernel/clock.js'
import { encoderKeyring, issueCardImage, nextStamp } from '../../../src/domain/card-image-plan.js'
import { seededRandom } from '../../../src/kernel/ids.js'
import { CardLab } from '../../../src/lab/card-lab.js'
import type { Stamp } from '../../../src/protocols/lockstep-card/card.js'

const rnd = seededRandom('lab')
const KEYS = { kMac: rnd.bytes(32), kA: rnd.bytes(32), kB: rnd.bytes(32) }
const T0 = Date.parse('2026-05-01T14:00:00Z')
let lab: CardLab | undefined
afterEach(() => lab?.stop())

describe('CardLab', () => {
  it('issues, presents, overrides, audits, and expires with clock advance', async () => {
    const clock = new OffsetClock(new ManualClock(T0))
    lab = new CardLab(
      {
        siteId: 5,
        lockKeys: { kMac: KEYS.kMac, kA: KEYS.kA },
        encoders: [{ id: 'desk' }],
        entrances: [
          { id: 'room-101', address: 101, reservationCapable: true },
          { id: 'lobby', address: 900, reservationCapable: false },
        ],
      },
      clock,
      seededRandom('lab-cards'),
    )
    const driver = new Pn532EncoderDriver({ encoderId: 'desk', port: lab.encoderPort('desk'), keysFor: encoderKeyring(KEYS) })
    await driver.start()
    let last: Stamp | null = null
    const issue = async (cardId: string, reservationKey: string, credentialId: number) => {
      lab!.placeCard('desk', cardId)
      const h = await driver.waitForCard('desk', 500, new AbortController().signal)
      last = nextStamp(last, clock.now() / 1000)
      await driver.write(h, issueCardImage(
        { siteId: 5, credentialId, level: 'guest', reservationKey, stamp: last, startsAtMs: T0, endsAtMs: T0 + 86_400_000, entrances: [101, 900] },
        Buffer.from(h.uid, 'hex'), KEYS))
      lab!.removeCard('desk')
    }
    const c1 = lab.createCard().cardId
    const c2 = lab.createCard().cardId
    await issue(c1, 'stay-a', 1)
    await issue(c2, 'stay-b', 2)
    expect(lab.presentCard('room-101', c1)).toMatchObject({ outcome: 'granted', mode: 'override', credentialId: 1 })
    expect(lab.presentCard('room-101', c2)).toMatchObject({ outcome: 'granted', mode: 'override' })
    expect(lab.presentCard('room-101', c1)).toMatchObject({ outcome: 'denied', reason: 'overridden' })
    expect(lab.presentCard('lobby', c1)).toMatchObject({ outcome: 'granted', mode: 'standard' })
    const forged = lab.cloneCard(c2).cardId
    const b6 = lab.getCard(forged).blocks[6]!
    lab.writeBlock(forged, 6, b6.slice(0, 8) + 'ffffffff' + b6.slice(16))
    expect(lab.presentCard('room-101', forged).reason).toBe('bad_mac')
    clock.advance(86_400_000 + 301_000)
    expect(lab.presentCard('room-101', c2).reason).toBe('expired')
    expect(lab.auditLog('room-101').map((e) => e.reason)).toEqual(['granted', 'granted', 'overridden', 'bad_mac', 'expired'])
  })
})
