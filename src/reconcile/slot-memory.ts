// What the reconciler last saw in each slot of one device. Kept small on purpose: a site can have a
// thousand 250-slot locks that are mostly empty, so occupied slots are kept as readings and empty ones
// only as the time they were read (a typed array, no object per slot).
import type { SlotReading } from '../ports/lock-driver.js'

export type OccupiedReading = Extract<SlotReading, { state: 'occupied' }>

export class SlotMemory {
  private readonly occupiedSlots = new Map<number, OccupiedReading>()
  /** Clock time each slot was last read empty, by slot − firstSlot; 0 = not known to be empty. */
  private emptyAt = new Float64Array(0)
  private firstSlot = 0

  /** Record readings taken at `at`. An unreadable slot is neither occupied nor empty any more. */
  remember(readings: readonly SlotReading[], at: number, layout: { firstSlot: number; slotCount: number }): void {
    if (layout.firstSlot !== this.firstSlot || layout.slotCount !== this.emptyAt.length) {
      this.firstSlot = layout.firstSlot
      this.emptyAt = new Float64Array(layout.slotCount)
    }
    for (const r of readings) {
      const i = r.slot - this.firstSlot
      if (r.state === 'occupied') this.occupiedSlots.set(r.slot, r)
      else this.occupiedSlots.delete(r.slot)
      if (i >= 0 && i < this.emptyAt.length) this.emptyAt[i] = r.state === 'empty' ? at : 0
    }
  }

  /** Forget everything (a full read follows). */
  clear(): void {
    this.occupiedSlots.clear()
    this.emptyAt.fill(0)
  }

  /** The device's events had a gap (offline, link lost): no empty reading is vouched for any more. */
  distrustEmpties(): void {
    this.emptyAt.fill(0)
  }

  occupied(slot: number): OccupiedReading | undefined {
    return this.occupiedSlots.get(slot)
  }

  allOccupied(): IterableIterator<[number, OccupiedReading]> {
    return this.occupiedSlots.entries()
  }

  /** When the slot was last read empty, if that reading still stands; undefined otherwise. */
  emptySince(slot: number): number | undefined {
    const at = this.emptyAt[slot - this.firstSlot]
    return at ? at : undefined
  }
}
