// Slot tracking: lockstep's slots over the lock's code ids. A listing from the lock realigns the slot
// map, yields one reading per slot, and reports changes lockstep did not make (keypad app, owner).
import type { DeviceEvent } from '../../src/ports/device-events.js'
import type { SlotReading } from '../../src/ports/lock-driver.js'
import type { LockEntry } from './lock-entry.js'
import type { KeypadCodeEntry } from './messages.js'

/** Aligns the slot map with the lock's list, reports external changes, returns one reading per slot. */
export function applyListing(
  entry: LockEntry,
  listed: KeypadCodeEntry[],
  slotCount: number,
  emit: (event: DeviceEvent) => void,
): SlotReading[] {
  const slots = entry.slots!
  const before = JSON.stringify(slots.pairs())
  const pendingAdds = new Map([...entry.unsettled].filter((p): p is [number, string] => p[1] !== null))
  slots.sync(listed, pendingAdds)
  if (JSON.stringify(slots.pairs()) !== before) entry.journal!.snapshot(slots.pairs())
  const byId = new Map(listed.map((c) => [c.id, c]))
  const readings: SlotReading[] = []
  for (let slot = 1; slot <= slotCount; slot++) {
    const id = slots.idOf(slot)
    const c = id === undefined ? undefined : byId.get(id)
    // A disabled code opens nothing: report its value as unknown so the reconciler sees the change.
    const code = c ? (c.enabled ? c.code : null) : null
    readings.push(c ? { slot, state: 'occupied', code, name: c.name } : { slot, state: 'empty' })
    const seen = c ? code : null
    const hadBaseline = entry.lastKnown.has(slot)
    const known = entry.lastKnown.get(slot)
    const unsettled = entry.unsettled.has(slot) && entry.unsettled.get(slot) === seen
    if (hadBaseline && known !== seen && !unsettled) {
      emit({ type: 'slotChanged', nativeId: entry.nukiId, slot, code: seen, source: 'app' })
    }
    entry.lastKnown.set(slot, seen)
  }
  entry.unsettled.clear()
  entry.lockCounts = new Map(listed.map((c) => [c.id, c.lockCount]))
  return readings
}

/** A code added in `slot` under the lock's new id: bound in the map and the journal, counting from zero. */
export function noteAdded(entry: LockEntry, slot: number, id: number): void {
  entry.slots!.bind(slot, id)
  entry.journal!.bind(slot, id)
  entry.lockCounts.set(id, 0)
}

/** A slot's code removed from the lock. */
export function noteRemoved(entry: LockEntry, slot: number): void {
  entry.slots!.unbindSlot(slot)
  entry.journal!.unbind(slot)
}

/** The slots whose code opened the lock since the last listing (its lock count went up). */
export function keypadOpenings(before: Map<number, number>, listed: KeypadCodeEntry[]): KeypadCodeEntry[] {
  return listed.filter((c) => {
    const prev = before.get(c.id)
    return prev !== undefined && c.lockCount > prev
  })
}
