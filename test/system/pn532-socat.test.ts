// System tier: the real serialport binding on a socat PTY pair, driver on one end, simulated PN532
// on the other. Killing socat mid-encode gives encoding_interrupted; a retry on a new pair succeeds.
import { afterEach, describe, expect, it } from 'vitest'
import type { SerialPort } from 'serialport'
import { Pn532EncoderDriver } from '../../adapters/pn532-serial/driver.js'
import { ManualClock } from '../../src/kernel/clock.js'
import { encoderKeyring, issueCardImage, type CardGrantFacts } from '../../src/domain/card-image-plan.js'
import type { SiteKeys } from '../../src/protocols/lockstep-card/keys.js'
import { seededRandom } from '../../src/kernel/ids.js'
import { EncoderError } from '../../src/ports/errors.js'
import { VirtualCardStore } from '../../simulators/mifare-classic/card-store.js'
import { OfflineLock } from '../../simulators/offline-lock/lock.js'
import { Pn532Simulator, type ExchangeEvent } from '../../simulators/pn532-encoder/encoder.js'
import { closePort, openPort, ptyPair, skipSystemTier, socatAvailable, type PtyPair } from '../helpers/socat.js'

const rnd = seededRandom('system')
const KEYS: SiteKeys = { kMac: rnd.bytes(32), kA: rnd.bytes(32), kB: rnd.bytes(32) }
const T0 = Date.parse('2026-04-01T12:00:00Z')
const FACTS: CardGrantFacts = {
  siteId: 3, credentialId: 77, level: 'guest', reservationKey: 'r-77', stamp: { time: T0 / 1000, seq: 0 },
  startsAtMs: T0, endsAtMs: T0 + 86_400_000, entrances: [12],
}

let cleanup: Array<() => Promise<void> | void> = []
afterEach(async () => {
  for (const c of cleanup.reverse()) await c()
  cleanup = []
})

async function rig() {
  const pair: PtyPair = await ptyPair()
  cleanup.push(() => pair.kill())
  const hostPort: SerialPort = await openPort(pair.paths[0])
  const devPort: SerialPort = await openPort(pair.paths[1])
  hostPort.on('error', () => undefined)
  devPort.on('error', () => undefined)
  cleanup.push(() => closePort(hostPort), () => closePort(devPort))
  const sim = new Pn532Simulator({ baud: 115200 })
  sim.attach(devPort)
  cleanup.push(() => sim.detach())
  const driver = new Pn532EncoderDriver({ encoderId: 'front-desk', port: hostPort, keysFor: encoderKeyring(KEYS), pollIntervalMs: 5 })
  await driver.start()
  return { pair, sim, driver }
}

async function encode(driver: Pn532EncoderDriver) {
  const h = await driver.waitForCard('front-desk', 1000, new AbortController().signal)
  await driver.write(h, issueCardImage(FACTS, Buffer.from(h.uid, 'hex'), KEYS))
}

const door = () => new OfflineLock({ siteId: 3, entrance: 12, keys: KEYS, reservationCapable: true }, new ManualClock(T0 + 60_000))

describe.skipIf(skipSystemTier)('PN532 over a socat PTY pair (real serialport)', () => {
  it('socat is available (required tier)', () => expect(socatAvailable).toBe(true))

  it('encodes a blank card end to end; the lock opens', async () => {
    const { sim, driver } = await rig()
    const { card } = new VirtualCardStore(seededRandom('sys-1')).createBlank()
    sim.placeCard(card)
    await encode(driver)
    expect(door().present(card)).toMatchObject({ outcome: 'granted' })
  })

  it('a driver built with a port factory comes back after the link dies (start() reopens)', async () => {
    const pairs: PtyPair[] = []
    const sims: Pn532Simulator[] = []
    const { card } = new VirtualCardStore(seededRandom('sys-3')).createBlank()
    const openLink = async () => {
      const pair = await ptyPair()
      pairs.push(pair)
      cleanup.push(() => pair.kill())
      const dev = await openPort(pair.paths[1])
      dev.on('error', () => undefined)
      const sim = new Pn532Simulator({ baud: 115200 })
      sim.attach(dev)
      sim.placeCard(card)
      sims.push(sim)
      cleanup.push(() => sim.detach(), () => closePort(dev))
      const host = await openPort(pair.paths[0])
      host.on('error', () => undefined)
      cleanup.push(() => closePort(host))
      return host
    }
    const driver = new Pn532EncoderDriver({ encoderId: 'front-desk', port: openLink, keysFor: encoderKeyring(KEYS), pollIntervalMs: 5 })
    await driver.start()
    sims[0]!.on('exchange', (e: ExchangeEvent) => {
      if (e.op === 'write') pairs[0]!.kill()
    })
    const err = await encode(driver).catch((e: unknown) => e)
    expect((err as EncoderError).type).toBe('encoding_interrupted')
    await new Promise((r) => setTimeout(r, 50))
    expect(driver.isOnline('front-desk')).toBe(false)
    await driver.start()
    expect(driver.isOnline('front-desk')).toBe(true)
    await encode(driver)
    expect(door().present(card).outcome).toBe('granted')
  })

  it('killing socat mid-encode → encoding_interrupted; retry on a new pair succeeds', async () => {
    const first = await rig()
    const { card } = new VirtualCardStore(seededRandom('sys-2')).createBlank()
    first.sim.placeCard(card)
    let writes = 0
    first.sim.on('exchange', (e: ExchangeEvent) => {
      if (e.op === 'write' && ++writes === 2) first.pair.kill()
    })
    const err = await encode(first.driver).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(EncoderError)
    expect((err as EncoderError).type).toBe('encoding_interrupted')
    expect(['bad_mac', 'bad_format', 'unreadable']).toContain(door().present(card).reason)

    const second = await rig()
    second.sim.placeCard(card)
    await encode(second.driver)
    expect(door().present(card).outcome).toBe('granted')
  })
})
