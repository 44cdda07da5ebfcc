// The conversation with one lock: one GATT link and secure channel at a time, opened on demand, kept
// for a short idle period so a batch of commands reuses it, and dropped whenever its state is in doubt.
// Every exchange goes through the lock's queue.
import type { Random } from '../../src/kernel/ids.js'
import { RejectedByDeviceError, TransientDeviceError } from '../../src/ports/errors.js'
import { NukiErrorReport, toPortError } from './device-errors.js'
import { GattLink } from './gatt-link.js'
import type { LockEntry } from './lock-entry.js'
import { SecureChannel } from './secure-channel.js'

export interface LockSessionOptions {
  random: Random
  commandTimeoutMs: number
  connectTimeoutMs: number
  idleDisconnectMs: number
  /** A connect succeeded (true) or failed (false): the lock's presence follows. */
  onReachable(entry: LockEntry, reachable: boolean): void
  /** A connection was attempted: the lock's radio woke for it, whatever came of it. */
  onConnecting(entry: LockEntry): void
  /** The driver stopped: no new connection may open (its connect timer would outlive stop()). */
  stopped(): boolean
}

export class LockSession {
  /** Encrypted request/response exchanges performed, for benchmarks. */
  readonly stats = { exchanges: 0, connects: 0 }

  constructor(private readonly options: LockSessionOptions) {}

  /** Runs `fn` over the lock's secure channel, in the lock's queue; maps the lock's error reports to port errors. */
  run<T>(entry: LockEntry, fn: (ch: SecureChannel) => Promise<T>): Promise<T> {
    return this.enqueue(entry, async () => {
      const ch = await this.channel(entry)
      const before = ch.exchanges
      try {
        return await fn(ch)
      } catch (e) {
        const mapped = e instanceof NukiErrorReport ? toPortError(e) : e
        // Anything but a clean "no" from the lock leaves the conversation in doubt: start afresh next time.
        if (!(mapped instanceof RejectedByDeviceError)) await this.closeLink(entry)
        throw mapped
      } finally {
        this.stats.exchanges += ch.exchanges - before
        this.armIdleClose(entry)
      }
    })
  }

  enqueue<T>(entry: LockEntry, fn: () => Promise<T>): Promise<T> {
    return entry.queue.run(fn)
  }

  async closeLink(entry: LockEntry): Promise<void> {
    if (entry.idleTimer) clearTimeout(entry.idleTimer)
    const link = entry.link
    entry.link = undefined
    entry.channel = undefined
    if (link) await link.close()
  }

  private async channel(entry: LockEntry): Promise<SecureChannel> {
    if (entry.idleTimer) clearTimeout(entry.idleTimer)
    if (entry.link?.alive && entry.channel) return entry.channel
    await this.closeLink(entry)
    if (this.options.stopped()) throw new TransientDeviceError(`Nuki driver stopped`)
    const peripheral = entry.peripheral
    if (!peripheral) throw new TransientDeviceError(`Nuki ${entry.nukiId} not in range`)
    if (!entry.stored) throw new TransientDeviceError(`Nuki ${entry.nukiId} is not paired`)
    this.options.onConnecting(entry)
    try {
      entry.link = await GattLink.open(peripheral, 'usdio', this.options.connectTimeoutMs)
      this.stats.connects++
    } catch (e) {
      this.options.onReachable(entry, false)
      throw e
    }
    this.options.onReachable(entry, true)
    entry.channel = new SecureChannel(entry.link, entry.stored, this.options.random, this.options.commandTimeoutMs)
    return entry.channel
  }

  private armIdleClose(entry: LockEntry): void {
    if (entry.idleTimer) clearTimeout(entry.idleTimer)
    entry.idleTimer = setTimeout(() => {
      void this.enqueue(entry, () => this.closeLink(entry))
    }, this.options.idleDisconnectMs)
    entry.idleTimer.unref()
  }
}
