// `lockstep backup <file>`: SQLite's online backup of <data dir>/lockstep.db, safe while the daemon runs
// (WAL readers do not block it). Opens the store read-only and runs no migrations, so a backup taken by a
// newer lockstep before an upgrade is the old schema exactly as it was.
import Database from 'better-sqlite3'
import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { DB_FILE, ensurePrivateFile } from '../files.js'
import { CliError, EXIT } from './client.js'

export interface BackupResult {
  source: string
  file: string
  schema_version: number
  bytes: number
}

export async function backup(dataDir: string, file: string, opts: { force?: boolean } = {}): Promise<BackupResult> {
  const source = join(dataDir, DB_FILE)
  if (!existsSync(source)) throw new CliError(EXIT.usage, `no store at ${source} (set --data-dir or LOCKSTEP_DATA_DIR)`)
  const target = resolve(file)
  if (existsSync(target) && !opts.force) throw new CliError(EXIT.usage, `${target} exists; pass --force to overwrite`)
  const db = new Database(source, { readonly: true, fileMustExist: true })
  try {
    db.pragma('busy_timeout = 5000')
    // The copy holds PINs in clear like the store: 0600 before a byte is written.
    ensurePrivateFile(target)
    await db.backup(target)
  } finally {
    db.close()
  }
  const copy = new Database(target, { readonly: true })
  try {
    const check = copy.pragma('quick_check', { simple: true })
    if (check !== 'ok') throw new CliError(EXIT.api, `backup ${target} failed its integrity check: ${check}`)
    const schema = copy.pragma('user_version', { simple: true }) as number
    const pages = copy.pragma('page_count', { simple: true }) as number
    const size = copy.pragma('page_size', { simple: true }) as number
    return { source, file: target, schema_version: schema, bytes: pages * size }
  } finally {
    copy.close()
  }
}
