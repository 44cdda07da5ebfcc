// Load-or-create the site's card secrets in the data dir: one file per secret, mode 0600.
// Never log the values; errors name the file, not its content.
import { readFileSync, writeFileSync, chmodSync, statSync, renameSync } from 'node:fs'
import { join } from 'node:path'
import type { Random } from '../kernel/ids.js'
import { ensureDataDir } from '../files.js'
import type { SiteKeys } from '../protocols/lockstep-card/keys.js'

const FILES = { kMac: 'card-k-mac.key', kA: 'card-k-a.key', kB: 'card-k-b.key' } as const

function loadOrCreate(dir: string, name: string, random: Random): Buffer {
  const path = join(dir, name)
  let text: string | undefined
  try {
    text = readFileSync(path, 'utf8')
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e
  }
  if (text !== undefined) {
    const key = Buffer.from(text.trim(), 'hex')
    if (key.length !== 32 || !/^[0-9a-f]{64}$/i.test(text.trim())) throw new Error(`card key file ${path} is not 32 bytes of hex`)
    // Tighten permissions if someone loosened them; a key readable by others is a leak waiting to happen.
    if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600)
    return key
  }
  const key = random.bytes(32)
  const tmp = `${path}.tmp-${process.pid}`
  writeFileSync(tmp, key.toString('hex') + '\n', { mode: 0o600, flag: 'wx' })
  renameSync(tmp, path)
  return key
}

/** Reads the three secrets from `dir`, creating missing ones from `random`. */
export function loadOrCreateSiteKeys(dir: string, random: Random): SiteKeys {
  ensureDataDir(dir)
  return {
    kMac: loadOrCreate(dir, FILES.kMac, random),
    kA: loadOrCreate(dir, FILES.kA, random),
    kB: loadOrCreate(dir, FILES.kB, random),
  }
}

export const SITE_KEY_FILES = FILES
