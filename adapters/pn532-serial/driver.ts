// EncoderDriver over a PN532 on a serial byte stream (any Duplex: serialport, a socat PTY, an
// in-process pair). Translates only: card layout and keys come from src/protocols/lockstep-card (design rule 5).
import type { Duplex } from 'node:stream'
import type { CardHandle, CardImage, EncoderDriver } from '../../src/ports/encoder-driver.js'
import { EncoderError } from '../../src/ports/errors.js'
import { projectTrailer, TRANSPORT_KEY, type CardSectorKeys } from '../../src/protocols/lockstep-card/keys.js'
import { LinkError, Pn532Link, type LinkOptions } from './link.js'

const CMD = {
  getFirmwareVersion: 0x02,
  samConfiguration: 0x14,
  rfConfiguration: 0x32,
  inDataExchange: 0x40,
  inListPassiveTarget: 0x4a,
  inRelease: 0x52,
} as const
const MF = { authA: 0x60, authB: 0x61, read: 0x30, write: 0xa0 } as const
const STATUS_AUTH_ERROR = 0x14

export interface Pn532DriverOptions extends LinkOptions {
  encoderId: string
  /**
   * The byte stream to the PN532, or a function that opens one. With a function, start() opens a
   * fresh stream each time, so the daemon can call start() again after encoder_not_online.
   */
  port: Duplex | (() => Promise<Duplex>)
  /** Per-card sector keys (derived from the site secrets). Never logged. */
  keysFor: (uid: Buffer) => CardSectorKeys
  /** Pause between empty polls while waiting for a card. */
  pollIntervalMs?: number
}

type Target = { tg: number; uid: Buffer }

class CardOpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message)
  }
}

export class Pn532EncoderDriver implements EncoderDriver {
  readonly kind = 'pn532-serial'
  private port: Duplex | undefined
  private currentLink: Pn532Link | undefined
  private online = false
  private firmware: { ic: number; ver: number; rev: number; support: number } | undefined
  private readonly current = new Map<string, Target>()

  constructor(private readonly opts: Pn532DriverOptions) {
    if (typeof opts.port !== 'function') this.useStream(opts.port)
  }

  private useStream(port: Duplex): void {
    this.port = port
    this.currentLink = new Pn532Link(port, this.opts)
    // Only the current stream may take the encoder offline (an old one closes late after a reopen).
    const down = () => {
      if (this.port === port) this.online = false
    }
    port.on('close', down)
    port.on('error', down)
  }

  /** The command link (byte counters for the bench); throws before the first start() with a port factory. */
  get link(): Pn532Link {
    if (!this.currentLink) throw new EncoderError('encoder_not_online', 'encoder port not opened')
    return this.currentLink
  }

  get firmwareVersion() {
    return this.firmware
  }

  isOnline(encoderId: string): boolean {
    return encoderId === this.opts.encoderId && this.online && !!this.currentLink?.isOpen
  }

  /** Wake (preamble + SAMConfiguration, one retry), check firmware, bound passive activation retries. */
  async start(): Promise<void> {
    try {
      if (typeof this.opts.port === 'function' && (!this.online || !this.currentLink?.isOpen)) {
        // A fresh stream: whatever the old one still holds (half a frame, a late answer) goes with it.
        this.current.clear()
        if (this.port && !this.port.destroyed) this.port.destroy()
        this.useStream(await this.opts.port())
      }
      await this.link.command([CMD.samConfiguration, 0x01], { wake: true }).catch((e: unknown) => {
        if (e instanceof LinkError && e.failure === 'timeout') return this.link.command([CMD.samConfiguration, 0x01], { wake: true })
        throw e
      })
      const fw = await this.link.command([CMD.getFirmwareVersion])
      if (fw.length < 4 || fw[0] !== 0x32) throw new EncoderError('encoder_not_online', 'device is not a PN532 (IC byte)')
      this.firmware = { ic: fw[0]!, ver: fw[1]!, rev: fw[2]!, support: fw[3]! }
      await this.link.command([CMD.rfConfiguration, 0x05, 0xff, 0x01, 0x02])
      this.online = true
    } catch (e) {
      this.online = false
      if (e instanceof EncoderError) throw e
      throw new EncoderError('encoder_not_online', `PN532 did not come up: ${(e as Error).message}`)
    }
  }

  async stop(): Promise<void> {
    this.online = false
    this.current.clear()
    if (this.port && !this.port.destroyed) this.port.end()
  }

  private checkEncoder(encoderId: string): void {
    if (encoderId !== this.opts.encoderId) throw new EncoderError('encoder_not_online', `unknown encoder ${encoderId}`)
    if (!this.online || !this.currentLink?.isOpen) throw new EncoderError('encoder_not_online', 'encoder is not online')
  }

