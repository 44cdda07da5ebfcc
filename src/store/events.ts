// The event log (design rule 9): every state change appends a Seam event in the same transaction.
import { isoUtc } from '../kernel/clock.js'
import type { StoreContext } from './context.js'

export interface EventInput {
  event_type: string
  device_id?: string | null
  access_code_id?: string | null
  occurred_at?: number
  [field: string]: unknown
}

export interface StoredEvent {
  seq: number
  body: Record<string, unknown>
}

export interface EventFilter {
  sinceMs?: number
  untilMs?: number
  deviceIds?: string[]
  accessCodeIds?: string[]
  eventTypes?: string[]
  eventIds?: string[]
  afterSeq?: number
  limit?: number
}

type Listener = (event: Record<string, unknown>) => void

export class EventLog {
  private listeners = new Set<Listener>()
  private pending: Record<string, unknown>[] = []
  constructor(private readonly ctx: StoreContext) {}

  /** Appends inside the caller's transaction; listeners hear about it after commit (see flush). */
  append(input: EventInput): Record<string, unknown> {
    const now = this.ctx.clock.now()
    const occurred = input.occurred_at ?? now
    const { occurred_at: _o, ...fields } = input
    const body: Record<string, unknown> = {
      event_id: this.ctx.random.uuid(),
      workspace_id: this.ctx.workspaceId,
      created_at: isoUtc(now),
      occurred_at: isoUtc(occurred),
      ...fields,
    }
    for (const k of Object.keys(body)) if (body[k] === undefined || body[k] === null && (k === 'device_id' || k === 'access_code_id')) delete body[k]
    this.ctx.db
      .prepare('INSERT INTO events (event_id, event_type, occurred_at, created_at, device_id, access_code_id, body) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(body.event_id, input.event_type, occurred, now, input.device_id ?? null, input.access_code_id ?? null, JSON.stringify(body))
    this.pending.push(body)
    return body
  }

  /** Called by Store.tx after a commit; a rolled-back transaction's events are dropped. */
  flush(committed: boolean): void {
    const events = this.pending
    this.pending = []
    if (!committed) return
    for (const e of events) for (const l of this.listeners) l(e)
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  get(eventId: string): Record<string, unknown> | undefined {
    const row = this.ctx.db.prepare('SELECT body FROM events WHERE event_id = ?').get(eventId) as { body: string } | undefined
    return row ? JSON.parse(row.body) : undefined
  }

  list(f: EventFilter): StoredEvent[] {
    const where: string[] = []
    const args: unknown[] = []
    const inList = (col: string, values?: string[]) => {
      if (!values || values.length === 0) return
      where.push(`${col} IN (${values.map(() => '?').join(',')})`)
      args.push(...values)
    }
    if (f.sinceMs !== undefined) (where.push('created_at >= ?'), args.push(f.sinceMs))
    if (f.untilMs !== undefined) (where.push('created_at <= ?'), args.push(f.untilMs))
    if (f.afterSeq !== undefined) (where.push('seq > ?'), args.push(f.afterSeq))
    inList('device_id', f.deviceIds)
    inList('access_code_id', f.accessCodeIds)
    inList('event_type', f.eventTypes)
    inList('event_id', f.eventIds)
    const sql = `SELECT seq, body FROM events ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY seq LIMIT ?`
    args.push(f.limit ?? -1)
    return (this.ctx.db.prepare(sql).all(...args) as { seq: number; body: string }[]).map((r) => ({ seq: r.seq, body: JSON.parse(r.body) }))
  }
}
