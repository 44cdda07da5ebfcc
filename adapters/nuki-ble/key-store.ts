// Per-lock state on disk: the authorization (shared key = the only long-term secret, docs/protocols/nuki-ble.md §2.4), replaced
// atomically, and the slot journal. Files are created 0600 in a 0700 directory; nothing here is logged.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs'
import { mkdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { SlotJournal } from './slot-journal.js'

export interface StoredLock {
  nukiId: string
  authorizationId: number
  sharedKey: Buffer
  /** noble peripheral id the lock was paired through. */
  peripheralId: string
}

interface OnDisk {
  nukiId: string
  authorizationId: number
  sharedKeyHex: string
  peripheralId: string
}

export class KeyStore {
  /** Saves of one lock run one after another, so an older state never overwrites a newer one. */
  private writing = new Map<string, Promise<void>>()
  private tmpCounter = 0
  private dirReady: Promise<unknown> | undefined

  constructor(private readonly dir: string) {}

  private file(nukiId: string): string {
    if (!/^[0-9A-F]{8}$/.test(nukiId)) throw new RangeError('Nuki id must be 8 uppercase hex digits')
    return join(this.dir, `nuki-${nukiId}.json`)
  }

  async load(nukiId: string): Promise<StoredLock | undefined> {
    let text: string
    try {
      text = await readFile(this.file(nukiId), 'utf8')
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw e
    }
    const d = JSON.parse(text) as OnDisk
    return {
      nukiId: d.nukiId,
      authorizationId: d.authorizationId,
      sharedKey: Buffer.from(d.sharedKeyHex, 'hex'),
      peripheralId: d.peripheralId,
    }
  }

  save(lock: StoredLock): Promise<void> {
    const snapshot: StoredLock = { ...lock }
    const previous = this.writing.get(lock.nukiId) ?? Promise.resolve()
    const next = previous.catch(() => undefined).then(() => this.write(snapshot))
    this.writing.set(lock.nukiId, next)
    return next
  }

  private async write(lock: StoredLock): Promise<void> {
    this.dirReady ??= mkdir(this.dir, { recursive: true, mode: 0o700 })
    await this.dirReady
    const d: OnDisk = {
      nukiId: lock.nukiId,
      authorizationId: lock.authorizationId,
      sharedKeyHex: lock.sharedKey.toString('hex'),
      peripheralId: lock.peripheralId,
    }
    const target = this.file(lock.nukiId)
    const tmp = `${target}.${process.pid}.${++this.tmpCounter}.tmp`
    // A fresh, uniquely named file: created 0600 (umask can only remove bits), then renamed into place.
    // Synchronous on purpose: a few hundred bytes cost microseconds, while two thread-pool round trips per
    // keypad write dominated a 100-code sync (bench/ble.ts).
    writeFileSync(tmp, JSON.stringify(d), { mode: 0o600, flag: 'wx' })
    renameSync(tmp, target)
  }

  /** The slot journal of one lock (see slot-journal.ts). */
  journal(nukiId: string): SlotJournal {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 })
    return new SlotJournal(this.file(nukiId).replace(/\.json$/, '.slots.log'))
  }
}