  async waitForCard(encoderId: string, timeoutMs: number, signal: AbortSignal): Promise<CardHandle> {
    this.checkEncoder(encoderId)
    const deadline = Date.now() + timeoutMs
    for (;;) {
      if (signal.aborted) throw new EncoderError('encoding_interrupted', 'wait for card aborted')
      let target: Target | 'none' | 'incompatible'
      try {
        target = await this.select()
      } catch (e) {
        throw this.linkToEncoderError(e, 'encoder_communication_timeout')
      }
      if (target === 'incompatible') {
        await this.release().catch(() => undefined)
        throw new EncoderError('incompatible_card_format', 'card is not a MIFARE Classic with a 4-byte UID')
      }
      if (target !== 'none') {
        this.current.set(encoderId, target)
        return { encoderId, uid: target.uid.toString('hex') }
      }
      const left = deadline - Date.now()
      if (left <= 0) throw new EncoderError('no_credential_on_encoder', 'no card presented in time')
      await sleep(Math.min(this.opts.pollIntervalMs ?? 20, left), signal)
    }
  }

  /** InListPassiveTarget 1 × 106 kbps Type A; accept SAK & 0x08 with a 4-byte UID. */
  private async select(): Promise<Target | 'none' | 'incompatible'> {
    const r = await this.link.command([CMD.inListPassiveTarget, 0x01, 0x00])
    if (r[0] === 0) return 'none'
    const tg = r[1]
    const sak = r[4]
    const uidLen = r[5]
    if (r.length < 6 || tg === undefined || sak === undefined || uidLen === undefined || r.length < 6 + uidLen) {
      throw new LinkError('protocol', 'short InListPassiveTarget response')
    }
    if ((sak & 0x08) === 0 || uidLen !== 4) return 'incompatible'
    return { tg, uid: Buffer.from(r.subarray(6, 6 + uidLen)) }
  }

  private async exchange(tg: number, data: number[] | Buffer): Promise<Buffer> {
    const r = await this.link.command(Buffer.concat([Buffer.from([CMD.inDataExchange, tg]), Buffer.from(data)]))
    const status = (r[0] ?? 0xff) & 0x3f
    if (status !== 0) throw new CardOpError(status, `card operation 0x${Buffer.from(data)[0]!.toString(16)} status 0x${status.toString(16)}`)
    return r.subarray(1)
  }

  private async release(): Promise<void> {
    await this.link.command([CMD.inRelease, 0x00])
  }

  private auth(t: Target, block: number, keyType: 'A' | 'B', key: Buffer): Promise<Buffer> {
    return this.exchange(t.tg, Buffer.concat([Buffer.from([keyType === 'A' ? MF.authA : MF.authB, block]), key, t.uid]))
  }

  /** A failed auth halts the card: select it again and insist it is the same card. */
  private async reselect(t: Target): Promise<Target> {
    const again = await this.select()
    if (again === 'none' || again === 'incompatible' || !again.uid.equals(t.uid)) {
      throw new EncoderError('encoding_interrupted', 'card left the encoder')
    }
    return again
  }

  /**
   * Open a sector for writing: our key B (card issued before) or, on a blank card, transport key A.
   * Returns the (possibly re-selected) target and whether the sector still has transport keys.
   */
  private async openForWrite(t: Target, sector: number, keys: CardSectorKeys): Promise<{ t: Target; blank: boolean }> {
    const trailer = sector * 4 + 3
    try {
      await this.auth(t, trailer, 'B', keys.keyB)
      return { t, blank: false }
    } catch (e) {
      if (!(e instanceof CardOpError) || e.status !== STATUS_AUTH_ERROR) throw e
    }
    t = await this.reselect(t)
    try {
      await this.auth(t, trailer, 'A', TRANSPORT_KEY)
      return { t, blank: true }
    } catch (e) {
      if (!(e instanceof CardOpError) || e.status !== STATUS_AUTH_ERROR) throw e
    }
    await this.reselect(t).catch(() => undefined)
    throw new EncoderError('incompatible_card_format', `sector ${sector} opens with neither the site key nor the transport key`)
  }

  /** The selected target for `card`, selecting it again (same UID only) after a release. */
  private async targetFor(card: CardHandle): Promise<Target> {
    this.checkEncoder(card.encoderId)
    const t = this.current.get(card.encoderId)
    if (t && t.uid.toString('hex') === card.uid) return t
    let again: Target | 'none' | 'incompatible'
    try {
      again = await this.select()
    } catch (e) {
      throw this.linkToEncoderError(e, 'encoding_interrupted')
    }
    if (again === 'none' || again === 'incompatible' || again.uid.toString('hex') !== card.uid) {
      throw new EncoderError('encoding_interrupted', 'the card is no longer on the encoder')
    }
    this.current.set(card.encoderId, again)
    return again
  }

