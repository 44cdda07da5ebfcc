// Remembers the answer to a retried request body for a while (PUT routes the SDK may send 2–3 times).
import type { StoreContext } from './context.js'

export class Idempotency {
  constructor(private readonly ctx: StoreContext) {}

  recall(scope: string, bodyHash: string, maxAgeMs: number): string | undefined {
    const row = this.ctx.db.prepare('SELECT result, created_at FROM idempotency WHERE scope = ? AND body_hash = ?').get(scope, bodyHash) as
      | { result: string; created_at: number }
      | undefined
    return row && this.ctx.clock.now() - row.created_at <= maxAgeMs ? row.result : undefined
  }

  remember(scope: string, bodyHash: string, result: string): void {
    const now = this.ctx.clock.now()
    this.ctx.db.prepare('DELETE FROM idempotency WHERE created_at < ?').run(now - 24 * 3600_000)
    this.ctx.db
      .prepare('INSERT INTO idempotency (scope, body_hash, result, created_at) VALUES (?, ?, ?, ?) ON CONFLICT(scope, body_hash) DO UPDATE SET result = excluded.result, created_at = excluded.created_at')
      .run(scope, bodyHash, result, now)
  }
}
