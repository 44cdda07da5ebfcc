// What the driver keeps per Nuki lock, shared by discovery, the lock session and slot tracking.
import type { Peripheral } from '@stoprocent/noble'
import { SerialQueue } from '../../src/kernel/serial-queue.js'
import type { DeviceEvent } from '../../src/ports/device-events.js'
import type { GattLink } from './gatt-link.js'
import type { StoredLock } from './key-store.js'
import type { SecureChannel } from './secure-channel.js'
import type { SlotJournal } from './slot-journal.js'
import type { SlotMap } from './slot-map.js'

export interface DriverLog {
  debug(obj: object, msg: string): void
  info(obj: object, msg: string): void
  warn(obj: object, msg: string): void
}

export interface LockEntry {
  nukiId: string
  peripheral?: Peripheral
  stored?: StoredLock
  slots?: SlotMap
  journal?: SlotJournal
  loaded: boolean
  announced: boolean
  online: boolean
  lastSeenMs: number
  queue: SerialQueue
  link?: GattLink
  channel?: SecureChannel
  idleTimer?: NodeJS.Timeout
  /** The last code lockstep saw or wrote per slot: the baseline for slotChanged. */
  lastKnown: Map<number, string | null>
  /** Writes whose outcome is unknown (link lost): seeing their result later is not an external change. */
  unsettled: Map<number, string | null>
  lockCounts: Map<number, number>
  locked?: boolean
  sighting: boolean
  pairingFailedAt?: number
}

export function newLockEntry(nukiId: string): LockEntry {
  return {
    nukiId,
    loaded: false,
    announced: false,
    online: false,
    lastSeenMs: 0,
    queue: new SerialQueue(),
    lastKnown: new Map(),
    unsettled: new Map(),
    lockCounts: new Map(),
    sighting: false,
  }
}

export function markOnline(entry: LockEntry, emit: (event: DeviceEvent) => void): void {
  if (entry.online) return
  entry.online = true
  emit({ type: 'online', nativeId: entry.nukiId })
}

export function markOffline(entry: LockEntry, emit: (event: DeviceEvent) => void): void {
  if (!entry.online) return
  entry.online = false
  emit({ type: 'offline', nativeId: entry.nukiId })
}
