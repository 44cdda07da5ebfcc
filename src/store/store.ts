// The store: one object holding the repositories, and `tx`, the one way to change state.
import type { Clock } from '../clock.js'
import type { Random } from '../ids.js'
import { AccessCodes } from './access-codes.js'
import { Acs } from './acs.js'
import { ActionAttempts } from './action-attempts.js'
import { ApiKeys } from './api-keys.js'
import { loadOrCreateMeta, type StoreContext } from './context.js'
import { openDb, type Db } from './db.js'
import { Devices } from './devices.js'
import { EventLog } from './events.js'
import { Idempotency } from './idempotency.js'
import { Spaces } from './spaces.js'
import { WorkItems } from './work-items.js'

export class Store {
  readonly ctx: StoreContext
  readonly events: EventLog
  readonly work: WorkItems
  readonly devices: Devices
  readonly accessCodes: AccessCodes
  readonly actionAttempts: ActionAttempts
  readonly apiKeys: ApiKeys
  readonly idempotency: Idempotency
  readonly spaces: Spaces
  readonly acs: Acs
  private depth = 0

  constructor(readonly db: Db, clock: Clock, random: Random) {
    const workspaceId = loadOrCreateMeta(db, 'workspace_id', () => random.uuid())
    this.ctx = { db, clock, random, workspaceId }
    this.events = new EventLog(this.ctx)
    this.work = new WorkItems(this.ctx)
    this.devices = new Devices(this.ctx, this.events)
    this.accessCodes = new AccessCodes(this.ctx, this.devices, this.events, this.work)
    this.actionAttempts = new ActionAttempts(this.ctx)
    this.apiKeys = new ApiKeys(this.ctx)
    this.idempotency = new Idempotency(this.ctx)
    this.spaces = new Spaces(this.ctx)
    this.acs = new Acs(this.ctx)
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
      this.work.flush(committed)
    }
  }

  close(): void {
    if (this.db.open) this.db.close()
  }
}
