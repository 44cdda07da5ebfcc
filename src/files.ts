// File names inside the data dir (shared by the daemon and the CLI without loading the daemon), and the
// modes lockstep keeps there: the store holds PINs in clear and the key files are secrets, so the data dir
// is 0700 and every file lockstep writes in it is 0600, whatever the umask.
import { chmodSync, closeSync, mkdirSync, openSync, statSync } from 'node:fs'

export const DB_FILE = 'lockstep.db'
export const LAB_KEY_FILE = 'lab-api-key'
export const DATA_DIR_MODE = 0o700
export const DATA_FILE_MODE = 0o600

/** Creates the data dir 0700, or tightens one lockstep owns (never a shared sticky dir such as /tmp). */
export function ensureDataDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: DATA_DIR_MODE })
  const stat = statSync(dir)
  const mine = typeof process.getuid !== 'function' || stat.uid === process.getuid()
  if (mine && (stat.mode & 0o1000) === 0 && (stat.mode & 0o7777) !== DATA_DIR_MODE) chmodSync(dir, DATA_DIR_MODE)
}

/** Creates `file` empty with mode 0600 if missing, and tightens it if it exists with looser bits. */
export function ensurePrivateFile(file: string): void {
  closeSync(openSync(file, 'a', DATA_FILE_MODE))
  tightenFile(file)
}

/** 0600 for a file that exists (a no-op for one that does not). */
export function tightenFile(file: string): void {
  try {
    if ((statSync(file).mode & 0o777) !== DATA_FILE_MODE) chmodSync(file, DATA_FILE_MODE)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
}
