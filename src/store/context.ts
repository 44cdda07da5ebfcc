// What every repository needs: the database, injected time and randomness, and this box's identity.
import type { Clock } from '../kernel/clock.js'
import type { Random } from '../kernel/ids.js'
import type { Db } from './db.js'

export interface StoreContext {
  db: Db
  clock: Clock
  random: Random
  workspaceId: string
}

export function loadOrCreateMeta(db: Db, key: string, create: () => string): string {
  const row = db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined
  if (row) return row.value
  const value = create()
  db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)').run(key, value)
  return value
}

export const json = {
  parse<T>(s: string | null): T {
    return (s === null ? null : JSON.parse(s)) as T
  },
  str(v: unknown): string {
    return JSON.stringify(v)
  },
}
