// Driver ↔ simulator over an in-process stream pair: encode, read back, decode; interruptions.
import { afterEach, describe, expect, it } from 'vitest'
import { Pn532EncoderDriver } from '../../../adapters/pn532-serial/driver.js'
import { duplexPair, type DuplexPair } from '../../../src/kernel/duplex-pair.js'
import { seededRandom } from '../../../src/kernel/ids.js'
import { decodeCard, CARD_DATA_BLOCKS } from '../../../src/protocols/lockstep-card/card.js'
import { encoderKeyring, issueCardImage, type CardGrantFacts } from '../../../src/domain/card-image-plan.js'
import type { SiteKeys } from '../../../src/protocols/lockstep-card/keys.js'
import { EncoderError } from '../../../src/ports/errors.js'
import { VirtualCardStore } from '../../../simulators/mifare-classic/card-store.js'
import { Pn532Simulator, type ExchangeEvent } from '../../../simulators/pn532-encoder/encoder.js'
import { OfflineLock } from '../../../simulators/offline-lock/lock.js'
import { ManualClock } from '../../../src/kernel/clock.js'
import { eventually } from '../../helpers/eventually.js'

const rnd = seededRandom('driver-sim')
const KEYS: SiteKeys = { kMac: rnd.bytes(32), kA: rnd.bytes(32), kB: rnd.bytes(32) }
const T0 = Date.parse('2026-03-01T12:00:00Z')

const facts = (over: Partial<CardGrantFacts> = {}): CardGrantFacts => ({
  siteId: 7,
  credentialId: 42,
  level: 'guest',
  reservationKey: 'res-1',
  stamp: { time: T0 / 1000, seq: 0 },
  startsAtMs: T0,
  endsAtMs: T0 + 3 * 86_400_000,
  entrances: [101],
  ...over,
})

let links: DuplexPair[] = []
afterEach(() => {
  for (const l of links) l.cut()
  links = []
})

async function rig(baud: number | null = null) {
  const link = duplexPair()
  links.push(link)
  const sim = new Pn532Simulator({ baud })
  sim.attach(link.device)
  const driver = new Pn532EncoderDriver({ encoderId: 'enc1', port: link.host, keysFor: encoderKeyring(KEYS), pollIntervalMs: 5 })
  await driver.start()
  return { link, sim, driver, store: new VirtualCardStore(seededRandom('cards')) }
}

async function encode(driver: Pn532EncoderDriver, f: CardGrantFacts) {
  const handle = await driver.waitForCard('enc1', 500, new AbortController().signal)
  await driver.write(handle, issueCardImage(f, Buffer.from(handle.uid, 'hex'), KEYS))
  return handle
}

function lock(entrance = 101) {
  return new OfflineLock({ siteId: 7, entrance, keys: KEYS, reservationCapable: true }, new ManualClock(T0 + 3_600_000))
}

