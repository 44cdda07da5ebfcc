// An independent client — the npm `pn532` package (1.0.0) — drives the simulator over a socat PTY
// pair with the real serialport: firmware, SAMConfiguration, scanTag, Classic auth and read.
// Its known quirks (docs/protocols/pn532-mifare.md §8) become assertions: 0xA2 writes are NAK'd, bad-DCS frames
// get no answer. It never times out on its own, so every call races a deadline here.
import { createRequire } from 'node:module'
import { afterEach, describe, expect, it } from 'vitest'
import { SerialPort } from 'serialport'
import { ClassicCard } from '../../simulators/mifare-classic/card.js'
import { Pn532Simulator } from '../../simulators/pn532-encoder/encoder.js'
import { closePort, openPort, ptyPair, skipSystemTier } from '../helpers/socat.js'

const require = createRequire(import.meta.url)

interface Pn532Client {
  on(ev: 'ready', f: () => void): void
  getFirmwareVersion(): Promise<{ IC: number; Ver: number; Rev: number; Support: number }>
  scanTag(): Promise<{ ATQA: Buffer; SAK: number; uid: string } | undefined>
  authenticateBlock(uid: string, o: { blockAddress: number; authType?: number; authKey?: number[] }): Promise<Buffer>
  readBlock(o: { blockAddress: number }): Promise<Buffer>
  writeBlock(bytes: number[], o: { blockAddress: number }): Promise<Buffer>
}

const deadline = <T>(p: Promise<T>, ms = 2000): Promise<T | 'timeout'> =>
  Promise.race([p, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), ms))])

let cleanup: Array<() => unknown> = []
afterEach(async () => {
  for (const c of cleanup.reverse()) await c()
  cleanup = []
})

async function rig() {
  const pair = await ptyPair()
  cleanup.push(() => pair.kill())
  const dev = await openPort(pair.paths[1])
  dev.on('error', () => undefined)
  const sim = new Pn532Simulator({ baud: 115200 })
  sim.attach(dev)
  cleanup.push(() => sim.detach(), () => closePort(dev))
  // pn532 picks its UART HAL by constructor.name === 'SerialPort' and waits for 'open'.
  const host = new SerialPort({ path: pair.paths[0], baudRate: 115200, autoOpen: false })
  host.on('error', () => undefined)
  const silence = console.log
  console.log = () => undefined // authenticateBlock prints its response body
  cleanup.push(() => (console.log = silence), () => closePort(host))
  const { PN532 } = require('pn532') as { PN532: new (hal: SerialPort, o?: object) => Pn532Client }
  const client = new PN532(host, { pollInterval: 50 })
  const ready = new Promise<void>((r) => client.on('ready', r))
  host.open()
  expect(await deadline(ready)).not.toBe('timeout')
  return { sim, client }
}

describe.skipIf(skipSystemTier)('npm pn532 as an independent client of the simulator', () => {
  it('SAMConfiguration (on ready), GetFirmwareVersion', async () => {
    const { client } = await rig()
    expect(await deadline(client.getFirmwareVersion())).toEqual({ IC: 0x32, Ver: 0x01, Rev: 0x06, Support: 0x07 })
  })

  it('scanTag, Classic auth with the transport key, read; 0xA2 write is NAKd', async () => {
    const { sim, client } = await rig()
    const card = ClassicCard.blank(Buffer.from('deadbeef', 'hex'))
    card.rawWrite(4, Buffer.from('00112233445566778899aabbccddeeff', 'hex'))
    sim.placeCard(card)
    const tag = await deadline(client.scanTag())
    expect(tag).toMatchObject({ SAK: 0x08, uid: 'de:ad:be:ef' })
    expect(tag !== 'timeout' && tag?.ATQA.toString('hex')).toBe('0004')
    const auth = await deadline(client.authenticateBlock('de:ad:be:ef', { blockAddress: 4 }))
    expect(auth !== 'timeout' && auth[0]).toBe(0x00)
    const block = await deadline(client.readBlock({ blockAddress: 4 }))
    expect(block !== 'timeout' && Buffer.from(block).toString('hex')).toBe('00112233445566778899aabbccddeeff')
    await deadline(client.writeBlock([1, 2, 3, 4], { blockAddress: 4 }))
    expect(card.dump()[4]!.toString('hex')).toBe('00112233445566778899aabbccddeeff')
  })

  it('wrong key → auth status 0x14', async () => {
    const { sim, client } = await rig()
    sim.placeCard(ClassicCard.blank(Buffer.from('deadbeef', 'hex')))
    await deadline(client.scanTag())
    const auth = await deadline(client.authenticateBlock('de:ad:be:ef', { blockAddress: 4, authKey: [1, 2, 3, 4, 5, 6] }))
    expect(auth !== 'timeout' && auth[0]).toBe(0x14)
  })

  it("its DCS bug (read of block 0xBB goes out with DCS 01) gets no answer, as a real PN532's would not", async () => {
    const { sim, client } = await rig()
    sim.placeCard(ClassicCard.blank(Buffer.from('deadbeef', 'hex')))
    await deadline(client.scanTag())
    const before = sim.stats.damaged
    expect(await deadline(client.readBlock({ blockAddress: 0xbb }), 300)).toBe('timeout')
    expect(sim.stats.damaged).toBe(before + 1)
  })
})
