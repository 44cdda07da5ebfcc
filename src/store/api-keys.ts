// API keys are stored as SHA-256 hashes (the keys are long random tokens, so a fast hash is enough);
// the key itself is shown once, at creation.
import { createHash } from 'node:crypto'
import type { StoreContext } from './context.js'

export interface ApiKeyInfo {
  api_key_id: string
  name: string
  hint: string
  created_at: number
  revoked_at: number | null
}

export function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex')
}

/** What `revoke` found: the key it revoked, one revoked before, or nothing by that id. */
export type RevokeResult = { revoked: ApiKeyInfo } | { alreadyRevoked: ApiKeyInfo } | { unknown: true }

export class ApiKeys {
  // Verification results, valid while no other connection (the CLI in another process) has committed:
  // SQLite's data_version moves on any other connection's commit, so a revocation is seen on the next request.
  private cache = new Map<string, boolean>()
  private cacheVersion = -1
  private dataVersion: ReturnType<StoreContext['db']['prepare']> | undefined
  constructor(private readonly ctx: StoreContext) {}

  /** A new key: `seam_lk_` + 32 base62-ish characters (never seam_at/cst/pk, which the SDK rejects). */
  generate(): string {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
    let tail = ''
    for (const b of this.ctx.random.bytes(32)) tail += alphabet[b % alphabet.length]
    return `seam_lk_${tail}`
  }

  /** Stores a key (idempotent for the same key). */
  add(key: string, name: string): ApiKeyInfo {
    const hash = hashKey(key)
    // Insert first (a no-op for a known key): a write as the first statement waits for another process's
    // transaction instead of failing on a stale read snapshot.
    const id = this.ctx.random.uuid()
    const hint = `${key.slice(0, 8)}…${key.slice(-4)}`
    const info = this.ctx.db.prepare('INSERT INTO api_keys (api_key_id, name, key_hash, hint, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT(key_hash) DO NOTHING').run(id, name, hash, hint, this.ctx.clock.now())
    if (info.changes === 1) this.cache.clear()
    return this.ctx.db.prepare('SELECT api_key_id, name, hint, created_at, revoked_at FROM api_keys WHERE key_hash = ?').get(hash) as ApiKeyInfo
  }

  list(): ApiKeyInfo[] {
    return this.ctx.db.prepare('SELECT api_key_id, name, hint, created_at, revoked_at FROM api_keys ORDER BY created_at').all() as ApiKeyInfo[]
  }

  count(): number {
    return (this.ctx.db.prepare('SELECT COUNT(*) AS n FROM api_keys WHERE revoked_at IS NULL').get() as { n: number }).n
  }

  get(apiKeyId: string): ApiKeyInfo | undefined {
    return this.ctx.db.prepare('SELECT api_key_id, name, hint, created_at, revoked_at FROM api_keys WHERE api_key_id = ?').get(apiKeyId) as ApiKeyInfo | undefined
  }

  revoke(apiKeyId: string): RevokeResult {
    // Write first: a read before the write would hold a snapshot that another process's commit makes
    // stale, and SQLite then refuses the write at once (SQLITE_BUSY) instead of waiting its turn.
    const info = this.ctx.db.prepare('UPDATE api_keys SET revoked_at = ? WHERE api_key_id = ? AND revoked_at IS NULL').run(this.ctx.clock.now(), apiKeyId)
    const after = this.get(apiKeyId)
    if (info.changes === 1) {
      this.cache.clear()
      return { revoked: after! }
    }
    return after ? { alreadyRevoked: after } : { unknown: true }
  }

  verify(key: string): boolean {
    const hash = hashKey(key)
    const version = (this.dataVersion ??= this.ctx.db.prepare('PRAGMA data_version').pluck()).get() as number
    if (version !== this.cacheVersion) {
      this.cache.clear()
      this.cacheVersion = version
    }
    const cached = this.cache.get(hash)
    if (cached !== undefined) return cached
    const ok = !!this.ctx.db.prepare('SELECT 1 FROM api_keys WHERE key_hash = ? AND revoked_at IS NULL').get(hash)
    if (this.cache.size > 1000) this.cache.clear()
    this.cache.set(hash, ok)
    return ok
  }
}
