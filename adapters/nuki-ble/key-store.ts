// Per-lock state on disk: the authorization (shared key = the only long-term secret, spec §2.4) and the
// slot map. Files are created 0600 in a 0700 directory and replaced atomically; nothing here is logged.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

export interface StoredLock {
  nukiId: string
  authorizationId: number
  sharedKey: Buffer
  /** noble peripheral id the lock was paired through. */
  peripheralId: string
  slots: [number, number][]
}

interface OnDisk {
  nukiId: string
  authorizationId: number
  sharedKeyHex: string
  peripheralId: string
  slots: [number, number][]
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
      slots: d.slots ?? [],
    }
  }

  save(lock: StoredLock): Promise<void> {
    const snapshot: StoredLock = { ...lock, slots: lock.slots.map(([a, b]) => [a, b]) }
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
      slots: lock.slots,
    }
    const target = this.file(lock.nukiId)
    const tmp = `${target}.${process.pid}.${++this.tmpCounter}.tmp`
    // A fresh, uniquely named file: created 0600 (umask can only remove bits), then renamed into place.
    await writeFile(tmp, JSON.stringify(d), { mode: 0o600, flag: 'wx' })
    await rename(tmp, target)
  }
}
