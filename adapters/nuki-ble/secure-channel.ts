// Encrypted request/response over USDIO for one authorization (docs/protocols/nuki-ble.md §2.3, §5.1). Each request gets a fresh
// 24-byte message nonce from the injected Random; replies are decrypted, CRC-checked, deduplicated by their
// nonce (a repeated indication is never taken for a new answer) and handed to a collector that knows what
// the command's reply sequence looks like. Error Reports end the exchange as NukiErrorReport.
import { CMD } from '../../src/protocols/nuki/constants.js'
import { decryptMessage, encryptMessage, type EncryptedMessage } from '../../src/protocols/nuki/encrypted-frame.js'
import { FrameError } from '../../src/protocols/nuki/frame-error.js'
import type { Random } from '../../src/kernel/ids.js'
import { TransientDeviceError } from '../../src/ports/errors.js'
import { NukiErrorReport } from './device-errors.js'
import type { GattLink } from './gatt-link.js'
import { parseErrorReport, requestData } from './messages.js'

export type Step<T> = { done: true; value: T } | { done: false }
export const more = { done: false } as const
export const done = <T>(value: T): Step<T> => ({ done: true, value })

export interface Authorization {
  authorizationId: number
  sharedKey: Buffer
}

const SEEN_NONCES = 256

export class SecureChannel {
  private readonly seen = new Set<string>()
  /** Encrypted request/response exchanges done, for benchmarks. */
  exchanges = 0

  constructor(
    readonly link: GattLink,
    private readonly auth: Authorization,
    private readonly random: Random,
    private readonly timeoutMs: number,
  ) {}

  async exchange<T>(command: number, payload: Buffer, collect: (msg: EncryptedMessage) => Step<T>): Promise<T> {
    this.link.drain()
    const frame = encryptMessage(this.auth.sharedKey, this.random.bytes(24), {
      authorizationId: this.auth.authorizationId,
      command,
      payload,
    })
    this.exchanges++
    await this.link.send(frame, this.timeoutMs)
    for (;;) {
      const raw = await this.link.next(this.timeoutMs)
      let msg
      try {
        msg = decryptMessage(this.auth.sharedKey, raw)
      } catch (e) {
        if (e instanceof FrameError) throw new TransientDeviceError(`bad frame from lock (${e.reason}): ${e.message}`)
        throw e
      }
      const nonce = msg.nonce.toString('hex')
      if (this.seen.has(nonce)) continue
      this.remember(nonce)
      if (msg.authorizationId !== this.auth.authorizationId) {
        throw new TransientDeviceError('reply for another authorization')
      }
      if (msg.command === CMD.errorReport) {
        const report = parseErrorReport(msg.payload)
        throw new NukiErrorReport(report.code, report.command)
      }
      const step = collect(msg)
      if (step.done) return step.value
    }
  }

  /** Request Data(Challenge) → the 32-byte nK the next Ch command must carry. */
  challenge(): Promise<Buffer> {
    return this.exchange(CMD.requestData, requestData(CMD.challenge), (m) => {
      if (m.command !== CMD.challenge) return more
      if (m.payload.length !== 32) throw new TransientDeviceError(`challenge of ${m.payload.length} bytes`)
      return done(Buffer.from(m.payload))
    })
  }

  private remember(nonce: string): void {
    this.seen.add(nonce)
    if (this.seen.size > SEEN_NONCES) this.seen.delete(this.seen.values().next().value!)
  }
}
