// A simulated PN532 card encoder on a byte stream (HSU, UM0701): ACK/NACK/error frames, checksums,
// low-Vbat start-up, InListPassiveTarget with bounded or endless retries, MIFARE Classic through
// InDataExchange against a virtual card, and 115200-baud wire timing in both directions.
import { EventEmitter } from 'node:events'
import { performance } from 'node:perf_hooks'
import type { Duplex } from 'node:stream'
import type { ClassicCard } from '../mifare-classic/card.js'
import { DEVICE_ACK, DEVICE_SYNTAX_ERROR, deviceFrame, HostFrameScanner } from './hsu.js'
import { bytesPerMsAt, WirePacer } from './wire-pacer.js'

export interface Pn532SimulatorOptions {
  /** Baud rate to emulate; null turns timing off (bytes move at memory speed). Default 115200. */
  baud?: number | null
  /** Start in low-Vbat mode: ignore everything but SAMConfiguration until woken. Default true. */
  requireWake?: boolean
  /** Time one passive activation attempt takes with an empty field, ms. */
  activationAttemptMs?: number
}

/** Emitted before each MIFARE operation; a test may pull the card from inside the listener. */
export interface ExchangeEvent {
  op: 'auth_a' | 'auth_b' | 'read' | 'write' | 'other'
  block: number
}

const STATUS = { ok: 0x00, timeout: 0x01, mifareNak: 0x13, authError: 0x14, badContext: 0x27 } as const

export class Pn532Simulator extends EventEmitter {
  private port: Duplex | undefined
  private readonly scanner = new HostFrameScanner()
  private readonly pacer: WirePacer
  private rxFree = 0
  private txFree = 0
  private awake: boolean
  private passiveRetries = 0xff
  private card: ClassicCard | undefined
  private targetActive = false
  private lastResponse: Buffer | undefined
  /** An InListPassiveTarget waiting for a card (endless retries). */
  private waitingList: (() => void) | undefined
  private busy = false
  private txBatch: { parts: Buffer[]; due: number } | undefined
  /** Bumped when a running command is aborted, so its delayed answer is dropped. */
  private commandSeq = 0
  /** Statistics for tests and the bench. */
  readonly stats = { framesIn: 0, damaged: 0, bytesIn: 0, bytesOut: 0 }

  constructor(private readonly opts: Pn532SimulatorOptions = {}) {
    super()
    const baud = opts.baud === undefined ? 115200 : opts.baud
    this.pacer = new WirePacer(baud ? bytesPerMsAt(baud) : null)
    this.awake = !(opts.requireWake ?? true)
  }

  /** Serve the device side of `port` (an in-process pair end or a serialport on a PTY). */
  attach(port: Duplex): void {
    this.port = port
    port.on('data', (chunk: Buffer) => this.onBytes(chunk))
    port.on('error', () => this.detach())
    port.on('close', () => this.detach())
  }

  detach(): void {
    this.pacer.stop()
    this.txBatch = undefined
    this.waitingList = undefined
    this.port = undefined
  }

  // ---- lab API -------------------------------------------------------------------------------
  placeCard(card: ClassicCard): void {
    this.card = card
    this.targetActive = false
    const w = this.waitingList
    this.waitingList = undefined
    w?.()
  }

  removeCard(): ClassicCard | undefined {
    const c = this.card
    this.card = undefined
    this.targetActive = false
    return c
  }

  get presentedCard(): ClassicCard | undefined {
    return this.card
  }

  // ---- wire ----------------------------------------------------------------------------------
  private onBytes(chunk: Buffer): void {
    this.stats.bytesIn += chunk.length
    // The chunk is "on the wire" until its last byte has arrived at the emulated baud rate. It is
    // decoded at once, but nothing the device says about it can leave before that moment (see
    // send), so the host observes exactly the wire-time floor with one timer per exchange.
    this.rxFree = Math.max(performance.now(), this.rxFree) + this.pacer.wireMs(chunk.length)
    this.onArrived(Buffer.from(chunk))
  }

  /**
   * Queue bytes for the host. Bytes that follow each other on the wire before the previous batch
   * went out (the ACK and its immediate answer) leave together when the last of them would have
   * arrived: never earlier than the wire allows, with one timer instead of two.
   */
  private send(bytes: Buffer): void {
    this.txFree = Math.max(performance.now(), this.rxFree, this.txFree) + this.pacer.wireMs(bytes.length)
    if (this.txBatch) {
      this.txBatch.parts.push(bytes)
      this.txBatch.due = this.txFree
      return
    }
    const batch = { parts: [bytes], due: this.txFree }
    this.txBatch = batch
    const flush = (): void => {
      if (performance.now() < batch.due) return this.pacer.at(batch.due, flush)
      this.txBatch = undefined
      if (this.port && !this.port.destroyed) {
        const out = Buffer.concat(batch.parts)
        this.stats.bytesOut += out.length
        this.port.write(out)
      }
    }
    this.pacer.at(batch.due, flush)
  }

  private respond(pd: number[] | Buffer): void {
    const f = deviceFrame(Buffer.from(pd))
    this.lastResponse = f
    this.busy = false
    this.send(f)
  }

  private syntaxError(): void {
    this.lastResponse = DEVICE_SYNTAX_ERROR
    this.busy = false
    this.send(DEVICE_SYNTAX_ERROR)
  }

