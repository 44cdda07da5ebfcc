// The daemon's topics: what one part tells the others, as plain data. Every payload is published after
// the fact it reports (a store notification after its transaction committed).
import { EventBus } from './kernel/event-bus.js'
import type { BreakerState } from './reconcile/breaker.js'

export interface DaemonTopics {
  /** A Seam event row, after the transaction that appended it committed. */
  'event.committed': Record<string, unknown>
  /** A change committed that the device's reconciler worker must look at. */
  'device.dirty': string
  /** The lab moved simulated time forward (time-bound work is due for a look). */
  'lab.clock_advanced': { ms: number }
  /** Seconds between a device becoming dirty and the end of the pass that served it. */
  'reconcile.lag': { deviceId: string; seconds: number }
  'reconcile.breaker': { deviceId: string; state: BreakerState }
  /** One card encoding: wait for the card, write, read back. */
  'encode.finished': { seconds: number; outcome: 'success' | 'error' }
}

export type DaemonBus = EventBus<DaemonTopics>

export function createDaemonBus(onListenerError: (err: unknown, topic: string) => void): DaemonBus {
  return new EventBus<DaemonTopics>((err, topic) => onListenerError(err, String(topic)))
}
