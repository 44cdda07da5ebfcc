// The store: one object holding the repositories, and `tx`, the one way to change state.
import type { Clock } from '../kernel/clock.js'
import type { Random } from '../kernel/ids.js'
import { AccessCodes } from './access-codes.js'
import { AccessGrants } from './access-grants.js'
import { Acs } from './acs.js'
import { ActionAttempts } from './action-attempts.js'
import { ApiKeys } from './api-keys.js'
import { CardCredentials } from './card-credentials.js'
import { loadOrCreateMeta, type StoreContext } from './context.js'
import { Customers } from './customers.js'
import { openDb, type Db } from './db.js'
import { Devices } from './devices.js'
import { EventLog } from './events.js'
import { Idempotency } from './idempotency.js'
import { Spaces } from './spaces.js'
import { UserIdentities } from './user-identities.js'
import { DirtyDevices } from './dirty-devices.js'

export class Store {
  readonly ctx: StoreContext
  readonly events: EventLog
  /** The reconciler's queue: devices to look at again (marked in the transaction of the change). */
  readonly dirtyDevices: DirtyDevices
  readonly devices: Devices
  readonly accessCodes: AccessCodes
  readonly actionAttempts: ActionAttempts
  readonly apiKeys: ApiKeys
  readonly idempotency: Idempotency
  readonly spaces: Spaces
  readonly acs: Acs
  readonly userIdentities: UserIdentities
  readonly accessGrants: AccessGrants
  readonly customers: Customers
  /** Offline cards: site card id, stamp allocator, credential numbers, issued cards. */
  readonly cardCredentials: CardCredentials
  private depth = 0

  constructor(readonly db: Db, clock: Clock, random: Random) {
    cachePreparedStatements(db)
    const workspaceId = loadOrCreateMeta(db, 'workspace_id', () => random.uuid())
    this.ctx = { db, clock, random, workspaceId }
    this.events = new EventLog(this.ctx)
    this.dirtyDevices = new DirtyDevices(this.ctx)
    this.devices = new Devices(this.ctx, this.events)
    this.accessCodes = new AccessCodes(this.ctx, this.devices, this.events)
    this.actionAttempts = new ActionAttempts(this.ctx)
    this.apiKeys = new ApiKeys(this.ctx)
    this.idempotency = new Idempotency(this.ctx)
    this.spaces = new Spaces(this.ctx)
    this.acs = new Acs(this.ctx)
    this.userIdentities = new UserIdentities(this.ctx)
    this.accessGrants = new AccessGrants(this.ctx, this.accessCodes)
    this.customers = new Customers(this.ctx, this.spaces, this.acs, this.userIdentities, this.accessGrants, this.events)
    this.cardCredentials = new CardCredentials(this.ctx)
    // Reactions (a code set issues its method, a space's doors re-provision its grants) are the app's: src/app/reactions.ts.
  }

  static open(file: string, clock: Clock, random: Random): Store {
    return new Store(openDb(file), clock, random)
  }

  get workspaceId(): string {
    return this.ctx.workspaceId
  }

  /** Runs fn in one SQLite transaction; listeners hear about events and work only after commit. */
  tx<T>(fn: () => T): T {
    if (this.depth > 0) return fn()
    this.depth++
    let committed = false
    try {
      const out = this.db.transaction(fn)()
      committed = true
      return out
    } finally {
      this.depth--
      this.events.flush(committed)
      this.dirtyDevices.flush(committed)
    }
  }

  /** Inside tx: runs fn in a savepoint, so a throw undoes fn's writes alone and the transaction goes on. */
  savepoint<T>(fn: () => T): T {
    return this.db.transaction(fn)()
  }

  close(): void {
    if (this.db.open) this.db.close()
  }
}

/**
 * Repositories call `db.prepare(sql)` inline; compiling the same SQL thousands of times dominated a large
 * push_data. Statements are reused per SQL text (no repository changes a statement's mode: no pluck/raw/
 * expand, no iterate). Bounded: dynamic `IN (?,?,…)` texts cannot grow it without limit.
 */
function cachePreparedStatements(db: Db): void {
  const original = db.prepare.bind(db)
  const cache = new Map<string, ReturnType<Db['prepare']>>()
  ;(db as { prepare: (sql: string) => ReturnType<Db['prepare']> }).prepare = (sql: string) => {
    let stmt = cache.get(sql)
    if (!stmt) {
      if (cache.size >= 1000) cache.clear()
      stmt = original(sql)
      cache.set(sql, stmt)
    }
    return stmt
  }
}
