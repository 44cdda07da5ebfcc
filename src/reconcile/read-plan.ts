// Which slots a pass reads, and why (pure). Reading every slot of a 250-slot battery lock on every pass
// would be needless radio traffic (rule 12), so a pass reads: every slot when a full read is due; else the
// slots lockstep owns when a drift check is due (drift-check.ts) or their last reading is not known, the
// slots an event named, unmanaged slots last seen holding a PIN a code wants (a
// possible duplicate, looked at again rather than failed on an old reading), and enough probably-free
// slots for the codes that need one. The pass (pass.ts) does the reading and probes further free-looking
// slots with `freeCandidates` until enough are read empty.
import type { OccupiedReading } from './slot-memory.js'
import { isActive, type DesiredCode } from './plan.js'

export interface SlotLayout {
  firstSlot: number
  slotCount: number
}

export type ReadReason = 'owned' | 'event' | 'possible_duplicate'

export interface ReadPlan {
  /** Slots that must be read on this pass, each with the first reason found. */
  mustRead: Map<number, ReadReason>
  /** Slots owned by a managed code (in range). */
  owned: Set<number>
  /** Active codes without a slot: how many empty slots the pass must find. */
  needing: number
}

export function inLayout(slot: number, layout: SlotLayout): boolean {
  return Number.isInteger(slot) && slot >= layout.firstSlot && slot < layout.firstSlot + layout.slotCount
}

export function planReads(input: {
  codes: readonly DesiredCode[]
  now: number
  layout: SlotLayout
  /** Slots events named since the last pass. */
  eventSlots: Iterable<number>
  /** Slots last seen occupied (unmanaged codes and others). */
  lastOccupied: Iterable<[number, OccupiedReading]>
  /**
   * A drift check is due: every owned slot is read. Otherwise an owned slot is read only when its last
   * reading is not known (`remembered` false); the others stand, as the device reports changes or the
   * next check will look. Default true.
   */
  checkOwned?: boolean
  remembered?: (slot: number) => boolean
}): ReadPlan {
  const { codes, now, layout } = input
  const owned = new Set<number>()
  let needing = 0
  for (const c of codes) {
    if (c.slot !== null && inLayout(c.slot, layout) && !owned.has(c.slot)) owned.add(c.slot)
    else if (isActive(c, now)) needing++
  }
  const mustRead = new Map<number, ReadReason>()
  const checkOwned = input.checkOwned ?? true
  for (const s of owned) if (checkOwned || !input.remembered?.(s)) mustRead.set(s, 'owned')
  for (const s of input.eventSlots) if (inLayout(s, layout) && !mustRead.has(s)) mustRead.set(s, 'event')
  const wantedPins = new Set(codes.filter((c) => isActive(c, now)).map((c) => c.code))
  for (const [slot, r] of input.lastOccupied) {
    if (!owned.has(slot) && r.code !== null && wantedPins.has(r.code) && !mustRead.has(slot)) mustRead.set(slot, 'possible_duplicate')
  }
  return { mustRead, owned, needing }
}

/** Up to `n` slots, lowest first, that may be free: not owned, not yet probed, not last seen occupied. */
export function freeCandidates(layout: SlotLayout, n: number, skip: (slot: number) => boolean): number[] {
  const out: number[] = []
  const last = layout.firstSlot + layout.slotCount - 1
  for (let s = layout.firstSlot; s <= last && out.length < n; s++) if (!skip(s)) out.push(s)
  return out
}

/**
 * An empty reading stands in for a fresh read when it is at most `trustEmptyMs` old and nothing since
 * (an event naming the slot, a gap in the device's events) put it in doubt; 0 = never.
 */
export function emptyStillTrusted(emptySince: number | undefined, now: number, trustEmptyMs: number): boolean {
  return emptySince !== undefined && trustEmptyMs > 0 && now - emptySince <= trustEmptyMs
}
