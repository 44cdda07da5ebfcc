// Action attempts: asynchronous device actions the SDK polls. Every attempt ends (success or error)
// within bounded time; the daemon expires stragglers.
import { notFound } from '../domain/errors.js'
import { json, type StoreContext } from './context.js'

/** An attempt as stored; src/api/wire.ts gives it Seam's shape. */
export interface ActionAttempt {
  actionAttemptId: string
  actionType: string
  status: 'pending' | 'success' | 'error'
  result: Record<string, unknown> | null
  error: { type: string; message: string } | null
}

interface Row {
  action_attempt_id: string
  action_type: string
  status: ActionAttempt['status']
  device_id: string | null
  result: string | null
  error: string | null
  created_at: number
}

function fromRow(r: Row): ActionAttempt {
  return {
    actionAttemptId: r.action_attempt_id,
    actionType: r.action_type,
    status: r.status,
    result: r.status === 'success' ? json.parse(r.result) ?? {} : null,
    error: r.status === 'error' ? json.parse(r.error) : null,
  }
}

export class ActionAttempts {
  constructor(private readonly ctx: StoreContext) {}

  create(actionType: string, deviceId: string | null): ActionAttempt {
    const id = this.ctx.random.uuid()
    const now = this.ctx.clock.now()
    this.ctx.db
      .prepare("INSERT INTO action_attempts (action_attempt_id, action_type, status, device_id, created_at, updated_at) VALUES (?, ?, 'pending', ?, ?, ?)")
      .run(id, actionType, deviceId, now, now)
    return this.get(id)
  }

  get(id: string): ActionAttempt {
    const r = this.ctx.db.prepare('SELECT * FROM action_attempts WHERE action_attempt_id = ?').get(id) as Row | undefined
    if (!r) throw notFound('action_attempt', id)
    return fromRow(r)
  }

  /** Attempts, oldest first, optionally of one device or among ids; `seq` is the row's insertion order. */
  list(f: { deviceId?: string; actionAttemptIds?: string[] } = {}): (ActionAttempt & { seq: number })[] {
    const where: string[] = []
    const args: unknown[] = []
    if (f.deviceId) (where.push('device_id = ?'), args.push(f.deviceId))
    if (f.actionAttemptIds?.length) (where.push(`action_attempt_id IN (${f.actionAttemptIds.map(() => '?').join(',')})`), args.push(...f.actionAttemptIds))
    const sql = `SELECT rowid AS seq, * FROM action_attempts${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY rowid`
    return (this.ctx.db.prepare(sql).all(...args) as (Row & { seq: number })[]).map((r) => ({ ...fromRow(r), seq: r.seq }))
  }

  deviceOf(id: string): string | null {
    const r = this.ctx.db.prepare('SELECT device_id FROM action_attempts WHERE action_attempt_id = ?').get(id) as { device_id: string | null } | undefined
    return r?.device_id ?? null
  }

  /**
   * The attempt a remote lock/unlock the device just reported answers: the newest of that type for the device,
   * started within `withinMs`, still pending or succeeded (a failed one did not move the lock).
   */
  recentFor(deviceId: string, actionType: string, withinMs: number): string | undefined {
    const r = this.ctx.db
      .prepare("SELECT action_attempt_id FROM action_attempts WHERE device_id = ? AND action_type = ? AND status != 'error' AND created_at >= ? ORDER BY created_at DESC LIMIT 1")
      .get(deviceId, actionType, this.ctx.clock.now() - withinMs) as { action_attempt_id: string } | undefined
    return r?.action_attempt_id
  }

  /** Ends a pending attempt. An attempt that already ended keeps its first outcome. */
  finish(id: string, outcome: { result: Record<string, unknown> } | { error: { type: string; message: string } }): boolean {
    const ok = 'result' in outcome
    const info = this.ctx.db
      .prepare("UPDATE action_attempts SET status = ?, result = ?, error = ?, updated_at = ? WHERE action_attempt_id = ? AND status = 'pending'")
      .run(ok ? 'success' : 'error', ok ? json.str(outcome.result) : null, ok ? null : json.str(outcome.error), this.ctx.clock.now(), id)
    return info.changes === 1
  }

  /** Pending attempts older than maxAgeMs end as `action_attempt_expired` (the SDK must never poll forever). */
  expire(maxAgeMs: number): string[] {
    const cutoff = this.ctx.clock.now() - maxAgeMs
    const ids = (this.ctx.db.prepare("SELECT action_attempt_id FROM action_attempts WHERE status = 'pending' AND created_at < ?").all(cutoff) as {
      action_attempt_id: string
    }[]).map((r) => r.action_attempt_id)
    for (const id of ids) this.finish(id, { error: { type: 'action_attempt_expired', message: 'The action did not complete in time' } })
    return ids
  }
}