describe('PN532 driver ↔ simulator (in-process link)', () => {
  it('starts: wakes, reads firmware 0x32 v1.6', async () => {
    const { driver } = await rig()
    expect(driver.isOnline('enc1')).toBe(true)
    expect(driver.firmwareVersion).toEqual({ ic: 0x32, ver: 1, rev: 6, support: 7 })
  })

  it('encodes a blank card, reads it back, decodes it; the card gets project keys', async () => {
    const { sim, driver, store } = await rig()
    const { cardId, card } = store.createBlank()
    sim.placeCard(card)
    const h = await encode(driver, facts())
    expect(h.uid).toBe(card.uid.toString('hex'))
    // The handle stays usable after write: the driver re-selects the same UID.
    const img = await driver.read(h, [...CARD_DATA_BLOCKS])
    const d = decodeCard(img.blocks, card.uid, KEYS.kMac, 7)
    expect(d.ok && d.fields.credentialId).toBe(42)
    // Trailer 7 now holds key A ‖ 78 77 88 69 ‖ key B (raw dump shows the keys).
    expect(store.get(cardId).blocks[7]!.slice(12, 20)).toBe('78778869')
    expect(lock().present(card).outcome).toBe('granted')
  })

  it('re-encodes an issued card with key B', async () => {
    const { sim, driver, store } = await rig()
    const { card } = store.createBlank()
    sim.placeCard(card)
    await encode(driver, facts())
    await encode(driver, facts({ credentialId: 43, stamp: { time: T0 / 1000, seq: 1 } }))
    const l = lock()
    const r = l.present(card)
    expect(r.outcome).toBe('granted')
    expect(l.audit().at(-1)!.credentialId).toBe(43)
  })

  it('no card in time → no_credential_on_encoder', async () => {
    const { driver } = await rig()
    const err = await driver.waitForCard('enc1', 60, new AbortController().signal).catch((e) => e)
    expect(err).toBeInstanceOf(EncoderError)
    expect((err as EncoderError).type).toBe('no_credential_on_encoder')
  })

  it('read/write with a handle whose card was swapped → encoding_interrupted', async () => {
    const { sim, driver, store } = await rig()
    sim.placeCard(store.createBlank().card)
    const h = await encode(driver, facts())
    sim.placeCard(store.createBlank().card)
    const err = await driver.read(h, [4]).catch((e) => e)
    expect((err as EncoderError).type).toBe('encoding_interrupted')
  })

  it('waitForCard honours its AbortSignal', async () => {
    const { sim, driver } = await rig()
    const ac = new AbortController()
    const polledBefore = sim.stats.framesIn
    // A wait far longer than the test may run: only the abort can end it.
    const waiting = driver.waitForCard('enc1', 600_000, ac.signal).catch((e) => e)
    // Abort once the driver is demonstrably in its poll loop (two polls reached the encoder).
    await eventually(() => expect(sim.stats.framesIn).toBeGreaterThanOrEqual(polledBefore + 2))
    ac.abort()
    const err = await waiting
    expect(err).toBeInstanceOf(EncoderError)
    expect((err as EncoderError).type).toBe('encoding_interrupted')
  })

  it('a 7-byte-UID or non-Classic card → incompatible_card_format', async () => {
    const { sim, driver, store } = await rig()
    const { card } = store.createBlank()
    Object.defineProperty(card, 'sak', { value: 0x20 })
    sim.placeCard(card)
    const err = await driver.waitForCard('enc1', 100, new AbortController().signal).catch((e) => e)
    expect((err as EncoderError).type).toBe('incompatible_card_format')
  })

  it('a card keyed by someone else → incompatible_card_format', async () => {
    const { sim, driver, store } = await rig()
    const { cardId, card } = store.createBlank()
    store.writeBlock(cardId, 7, '112233445566ff078069aabbccddeeff')
    sim.placeCard(card)
    const err = await encode(driver, facts()).catch((e) => e)
    expect((err as EncoderError).type).toBe('incompatible_card_format')
  })

  for (const nth of [1, 2, 3, 4, 5, 7]) {
    it(`card pulled at write #${nth} → encoding_interrupted; card is refused or fully valid; retry succeeds`, async () => {
      const { sim, driver, store } = await rig()
      const { card } = store.createBlank()
      sim.placeCard(card)
      let writes = 0
      const pull = (e: ExchangeEvent) => {
        if (e.op === 'write' && ++writes === nth) sim.removeCard()
      }
      sim.on('exchange', pull)
      const err = await encode(driver, facts()).catch((e) => e)
      expect((err as EncoderError).type).toBe('encoding_interrupted')
      sim.off('exchange', pull)
      const r = lock().present(card)
      expect(['bad_mac', 'bad_format', 'unreadable']).toContain(r.reason)
      sim.placeCard(card)
      await encode(driver, facts())
      expect(lock().present(card).outcome).toBe('granted')
    })
  }

  it('re-encode pulled halfway leaves the old card refused or the new one whole, never a mix', async () => {
    const { sim, driver, store } = await rig()
    const { card } = store.createBlank()
    sim.placeCard(card)
    await encode(driver, facts({ endsAtMs: T0 + 86_400_000 }))
    let writes = 0
    sim.on('exchange', (e: ExchangeEvent) => {
      if (e.op === 'write' && ++writes === 2) sim.removeCard()
    })
    const err = await encode(driver, facts({ endsAtMs: T0 + 5 * 86_400_000, credentialId: 99 })).catch((e) => e)
    expect((err as EncoderError).type).toBe('encoding_interrupted')
    expect(lock().present(card).reason).toBe('bad_mac')
  })

  it('link cut mid-encode → encoding_interrupted; encoder goes offline', async () => {
    const { link, sim, driver, store } = await rig()
    const { card } = store.createBlank()
    sim.placeCard(card)
    sim.on('exchange', (e: ExchangeEvent) => {
      if (e.op === 'write') link.cut()
    })
    const err = await encode(driver, facts()).catch((e) => e)
    expect((err as EncoderError).type).toBe('encoding_interrupted')
    expect(driver.isOnline('enc1')).toBe(false)
    const err2 = await driver.waitForCard('enc1', 50, new AbortController().signal).catch((e) => e)
    expect((err2 as EncoderError).type).toBe('encoder_not_online')
  })

  it('silent device → encoder_not_online at start', async () => {
    const link = duplexPair()
    links.push(link)
    const driver = new Pn532EncoderDriver({ encoderId: 'enc1', port: link.host, keysFor: encoderKeyring(KEYS), ackTimeoutMs: 10 })
    const err = await driver.start().catch((e) => e)
    expect((err as EncoderError).type).toBe('encoder_not_online')
  })

  it('works with baud timing on and respects the wire-time floor', async () => {
    const { sim, driver, store, link } = await rig(115200)
    const { card } = store.createBlank()
    sim.placeCard(card)
    const before = driver.link.bytesOut + driver.link.bytesIn
    const t = performance.now()
    await encode(driver, facts())
    const ms = performance.now() - t
    const bytes = driver.link.bytesOut + driver.link.bytesIn - before
    expect(ms).toBeGreaterThanOrEqual(bytes / 11.52)
    void link
  })
})
