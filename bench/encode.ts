// Bench: encode N cards through the PN532 driver ↔ simulator on an emulated 115200-baud link.
// Prints time per card, the wire-time floor (bytes the encode moved ÷ bytes per ms at that baud)
// and, last, ratio=<measured ÷ floor> for the median card (ratio_mean is total ÷ total). Usage: tsx bench/encode.ts [--cards 100] [--baud 115200] [--reencode]
import { performance } from 'node:perf_hooks'
import { Pn532EncoderDriver } from '../adapters/pn532-serial/driver.js'
import { duplexPair } from '../src/kernel/duplex-pair.js'
import { seededRandom } from '../src/kernel/ids.js'
import { encoderKeyring, issueCardImage, nextStamp } from '../src/domain/card-image-plan.js'
import type { Stamp } from '../src/protocols/lockstep-card/card.js'
import { VirtualCardStore } from '../simulators/mifare-classic/card-store.js'
import { Pn532Simulator } from '../simulators/pn532-encoder/encoder.js'

function option(name: string, fallback: number): number {
  const args = process.argv.slice(2)
  const i = args.indexOf(`--${name}`)
  return i >= 0 && args[i + 1] !== undefined ? Number(args[i + 1]) : fallback
}

async function main(): Promise<void> {
  const cards = option('cards', 100)
  const baud = option('baud', 115200)
  const reencode = process.argv.slice(2).includes('--reencode')
  const bytesPerMs = baud / 10 / 1000
  const rnd = seededRandom('bench-encode')
  const keys = { kMac: rnd.bytes(32), kA: rnd.bytes(32), kB: rnd.bytes(32) }
  const link = duplexPair()
  const sim = new Pn532Simulator({ baud })
  sim.attach(link.device)
  const driver = new Pn532EncoderDriver({ encoderId: 'bench', port: link.host, keysFor: encoderKeyring(keys), pollIntervalMs: 1 })
  await driver.start()
  const store = new VirtualCardStore(seededRandom('bench-cards'))
  const reused = store.createBlank().card
  let last: Stamp | null = null
  let measured = 0
  let bytes = 0
  const perCardRatios: number[] = []
  for (let i = 0; i < cards; i++) {
    const card = reencode ? reused : store.createBlank().card
    sim.placeCard(card)
    const b0 = driver.link.bytesIn + driver.link.bytesOut
    const t0 = performance.now()
    const h = await driver.waitForCard('bench', 1000, new AbortController().signal)
    last = nextStamp(last, Date.now() / 1000)
    const image = issueCardImage(
      { siteId: 1, credentialId: i + 1, level: 'guest', reservationKey: `stay-${i}`, stamp: last, startsAtMs: Date.now(), endsAtMs: Date.now() + 86_400_000, entrances: [101, 900] },
      Buffer.from(h.uid, 'hex'),
      keys,
    )
    await driver.write(h, image)
    const ms = performance.now() - t0
    const moved = driver.link.bytesIn + driver.link.bytesOut - b0
    measured += ms
    bytes += moved
    perCardRatios.push(ms / (moved / bytesPerMs))
    sim.removeCard()
  }
  link.cut()
  const perCard = measured / cards
  const floorPerCard = bytes / cards / bytesPerMs
  console.log(`cards=${cards} baud=${baud} mode=${reencode ? 're-encode' : 'blank'}`)
  console.log(`bytes_per_card=${(bytes / cards).toFixed(1)}`)
  console.log(`measured_ms_per_card=${perCard.toFixed(2)}`)
  console.log(`floor_ms_per_card=${floorPerCard.toFixed(2)}`)
  perCardRatios.sort((a, b) => a - b)
  const median = perCardRatios[Math.floor(perCardRatios.length / 2)]!
  console.log(`resends=${driver.link.resends}`)
  console.log(`ratio_mean=${(perCard / floorPerCard).toFixed(3)}`)
  // Last line: the median card, so one scheduler stall on a shared machine does not decide it.
  console.log(`ratio=${median.toFixed(3)}`)
}

main().catch((e: unknown) => {
  console.error(e)
  process.exit(1)
})
