// The PN532 simulator answers the manual's golden frame sequences (docs/protocols/pn532-mifare.md §7) byte for
// byte. Raw bytes only: no adapter code involved (design rule 6).
import { describe, expect, it } from 'vitest'
import { duplexPair } from '../../src/kernel/duplex-pair.js'
import { ClassicCard } from '../../simulators/mifare-classic/card.js'
import { Pn532Simulator } from '../../simulators/pn532-encoder/encoder.js'

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex')
const ACK = '0000ff00ff00'

function rig(opts: { requireWake?: boolean } = {}) {
  const link = duplexPair()
  const sim = new Pn532Simulator({ baud: null, ...opts })
  sim.attach(link.device)
  let got = Buffer.alloc(0)
  link.host.on('data', (c: Buffer) => (got = Buffer.concat([got, c])))
  const xfer = async (frame: string, waitMs = 15): Promise<string> => {
    got = Buffer.alloc(0)
    link.host.write(hex(frame))
    await new Promise((r) => setTimeout(r, waitMs))
    return got.toString('hex')
  }
  return { link, sim, xfer }
}

describe('PN532 simulator: golden sequences from the manual', () => {
  it('wake-up + SAMConfiguration (#4 → ACK, #6), firmware (#1 → ACK, #3), RFConfiguration (#8 → #9)', async () => {
    const { xfer, link } = rig()
    expect(await xfer('55 55 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 FF 03 FD D4 14 01 17 00')).toBe(ACK + '0000ff02fed5151600')
    expect(await xfer('00 00 FF 02 FE D4 02 2A 00')).toBe(ACK + hex('00 00 FF 06 FA D5 03 32 01 06 07 E8 00').toString('hex'))
    expect(await xfer('00 00 FF 06 FA D4 32 05 FF 01 02 F3 00')).toBe(ACK + hex('00 00 FF 02 FE D5 33 F8 00').toString('hex'))
    expect(await xfer('00 00 FF 05 FB D4 14 01 00 00 17 00')).toBe(ACK + '0000ff02fed5151600') // nfcpy's form (#5)
    expect(await xfer('00 00 FF 05 FB D4 14 01 14 01 02 00')).toBe(ACK + '0000ff02fed5151600') // Adafruit's (#7)
    link.cut()
  })

  it('stays silent in low-Vbat mode until SAMConfiguration', async () => {
    const { xfer, link } = rig()
    expect(await xfer('00 00 FF 02 FE D4 02 2A 00')).toBe('')
    expect(await xfer('00 00 FF 03 FD D4 14 01 17 00')).toBe(ACK + '0000ff02fed5151600')
    link.cut()
  })

  it('InListPassiveTarget: no card (#10 → #11), card DE AD BE EF (#12); auth (#13 → #14), write (#18 → #19), read (#16 → #17), release (#20 → #21)', async () => {
    const { xfer, sim, link } = rig({ requireWake: false })
    await xfer('00 00 FF 06 FA D4 32 05 FF 01 02 F3 00')
    expect(await xfer('00 00 FF 04 FC D4 4A 01 00 E1 00')).toBe(ACK + '0000ff03fdd54b00e000')
    sim.placeCard(ClassicCard.blank(hex('DEADBEEF')))
    expect(await xfer('00 00 FF 04 FC D4 4A 01 00 E1 00')).toBe(ACK + hex('00 00 FF 0C F4 D5 4B 01 01 00 04 08 04 DE AD BE EF 96 00').toString('hex'))
    expect(await xfer('00 00 FF 0F F1 D4 40 01 60 04 FF FF FF FF FF FF DE AD BE EF 55 00')).toBe(ACK + '0000ff03fdd54100ea00')
    expect(await xfer('00 00 FF 15 EB D4 40 01 A0 04 00 11 22 33 44 55 66 77 88 99 AA BB CC DD EE FF 4F 00')).toBe(ACK + '0000ff03fdd54100ea00')
    expect(await xfer('00 00 FF 05 FB D4 40 01 30 04 B7 00')).toBe(
      ACK + hex('00 00 FF 13 ED D5 41 00 00 11 22 33 44 55 66 77 88 99 AA BB CC DD EE FF F2 00').toString('hex'),
    )
    expect(await xfer('00 00 FF 03 FD D4 52 00 DA 00')).toBe(ACK + hex('00 00 FF 03 FD D5 53 00 D8 00').toString('hex'))
    link.cut()
  })

  it('auth with a wrong key → status 14 (#15); the card is halted until re-selected', async () => {
    const { xfer, sim, link } = rig({ requireWake: false })
    sim.placeCard(ClassicCard.blank(hex('DEADBEEF')))
    await xfer('00 00 FF 04 FC D4 4A 01 00 E1 00')
    const bad = Buffer.from(hex('D4 40 01 60 04 FF FF FF FF FF FE DE AD BE EF'))
    const frame = (body: Buffer) => {
      const sum = body.reduce((a, x) => a + x, 0)
      return Buffer.concat([hex('00 00 FF'), Buffer.from([body.length, (256 - body.length) & 0xff]), body, Buffer.from([(256 - (sum & 0xff)) & 0xff, 0])]).toString('hex')
    }
    expect(await xfer(frame(bad))).toBe(ACK + hex('00 00 FF 03 FD D5 41 14 D6 00').toString('hex'))
    expect(await xfer('00 00 FF 05 FB D4 40 01 30 04 B7 00')).toBe(ACK + '0000ff03fdd54101e900') // halted: timeout
    await xfer('00 00 FF 04 FC D4 4A 01 00 E1 00')
    expect(await xfer('00 00 FF 0F F1 D4 40 01 60 04 FF FF FF FF FF FF DE AD BE EF 55 00')).toBe(ACK + '0000ff03fdd54100ea00')
    link.cut()
  })

  it('refuses a bad DCS (npm pn532 bug) with silence, a 7-byte-UID auth and unknown commands with the error frame (#22)', async () => {
    const { xfer, sim, link } = rig({ requireWake: false })
    sim.placeCard(ClassicCard.blank(hex('DEADBEEF')))
    await xfer('00 00 FF 04 FC D4 4A 01 00 E1 00')
    expect(await xfer('00 00 FF 05 FB D4 40 01 30 BB 01 00')).toBe('') // correct DCS would be 00
    expect(await xfer('00 00 FF 05 FB D4 40 01 30 BB 00 00')).toMatch(/^0000ff00ff00/)
    const auth7 = hex('D4 40 01 60 04 FF FF FF FF FF FF 04 DE AD BE EF 01 02')
    const sum = auth7.reduce((a, x) => a + x, 0)
    const f = Buffer.concat([hex('00 00 FF'), Buffer.from([auth7.length, 256 - auth7.length]), auth7, Buffer.from([(256 - (sum & 0xff)) & 0xff, 0])])
    expect(await xfer(f.toString('hex'))).toBe(ACK + '0000ff01ff7f8100')
    expect(await xfer('00 00 FF 02 FE D4 7E AE 00')).toBe(ACK + '0000ff01ff7f8100')
    expect(await xfer('00 00 FF 03 FD D4 14 09 0F 00')).toBe(ACK + '0000ff01ff7f8100') // mode 9
    link.cut()
  })

  it('NAKs the Ultralight write 0xA2 on a Classic card (status 13) and writes nothing', async () => {
    const { xfer, sim, link } = rig({ requireWake: false })
    const card = ClassicCard.blank(hex('DEADBEEF'))
    sim.placeCard(card)
    await xfer('00 00 FF 04 FC D4 4A 01 00 E1 00')
    await xfer('00 00 FF 0F F1 D4 40 01 60 04 FF FF FF FF FF FF DE AD BE EF 55 00')
    const body = hex('D4 40 01 A2 04 01 02 03 04')
    const sum = body.reduce((a, x) => a + x, 0)
    const f = Buffer.concat([hex('00 00 FF'), Buffer.from([body.length, 256 - body.length]), body, Buffer.from([(256 - (sum & 0xff)) & 0xff, 0])])
    expect(await xfer(f.toString('hex'))).toBe(ACK + '0000ff03fdd54113d700')
    expect(card.dump()[4]!.equals(Buffer.alloc(16))).toBe(true)
    link.cut()
  })

  it('NACK from the host → the last response is sent again', async () => {
    const { xfer, link } = rig({ requireWake: false })
    await xfer('00 00 FF 02 FE D4 02 2A 00')
    expect(await xfer('00 00 FF FF 00 00')).toBe('0000ff06fad50332010607e800')
    link.cut()
  })

  it('bounded retries: a host ACK aborts the pending InListPassiveTarget, no late answer', async () => {
    const link = duplexPair()
    const sim = new Pn532Simulator({ baud: null, requireWake: false, activationAttemptMs: 20 })
    sim.attach(link.device)
    let got = ''
    link.host.on('data', (c: Buffer) => (got += c.toString('hex')))
    link.host.write(hex('00 00 FF 06 FA D4 32 05 FF 01 02 F3 00'))
    await new Promise((r) => setTimeout(r, 10))
    got = ''
    link.host.write(hex('00 00 FF 04 FC D4 4A 01 00 E1 00'))
    await new Promise((r) => setTimeout(r, 10))
    link.host.write(hex(ACK))
    await new Promise((r) => setTimeout(r, 80))
    expect(got).toBe(ACK)
    link.cut()
  })

  it('with endless retries InListPassiveTarget waits for a card; a host ACK aborts it', async () => {
    const { xfer, sim, link } = rig({ requireWake: false })
    expect(await xfer('00 00 FF 04 FC D4 4A 01 00 E1 00')).toBe(ACK) // default MxRtyPassiveActivation = FF
    sim.placeCard(ClassicCard.blank(hex('DEADBEEF')))
    await new Promise((r) => setTimeout(r, 5))
    sim.removeCard()
    expect(await xfer('00 00 FF 04 FC D4 4A 01 00 E1 00')).toBe(ACK)
    expect(await xfer(ACK)).toBe('')
    expect(await xfer('00 00 FF 02 FE D4 02 2A 00')).toBe(ACK + '0000ff06fad50332010607e800')
    link.cut()
  })
})
