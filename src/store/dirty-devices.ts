// The reconciler's queue, level-triggered: a device is either dirty (look at it again) or not.
// Marking dirty happens in the same transaction as the change that requires it.
import type { StoreContext } from './context.js'

export class DirtyDevices {
  private listeners = new Set<(deviceId: string) => void>()
  private pending = new Set<string>()
  /** Devices already marked in the open transaction (cleared at its end). */
  private markedInTx = new Set<string>()
  constructor(private readonly ctx: StoreContext) {}

  markDirty(deviceId: string, reason: string): void {
    // One mark per device per transaction is enough: nothing sees the transaction until it commits, and
    // one revision step already tells a pass that began before it that it is stale (a push of thousands of
    // codes marks each device once instead of once per code).
    const inTx = this.ctx.db.inTransaction
    if (inTx && this.markedInTx.has(deviceId)) return
    if (inTx) this.markedInTx.add(deviceId)
    this.ctx.db.prepare('UPDATE devices SET revision = revision + 1 WHERE device_id = ?').run(deviceId)
    this.ctx.db
      .prepare('INSERT INTO work_items (device_id, dirty_at, reason) VALUES (?, ?, ?) ON CONFLICT(device_id) DO UPDATE SET dirty_at = excluded.dirty_at, reason = excluded.reason')
      .run(deviceId, this.ctx.clock.now(), reason)
    this.pending.add(deviceId)
  }

  revision(deviceId: string): number {
    const r = this.ctx.db.prepare('SELECT revision FROM devices WHERE device_id = ?').get(deviceId) as { revision: number } | undefined
    return r?.revision ?? 0
  }

  /** Clears the item only if no change arrived since the pass read `revision` (no lost wake-ups). */
  markClean(deviceId: string, revision: number): void {
    if (this.revision(deviceId) === revision) this.ctx.db.prepare('DELETE FROM work_items WHERE device_id = ?').run(deviceId)
  }

  /** How many devices wait for a pass. */
  depth(): number {
    return (this.ctx.db.prepare('SELECT count(*) AS n FROM work_items').get() as { n: number }).n
  }

  dirty(): { deviceId: string; dirtyAt: number; reason: string }[] {
    return (this.ctx.db.prepare('SELECT device_id, dirty_at, reason FROM work_items ORDER BY dirty_at').all() as {
      device_id: string
      dirty_at: number
      reason: string
    }[]).map((r) => ({ deviceId: r.device_id, dirtyAt: r.dirty_at, reason: r.reason }))
  }

  subscribe(listener: (deviceId: string) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  flush(committed: boolean): void {
    this.markedInTx.clear()
    const ids = this.pending
    this.pending = new Set()
    if (!committed) return
    for (const id of ids) for (const l of this.listeners) l(id)
  }
}
