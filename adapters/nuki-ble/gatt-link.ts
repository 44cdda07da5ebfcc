// One BLE connection to one lock, talking on one characteristic: connect, discover, subscribe (again on
// every connect: the lock forgets it), write whole frames with response, and hand out whole frames
// reassembled from indications. Every wait has a deadline; a dead link fails every waiter at once.
import type { Characteristic, Peripheral } from '@stoprocent/noble'
import { NUKI_UUID } from '../../src/protocols/nuki/constants.js'
import { FrameError } from '../../src/protocols/nuki/frame-error.js'
import { TransientDeviceError } from '../../src/ports/errors.js'
import { Reassembler, type FrameKind } from './reassembler.js'

export type Channel = 'pairing' | 'usdio'

const CHANNELS: Record<Channel, { service: string; characteristic: string; kind: FrameKind }> = {
  pairing: { service: NUKI_UUID.pairingService, characteristic: NUKI_UUID.pairingGdio, kind: 'plain' },
  usdio: { service: NUKI_UUID.keyturnerService, characteristic: NUKI_UUID.usdio, kind: 'encrypted' },
}

export function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TransientDeviceError(`${what}: no answer within ${ms} ms`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

type Waiter = { resolve: (frame: Buffer) => void; reject: (e: Error) => void }

export class GattLink {
  private readonly frames: Buffer[] = []
  private readonly waiters: Waiter[] = []
  private failure: Error | undefined
  private readonly reassembler: Reassembler
  private closed = false

  private constructor(
    private readonly peripheral: Peripheral,
    private readonly characteristic: Characteristic,
    kind: FrameKind,
  ) {
    this.reassembler = new Reassembler(kind)
    characteristic.on('data', this.onData)
    peripheral.once('disconnect', this.onDisconnect)
  }

  static async open(peripheral: Peripheral, channel: Channel, timeoutMs: number): Promise<GattLink> {
    const spec = CHANNELS[channel]
    try {
      if (peripheral.state !== 'connected') {
        await withDeadline(peripheral.connectAsync(), timeoutMs, 'connect').catch((e: unknown) => {
          // Leave noble in a clean state so the next attempt can connect again.
          try {
            peripheral.cancelConnect()
          } catch {
            /* nothing to cancel */
          }
          throw e
        })
      }
      const { characteristics } = await withDeadline(
        peripheral.discoverSomeServicesAndCharacteristicsAsync([spec.service], [spec.characteristic]),
        timeoutMs,
        'service discovery',
      )
      const characteristic = characteristics.find((c) => c.uuid === spec.characteristic)
      if (!characteristic) throw new TransientDeviceError(`lock does not expose ${channel} characteristic`)
      const link = new GattLink(peripheral, characteristic, spec.kind)
      await withDeadline(characteristic.subscribeAsync(), timeoutMs, 'subscribe')
      return link
    } catch (e) {
      if (peripheral.state === 'connected') void peripheral.disconnectAsync().catch(() => undefined)
      throw e instanceof TransientDeviceError ? e : new TransientDeviceError(`BLE link failed: ${(e as Error).message}`)
    }
  }

  get alive(): boolean {
    return !this.closed && this.failure === undefined
  }

  /** Frames that arrived before a request belong to an earlier exchange: forget them. */
  drain(): void {
    this.frames.length = 0
  }

  async send(frame: Buffer, timeoutMs: number): Promise<void> {
    if (!this.alive) throw this.failure ?? new TransientDeviceError('BLE link closed')
    await withDeadline(this.characteristic.writeAsync(frame, false), timeoutMs, 'write').catch((e: unknown) => {
      throw e instanceof TransientDeviceError ? e : new TransientDeviceError(`write failed: ${(e as Error).message}`)
    })
  }

  next(timeoutMs: number): Promise<Buffer> {
    const ready = this.frames.shift()
    if (ready) return Promise.resolve(ready)
    if (this.failure) return Promise.reject(this.failure)
    if (this.closed) return Promise.reject(new TransientDeviceError('BLE link closed'))
    return new Promise<Buffer>((resolve, reject) => {
      const waiter: Waiter = {
        resolve: (f) => {
          clearTimeout(timer)
          resolve(f)
        },
        reject: (e) => {
          clearTimeout(timer)
          reject(e)
        },
      }
      const timer = setTimeout(() => {
        const i = this.waiters.indexOf(waiter)
        if (i >= 0) this.waiters.splice(i, 1)
        reject(new TransientDeviceError(`no reply within ${timeoutMs} ms`))
      }, timeoutMs)
      this.waiters.push(waiter)
    })
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.shutdown(new TransientDeviceError('BLE link closed'))
    if (this.peripheral.state === 'connected') {
      await withDeadline(this.peripheral.disconnectAsync(), 2000, 'disconnect').catch(() => undefined)
    }
  }

  private readonly onData = (piece: Buffer): void => {
    if (this.closed) return
    try {
      for (const frame of this.reassembler.push(piece)) {
        const waiter = this.waiters.shift()
        if (waiter) waiter.resolve(frame)
        else this.frames.push(frame)
      }
    } catch (e) {
      // A misaligned stream cannot be resynchronised: poison the link, the caller reconnects.
      const reason = e instanceof FrameError ? e.message : String(e)
      this.fail(new TransientDeviceError(`corrupt indication stream: ${reason}`))
    }
  }

  private readonly onDisconnect = (): void => {
    this.shutdown(new TransientDeviceError('BLE link dropped'))
  }

  private fail(e: Error): void {
    this.failure ??= e
    for (const w of this.waiters.splice(0)) w.reject(e)
  }

  private shutdown(e: Error): void {
    this.fail(e)
    this.closed = true
    this.reassembler.clear()
    this.frames.length = 0
    this.characteristic.removeListener('data', this.onData)
    this.peripheral.removeListener('disconnect', this.onDisconnect)
  }
}