  async write(card: CardHandle, image: CardImage): Promise<void> {
    let t = await this.targetFor(card)
    const bySector = groupBySector(image)
    const keys = this.opts.keysFor(t.uid)
    try {
      for (const [sector, blocks] of bySector) {
        const opened = await this.openForWrite(t, sector, keys)
        t = opened.t
        for (const [block, data] of blocks) await this.exchange(t.tg, Buffer.concat([Buffer.from([MF.write, block]), data]))
        // Trailer last: until it lands, the sector still opens with the transport key and a retry can finish it.
        if (opened.blank) await this.exchange(t.tg, Buffer.concat([Buffer.from([MF.write, sector * 4 + 3]), projectTrailer(keys.keyA, keys.keyB)]))
      }
      // Observed means read back: authenticate as a lock would (key A) and compare every byte.
      for (const [sector, blocks] of bySector) {
        await this.auth(t, sector * 4 + 3, 'A', keys.keyA)
        for (const [block, data] of blocks) {
          const got = await this.exchange(t.tg, [MF.read, block])
          if (!got.subarray(0, 16).equals(data)) throw new EncoderError('encoding_interrupted', `read-back of block ${block} differs`)
        }
      }
      await this.release()
    } catch (e) {
      throw this.cardOpToEncoderError(e)
    } finally {
      this.current.delete(card.encoderId)
    }
  }

  async read(card: CardHandle, blockList: number[]): Promise<CardImage> {
    let t = await this.targetFor(card)
    const keys = this.opts.keysFor(t.uid)
    const image: CardImage = { blocks: new Map() }
    const sectors = new Map<number, number[]>()
    for (const b of blockList) {
      if (b % 4 === 3) throw new RangeError(`block ${b} is a sector trailer`)
      const s = Math.floor(b / 4)
      sectors.set(s, [...(sectors.get(s) ?? []), b])
    }
    try {
      for (const [sector, blocks] of sectors) {
        try {
          await this.auth(t, sector * 4 + 3, 'A', keys.keyA)
        } catch (e) {
          if (!(e instanceof CardOpError) || e.status !== STATUS_AUTH_ERROR) throw e
          t = await this.reselect(t)
          await this.auth(t, sector * 4 + 3, 'A', TRANSPORT_KEY)
        }
        for (const b of blocks) image.blocks.set(b, Buffer.from((await this.exchange(t.tg, [MF.read, b])).subarray(0, 16)))
      }
      this.current.set(card.encoderId, t)
      return image
    } catch (e) {
      throw this.cardOpToEncoderError(e)
    }
  }

  private cardOpToEncoderError(e: unknown): EncoderError {
    if (e instanceof EncoderError) return e
    if (e instanceof CardOpError) {
      if (e.status === STATUS_AUTH_ERROR) return new EncoderError('incompatible_card_format', e.message)
      // 0x01 timeout / RF errors: the card stopped answering mid-operation.
      return new EncoderError('encoding_interrupted', e.message)
    }
    return this.linkToEncoderError(e, 'encoding_interrupted')
  }

  private linkToEncoderError(e: unknown, onTimeout: 'encoding_interrupted' | 'encoder_communication_timeout'): EncoderError {
    if (e instanceof EncoderError) return e
    if (e instanceof LinkError) {
      if (e.failure === 'closed') {
        this.online = false
        return new EncoderError(onTimeout === 'encoding_interrupted' ? 'encoding_interrupted' : 'encoder_not_online', e.message)
      }
      if (e.failure === 'timeout') return new EncoderError(onTimeout, e.message)
      return new EncoderError('uncategorized_error', e.message)
    }
    return new EncoderError('uncategorized_error', (e as Error)?.message ?? String(e))
  }
}

function groupBySector(image: CardImage): Map<number, Array<[number, Buffer]>> {
  const out = new Map<number, Array<[number, Buffer]>>()
  for (const [block, data] of [...image.blocks].sort((a, b) => a[0] - b[0])) {
    if (block < 4 || block > 63 || block % 4 === 3) throw new RangeError(`block ${block} is not a writable data block`)
    if (data.length !== 16) throw new RangeError(`block ${block} must be 16 bytes`)
    const s = Math.floor(block / 4)
    out.set(s, [...(out.get(s) ?? []), [block, data]])
  }
  return out
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms)
    function done() {
      clearTimeout(t)
      signal.removeEventListener('abort', done)
      resolve()
    }
    signal.addEventListener('abort', done, { once: true })
  })
}
