// What the driver keeps per Zigbee2MQTT lock: shared by the inbound side (which updates it from state
// messages) and the request side (which waits on it for answers).
import type { SerialQueue } from '../../src/kernel/serial-queue.js'
import type { JsonObject } from '../../src/kernel/is-object.js'
import type { CodeConstraints } from '../../src/ports/lock-driver.js'
import type { Z2mLockEntry } from './discovery.js'
import type { UserSlot } from './payloads.js'

/** A request waiting for the state message that answers it. */
export interface Waiter {
  /** Returns true when this message settles the request. */
  onState(state: JsonObject): boolean
  fail(error: Error): void
}

export interface LockDevice {
  entry: Z2mLockEntry
  constraints: CodeConstraints | undefined
  online: boolean
  locked: boolean | undefined
  battery: number | undefined
  /** Occupied slots as last read back: only used to name a refusal ("duplicate of slot n"). */
  readBack: Map<number, UserSlot>
  /** Slot → clock time of our own last write; the lock echoes those as rf programming events. */
  ownWrites: Map<number, number>
  waiters: Set<Waiter>
  /** Set while our own lock/unlock is in flight: the report that follows is a remote action. */
  lockActionInFlight: boolean
  queue: SerialQueue
  entryKey: string
}

export function failWaiters(dev: LockDevice, error: Error): void {
  for (const w of [...dev.waiters]) w.fail(error)
}
