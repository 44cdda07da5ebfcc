// Outbound requests to one lock: publish a /set or /get, then wait for the state message that answers
// it, or time out. Z2M sends no confirmation after a set, so every write is read back (docs/protocols/zigbee2mqtt-lock.md §2).
import type { MqttClient } from 'mqtt'
import type { Clock } from '../../src/kernel/clock.js'
import type { JsonObject } from '../../src/kernel/is-object.js'
import { TransientDeviceError } from '../../src/ports/errors.js'
import type { SlotReading } from '../../src/ports/lock-driver.js'
import type { LockDevice, Waiter } from './lock-device.js'
import { getPinPayload, lockStatePayload, lockedFromState, userSlot, type UserSlot } from './payloads.js'

/**
 * Requests (/set, /get) go at QoS 0. A request lost with the connection fails its waiter at once and the
 * next pass asks again; at QoS 1 the client would re-send it after a reconnect, when it may be stale
 * (an UNLOCK minutes late, a PIN the reconciler has moved on from), and the broker would owe a PUBACK each.
 */
const REQUEST = { qos: 0 } as const

export interface RequestContext {
  base: string
  timeoutMs: number
  clock: Clock
  /** The client when connected; throws TransientDeviceError otherwise. */
  connectedClient(): MqttClient
  /** One request sent towards the lock: Z2M turns each into one ZCL command over the air. */
  sent(dev: LockDevice, kind: 'read' | 'write' | 'clear' | 'lock_action'): void
}

export class LockRequests {
  constructor(private readonly ctx: RequestContext) {}

  async readOne(dev: LockDevice, slot: number): Promise<UserSlot> {
    const client = this.ctx.connectedClient()
    // Event messages repeat the cached (possibly stale) users map; only plain state messages answer a read.
    const answer = this.waitFor(dev, (state) => (state.action === undefined ? userSlot(state, slot) : undefined))
    client.publish(`${this.ctx.base}/${dev.entry.friendlyName}/get`, getPinPayload(slot), REQUEST)
    this.ctx.sent(dev, 'read')
    const got = await answer
    if (got === undefined) throw new TransientDeviceError(`slot ${slot} of ${dev.entry.friendlyName} did not answer in ${this.ctx.timeoutMs} ms`)
    noteReadBack(dev, slot, got)
    return got
  }

  /**
   * Publishes a set and a get, then waits for users[slot] to match. A non-matching answer may be the
   * stale cache, so it does not end the wait; at the deadline, a seen-but-wrong answer means the lock
   * refused (Z2M hides the refusal status), and no answer at all means the lock was not reached.
   */
  async setAndReadBack(
    dev: LockDevice,
    slot: number,
    setPayload: string,
    matches: (a: UserSlot) => boolean,
    kind: 'write' | 'clear',
  ): Promise<{ ok: true; answer: UserSlot } | { ok: false; answer: UserSlot }> {
    const client = this.ctx.connectedClient()
    const topic = `${this.ctx.base}/${dev.entry.friendlyName}`
    let mismatch: UserSlot | undefined
    const answer = this.waitFor(dev, (state) => {
      if (state.action !== undefined) return undefined
      const a = userSlot(state, slot)
      if (a === undefined) return undefined
      if (matches(a)) return a
      mismatch = a
      return undefined
    })
    dev.ownWrites.set(slot, this.ctx.clock.now())
    client.publish(`${topic}/set`, setPayload, REQUEST)
    client.publish(`${topic}/get`, getPinPayload(slot), REQUEST)
    this.ctx.sent(dev, kind)
    this.ctx.sent(dev, 'read')
    const got = await answer
    if (got !== undefined) return { ok: true, answer: got }
    if (mismatch !== undefined) return { ok: false, answer: mismatch }
    throw new TransientDeviceError(`slot ${slot} of ${dev.entry.friendlyName} did not answer the read-back in ${this.ctx.timeoutMs} ms`)
  }

  /** Publishes LOCK/UNLOCK and waits for a plain state report showing it done. */
  async lockAction(dev: LockDevice, action: 'lock' | 'unlock'): Promise<void> {
    const client = this.ctx.connectedClient()
    const want = action === 'lock'
    const done = this.waitFor(dev, (state) => (state.action === undefined && lockedFromState(state) === want ? true : undefined))
    client.publish(`${this.ctx.base}/${dev.entry.friendlyName}/set`, lockStatePayload(action), REQUEST)
    this.ctx.sent(dev, 'lock_action')
    dev.lockActionInFlight = true
    try {
      if ((await done) === undefined) throw new TransientDeviceError(`${dev.entry.friendlyName} did not report ${action} in ${this.ctx.timeoutMs} ms`)
    } finally {
      dev.lockActionInFlight = false
    }
  }

  /** Resolves with the first value `pick` returns for a state message, or undefined at the timeout. */
  private waitFor<T>(dev: LockDevice, pick: (state: JsonObject) => T | undefined): Promise<T | undefined> {
    return new Promise<T | undefined>((resolve, reject) => {
      const finish = () => {
        clearTimeout(timer)
        dev.waiters.delete(waiter)
      }
      const waiter: Waiter = {
        onState(state) {
          const v = pick(state)
          if (v === undefined) return false
          finish()
          resolve(v)
          return true
        },
        fail(error) {
          finish()
          reject(error)
        },
      }
      const timer = setTimeout(() => {
        finish()
        resolve(undefined)
      }, this.ctx.timeoutMs)
      dev.waiters.add(waiter)
    })
  }
}

export function toReading(slot: number, a: UserSlot): SlotReading {
  if (a.kind === 'empty') return { slot, state: 'empty' }
  if (a.kind === 'occupied') return { slot, state: 'occupied', code: a.code }
  return { slot, state: 'unreadable', reason: a.reason }
}

/** Keep a slot's read-back only while it holds a code (most of a 250-slot lock is empty). */
export function noteReadBack(dev: LockDevice, slot: number, answer: UserSlot): void {
  if (answer.kind === 'occupied') dev.readBack.set(slot, answer)
  else dev.readBack.delete(slot)
}
