// One PN532 on one byte stream: strictly one command outstanding (HSU is half duplex).
// Sends a command frame, waits for the ACK (resends once), then the matching response.
import type { Duplex } from 'node:stream'
import { ACK_FRAME, FrameReader, hostCommand, TFI_PN532, WAKE_UP, type ReaderItem } from './frame.js'
import { SerialQueue } from '../../src/kernel/serial-queue.js'

export type LinkFailure = 'timeout' | 'closed' | 'syntax' | 'protocol'

export class LinkError extends Error {
  override readonly name = 'LinkError'
  constructor(readonly failure: LinkFailure, message: string) {
    super(message)
  }
}

export interface LinkOptions {
  /** Wait for the ACK; the manual says the PN532 ACKs within 15 ms. */
  ackTimeoutMs?: number
  /** Wait for the response after the ACK. */
  responseTimeoutMs?: number
}

interface Pending {
  code: number
  acked: boolean
  resolve: (pd: Buffer) => void
  reject: (e: LinkError) => void
  onItem: (item: ReaderItem) => void
}

export class Pn532Link {
  private readonly reader = new FrameReader()
  private pending: Pending | undefined
  private readonly queue = new SerialQueue()
  private closedReason: string | undefined
  /** Bytes moved in both directions, for the bench's wire-time floor. */
  bytesOut = 0
  bytesIn = 0
  /** Commands resent after a missing ACK. */
  resends = 0
  private settleUntil = 0
  private readonly ackTimeoutMs: number
  private readonly responseTimeoutMs: number

  constructor(
    private readonly port: Duplex,
    opts: LinkOptions = {},
  ) {
    this.ackTimeoutMs = opts.ackTimeoutMs ?? 50
    this.responseTimeoutMs = opts.responseTimeoutMs ?? 1000
    port.on('data', (chunk: Buffer) => {
      this.bytesIn += chunk.length
      for (const item of this.reader.push(chunk)) this.pending?.onItem(item)
    })
    const down = (why: string) => {
      if (this.closedReason) return
      this.closedReason = why
      this.pending?.reject(new LinkError('closed', `serial link ${why}`))
    }
    port.on('error', (e: Error) => down(`error: ${e.message}`))
    port.on('close', () => down('closed'))
    port.on('end', () => down('ended'))
  }

  get isOpen(): boolean {
    return this.closedReason === undefined && !this.port.destroyed
  }

  /** Run `code params…`, return the response's parameters (after PD0). Serialised. */
  command(pd: number[] | Buffer, opts: { responseTimeoutMs?: number; wake?: boolean } = {}): Promise<Buffer> {
    return this.queue.run(() => this.exchange(Buffer.from(pd), opts))
  }

  private write(bytes: Buffer): void {
    this.bytesOut += bytes.length
    this.port.write(bytes)
  }

  private async exchange(pd: Buffer, opts: { responseTimeoutMs?: number; wake?: boolean }): Promise<Buffer> {
    const settle = this.settleUntil - Date.now()
    if (settle > 0) await new Promise((r) => setTimeout(r, settle))
    return this.exchangeNow(pd, opts)
  }

  private exchangeNow(pd: Buffer, opts: { responseTimeoutMs?: number; wake?: boolean }): Promise<Buffer> {
    if (!this.isOpen) return Promise.reject(new LinkError('closed', `serial link ${this.closedReason ?? 'closed'}`))
    const frame = hostCommand(pd)
    const code = pd[0]!
    const responseTimeoutMs = opts.responseTimeoutMs ?? this.responseTimeoutMs
    return new Promise<Buffer>((resolve, reject) => {
      // Two timers kept apart: the ACK may arrive synchronously inside write() (in-process link),
      // so neither may overwrite the other.
      let ackTimer: NodeJS.Timeout | undefined
      let responseTimer: NodeJS.Timeout | undefined
      let resent = false
      const finish = () => {
        clearTimeout(ackTimer)
        clearTimeout(responseTimer)
        if (this.pending === p) this.pending = undefined
      }
      const armAck = () => {
        clearTimeout(ackTimer)
        ackTimer = setTimeout(() => setImmediate(ackOverdue), this.ackTimeoutMs)
      }
      // Deferred by one loop turn: after a stalled event loop, timers run before pending I/O, and
      // an ACK already waiting in the input must win over the resend.
      const ackOverdue = () => {
        if (this.pending !== p || p.acked) return
        if (!resent) {
          resent = true
          this.resends++
          armAck()
          this.write(frame)
        } else {
          finish()
          reject(new LinkError('timeout', `no ACK for command 0x${code.toString(16)}`))
        }
      }
      const p: Pending = {
        code,
        acked: false,
        resolve: (b) => {
          finish()
          // The device may have executed the command twice (first ACK was late, not lost): let
          // its duplicate answer arrive and be ignored before anything else is sent.
          if (resent) this.settleUntil = Date.now() + 2 * this.ackTimeoutMs
          resolve(b)
        },
        reject: (e) => {
          finish()
          reject(e)
        },
        onItem: (item) => {
          if (item.kind === 'ack') {
            if (p.acked) return
            p.acked = true
            clearTimeout(ackTimer)
            responseTimer = setTimeout(() => {
              finish()
              // Abort the command on the device so a late answer cannot be mistaken for the next one.
              if (this.isOpen) this.write(ACK_FRAME)
              reject(new LinkError('timeout', `no response to command 0x${code.toString(16)}`))
            }, responseTimeoutMs)
          } else if (item.kind === 'error') {
            p.reject(new LinkError('syntax', `PN532 error frame for command 0x${code.toString(16)}`))
          } else if (item.kind === 'data') {
            if (item.tfi !== TFI_PN532 || item.pd[0] !== ((code + 1) & 0xff)) {
              p.reject(new LinkError('protocol', `unexpected response ${item.tfi.toString(16)} ${item.pd[0]?.toString(16)}`))
              return
            }
            p.resolve(Buffer.from(item.pd.subarray(1)))
          } else if (item.kind === 'frame_error') {
            // A damaged response: ask for it again via NACK (bounded by the response timer).
            if (p.acked) this.write(Buffer.from([0x00, 0x00, 0xff, 0xff, 0x00, 0x00]))
          }
        },
      }
      this.pending = p
      armAck()
      this.write(opts.wake ? Buffer.concat([WAKE_UP, frame]) : frame)
    })
  }
}
