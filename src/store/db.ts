// Opens the SQLite store: WAL with synchronous=FULL (an edge box loses power), versioned migrations
// applied in order inside one transaction each, recorded in PRAGMA user_version.
import Database from 'better-sqlite3'
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { migrations } from './migrations.js'

export type Db = Database.Database

export function openDb(file: string): Db {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true })
  const db = new Database(file)
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = FULL')
  db.pragma('foreign_keys = ON')
  db.pragma('busy_timeout = 5000')
  migrate(db)
  return db
}

export function schemaVersion(db: Db): number {
  return db.pragma('user_version', { simple: true }) as number
}

export function migrate(db: Db): number {
  const from = schemaVersion(db)
  if (from > migrations.length) {
    throw new Error(`store schema version ${from} is newer than this lockstep (knows ${migrations.length}); refusing to start`)
  }
  for (let v = from; v < migrations.length; v++) {
    db.transaction(() => {
      db.exec(migrations[v]!)
      db.pragma(`user_version = ${v + 1}`)
    })()
  }
  return from
}
