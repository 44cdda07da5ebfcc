// What customers/push_data works on: the snapshot of the site its planner reads, and the automation-run log.
// Applying a push is src/app/push-data.ts.
import type { DeleteItemResult, GrantCollection, GrantSnapshot, PushItemResult, PushSnapshot } from '../domain/push-data.js'
import type { AccessGrants } from './access-grants.js'
import type { Acs } from './acs.js'
import { json, type StoreContext } from './context.js'
import type { EventLog } from './events.js'
import type { Spaces } from './spaces.js'
import type { UserIdentities } from './user-identities.js'

export type RunKind = 'push_data' | 'delete_data' | 'draft_activation'

export interface AutomationRun {
  seq: number
  automationRunId: string
  kind: RunKind
  customerKey: string | null
  summary: Record<string, number>
  results: (PushItemResult | DeleteItemResult)[]
  createdAt: number
}

export interface RunOutcome<R> {
  automationRunId: string
  results: R[]
  summary: Record<string, number>
}

export class Customers {
  constructor(
    private readonly ctx: StoreContext,
    private readonly spaces: Spaces,
    private readonly acs: Acs,
    private readonly identities: UserIdentities,
    private readonly grants: AccessGrants,
    private readonly events: EventLog,
  ) {}


  snapshot(opts: { withIssuedCards?: boolean } = {}): PushSnapshot {
    const capable = new Map(this.acs.entrances().map((e) => [e.acsEntranceId, e.canBelongToReservation]))
    const identities = this.identities.all()
    const keyOf = new Map(identities.map((u) => [u.userIdentityId, u.userIdentityKey]))
    const all = this.grants.all({ includeDrafts: true })
    const grants: GrantSnapshot[] = []
    for (const g of all) {
      if (g.source === 'api' || g.accessGrantKey === null) continue
      const userIdentityKey = keyOf.get(g.userIdentityId)
      if (!userIdentityKey) continue
      grants.push({
        accessGrantId: g.accessGrantId,
        accessGrantKey: g.accessGrantKey,
        collection: g.source as GrantCollection,
        reservationKey: g.reservationKey,
        userIdentityKey,
        spaceKeys: g.spaceKeys,
        window: { startsAt: g.startsAt, endsAt: g.endsAt },
        name: g.name,
        preferredCode: g.preferredCode,
        customerKey: g.customerKey,
        state: g.state,
        ...(opts.withIssuedCards
          ? { issuedCardAccessMethodIds: this.grants.methodsOf(g.accessGrantId).filter((m) => m.mode === 'card' && m.isIssued).map((m) => m.accessMethodId) }
          : {}),
      })
    }
    return {
      now: this.ctx.clock.now(),
      spaces: this.spaces
        .list()
        .filter((s) => s.spaceKey !== null)
        .map((s) => ({
          spaceKey: s.spaceKey!,
          name: s.name,
          customerKey: s.customerKey,
          deviceIds: s.deviceIds,
          entrances: s.acsEntranceIds.map((id) => ({ entranceId: id, canBelongToReservation: capable.get(id) ?? false, canUnlockWithCard: true })),
        })),
      userIdentities: identities.map((u) => ({ ...u, fullName: u.fullName, customerKey: u.customerKey })),
      grants,
      reservationMembers: all
        .filter((g) => g.state === 'active' && g.reservationKey !== null)
        .map((g) => ({
          reservationKey: g.reservationKey!,
          accessGrantId: g.accessGrantId,
          capableEntranceIds: g.capableEntranceIds,
          reservationEntranceIds: g.reservationEntranceIds,
          window: { startsAt: g.startsAt, endsAt: g.endsAt },
        })),
    }
  }

  runs(f: { kind?: RunKind; customerKey?: string } = {}): AutomationRun[] {
    const rows = this.ctx.db.prepare('SELECT * FROM automation_runs ORDER BY seq').all() as {
      seq: number; automation_run_id: string; kind: RunKind; customer_key: string | null; summary: string; results: string; created_at: number
    }[]
    return rows
      .filter((r) => (!f.kind || r.kind === f.kind) && (!f.customerKey || r.customer_key === f.customerKey))
      .map((r) => ({ seq: r.seq, automationRunId: r.automation_run_id, kind: r.kind, customerKey: r.customer_key, summary: json.parse(r.summary), results: json.parse(r.results), createdAt: r.created_at }))
  }

  /** Logs a run (automation_runs) and appends it as one `lockstep.automation_run.completed` event. */
  record<R extends { status: string }>(kind: RunKind, customerKey: string | null, results: R[]): RunOutcome<R> {
    const summary: Record<string, number> = { total: results.length }
    for (const r of results) summary[r.status] = (summary[r.status] ?? 0) + 1
    const id = this.ctx.random.uuid()
    const now = this.ctx.clock.now()
    this.ctx.db
      .prepare('INSERT INTO automation_runs (automation_run_id, kind, customer_key, summary, results, created_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(id, kind, customerKey, json.str(summary), json.str(results), now)
    this.events.append({ event_type: 'lockstep.automation_run.completed', automation_run_id: id, kind, customer_key: customerKey ?? undefined, summary, results })
    return { automationRunId: id, results, summary }
  }
}