  private onArrived(bytes: Buffer): void {
    for (const item of this.scanner.feed(bytes)) {
      if (item.t === 'damaged') {
        // Not confirmed what a real PN532 does; we stay silent so the host times out and resends.
        this.stats.damaged++
        continue
      }
      if (item.t === 'ack') {
        // A host ACK while a command runs aborts it (libnfc's abort path).
        if (this.busy) {
          this.waitingList = undefined
          this.busy = false
          this.commandSeq++
        }
        continue
      }
      if (item.t === 'nack') {
        if (this.lastResponse && this.awake) this.send(this.lastResponse)
        continue
      }
      this.stats.framesIn++
      const code = item.pd[0]!
      if (!this.awake) {
        if (code !== 0x14) continue
        this.awake = true
      }
      if (this.busy) continue // half duplex: one command at a time
      this.busy = true
      this.send(DEVICE_ACK)
      this.execute(item.pd)
    }
  }

  // ---- commands ------------------------------------------------------------------------------
  private execute(pd: Buffer): void {
    const code = pd[0]!
    const p = pd.subarray(1)
    switch (code) {
      case 0x02: // GetFirmwareVersion: PN532 V1.6, ISO14443A/B + ISO18092
        return p.length === 0 ? this.respond([0x03, 0x32, 0x01, 0x06, 0x07]) : this.syntaxError()
      case 0x04: // GetGeneralStatus
        return this.respond([0x05, 0x00, 0x01, this.targetActive ? 1 : 0, ...(this.targetActive ? [0x01, 0x00, 0x00, 0x10] : []), 0x00])
      case 0x14: // SAMConfiguration: 1–3 parameter bytes, mode 1…4
        if (p.length < 1 || p.length > 3 || p[0]! < 1 || p[0]! > 4) return this.syntaxError()
        return this.respond([0x15])
      case 0x32: // RFConfiguration
        if (p.length < 2) return this.syntaxError()
        if (p[0] === 0x05) {
          if (p.length !== 4) return this.syntaxError()
          this.passiveRetries = p[3]!
        }
        return this.respond([0x33])
      case 0x4a:
        return this.inListPassiveTarget(p)
      case 0x40:
        return this.inDataExchange(p)
      case 0x52: // InRelease
      case 0x44: // InDeselect
        if (p.length !== 1) return this.syntaxError()
        if (code === 0x52) this.targetActive = false
        return this.respond([code + 1, 0x00])
      default:
        return this.syntaxError()
    }
  }

  private inListPassiveTarget(p: Buffer): void {
    if (p.length < 2 || (p[0] !== 1 && p[0] !== 2) || p[1]! > 4) return this.syntaxError()
    const tryOnce = (): boolean => {
      if (!this.card || p[1] !== 0x00) return false
      // Optional InitiatorData = a UID to select: only that card answers.
      if (p.length > 2 && !p.subarray(2).equals(this.card.uid)) return false
      this.card.select()
      this.targetActive = true
      const uid = this.card.uid
      this.respond([0x4b, 0x01, 0x01, ...this.card.atqa, this.card.sak, uid.length, ...uid])
      return true
    }
    if (tryOnce()) return
    if (this.passiveRetries === 0xff) {
      this.waitingList = () => {
        if (!tryOnce()) this.respond([0x4b, 0x00])
      }
      return
    }
    const attempts = this.passiveRetries + 1
    const seq = this.commandSeq
    this.pacer.at(performance.now() + attempts * (this.opts.activationAttemptMs ?? 1), () => {
      if (!this.busy || seq !== this.commandSeq) return
      if (!tryOnce()) this.respond([0x4b, 0x00])
    })
  }

  private inDataExchange(p: Buffer): void {
    if (p.length < 2) return this.syntaxError()
    const tg = p[0]! & 0x3f
    const data = p.subarray(1)
    const cmd = data[0]!
    const block = data[1] ?? 0
    // MIFARE auth carries a 4-byte UID; the full 7-byte form is a syntax error on the PN532.
    if ((cmd === 0x60 || cmd === 0x61) && data.length !== 12) return this.syntaxError()
    if (tg !== 1 || !this.targetActive) return this.respond([0x41, STATUS.badContext])
    const op: ExchangeEvent['op'] = cmd === 0x60 ? 'auth_a' : cmd === 0x61 ? 'auth_b' : cmd === 0x30 ? 'read' : cmd === 0xa0 ? 'write' : 'other'
    this.emit('exchange', { op, block } satisfies ExchangeEvent)
    const card = this.card
    // No card in the field (pulled), or halted after a failed auth: the target does not answer.
    if (!card || card.halted) {
      if (!card) this.targetActive = false
      return this.respond([0x41, STATUS.timeout])
    }
    switch (cmd) {
      case 0x60:
      case 0x61: {
        const ok = card.authenticate(cmd === 0x60 ? 'A' : 'B', block, data.subarray(2, 8), data.subarray(8, 12))
        return this.respond([0x41, ok ? STATUS.ok : STATUS.authError])
      }
      case 0x30: {
        if (data.length !== 2) return this.respond([0x41, STATUS.mifareNak])
        const r = card.read(block)
        return this.respond(r.ok ? Buffer.concat([Buffer.from([0x41, STATUS.ok]), r.data!]) : [0x41, STATUS.mifareNak])
      }
      case 0xa0: {
        if (data.length !== 18) return this.respond([0x41, STATUS.mifareNak])
        const r = card.write(block, data.subarray(2, 18))
        return this.respond([0x41, r.ok ? STATUS.ok : STATUS.mifareNak])
      }
      default:
        // 0xA2 (Ultralight page write) and anything else: a Classic card NAKs it.
        return this.respond([0x41, STATUS.mifareNak])
    }
  }
}
