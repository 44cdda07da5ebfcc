// Opens the SQLite store: WAL with synchronous=FULL (an edge box loses power), versioned migrations
// applied in order inside one transaction each, recorded in PRAGMA user_version.
import Database from 'better-sqlite3'
import { dirname } from 'node:path'
import { ensureDataDir, ensurePrivateFile, tightenFile } from '../files.js'
import { migrations } from './migrations.js'

export type Db = Database.Database

export function openDb(file: string): Db {
  // SQLite gives -wal and -shm the database file's mode: creating it 0600 first keeps all three private.
  if (file !== ':memory:') {
    ensureDataDir(dirname(file))
    ensurePrivateFile(file)
  }
  const db = new Database(file)
  db.pragma('journal_mode = WAL')
  // An older install may have left looser ones behind.
  if (file !== ':memory:') for (const f of [`${file}-wal`, `${file}-shm`]) tightenFile(f)
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
