// lockstep slots ↔ Nuki keypad code ids. The reconciler picks slots (design rule 5) but the lock assigns
// code ids on Add, so the driver keeps this map (persisted beside the key). Codes the driver did not add
// (the owner's app) are placed at slot = code id when free, else at the lowest free slot.

export interface ListedCode {
  id: number
  code: string
}

export class SlotMap {
  private readonly byslot = new Map<number, number>()
  private readonly byId = new Map<number, number>()

  constructor(
    private readonly firstSlot: number,
    private readonly slotCount: number,
    pairs: Iterable<[slot: number, id: number]> = [],
  ) {
    for (const [slot, id] of pairs) this.bind(slot, id)
  }

  idOf(slot: number): number | undefined {
    return this.byslot.get(slot)
  }

  slotOf(id: number): number | undefined {
    return this.byId.get(id)
  }

  bind(slot: number, id: number): void {
    this.unbindSlot(slot)
    const old = this.byId.get(id)
    if (old !== undefined) this.byslot.delete(old)
    this.byslot.set(slot, id)
    this.byId.set(id, slot)
  }

  unbindSlot(slot: number): void {
    const id = this.byslot.get(slot)
    if (id === undefined) return
    this.byslot.delete(slot)
    this.byId.delete(id)
  }

  /**
   * Aligns the map with the lock's list: forgets ids the lock no longer has, places new ones.
   * `pendingAdds` are adds whose answer was lost (link drop): a new id with that code goes to that slot.
   */
  sync(listed: ListedCode[], pendingAdds: Map<number, string> = new Map()): void {
    const present = new Set(listed.map((c) => c.id))
    for (const [slot, id] of [...this.byslot]) if (!present.has(id)) this.unbindSlot(slot)
    for (const c of listed.filter((c) => !this.byId.has(c.id)).sort((a, b) => a.id - b.id)) {
      const pending = [...pendingAdds].find(([slot, code]) => code === c.code && !this.byslot.has(slot))
      const slot = pending?.[0] ?? (this.inRange(c.id) && !this.byslot.has(c.id) ? c.id : this.lowestFree())
      if (slot !== undefined) this.bind(slot, c.id)
    }
  }

  pairs(): [number, number][] {
    return [...this.byslot].sort((a, b) => a[0] - b[0])
  }

  private inRange(slot: number): boolean {
    return slot >= this.firstSlot && slot < this.firstSlot + this.slotCount
  }

  private lowestFree(): number | undefined {
    for (let s = this.firstSlot; s < this.firstSlot + this.slotCount; s++) if (!this.byslot.has(s)) return s
    return undefined
  }
}
