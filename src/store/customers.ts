// customers/push_data, customers/delete_data and draft activation, applied in one transaction. The pure
// planner (src/domain/push-data.ts) answers for every item; each change is applied in its own savepoint, so
// an item that fails here (a lock with no free code, a key taken by an API grant) is rejected on its own and
// never takes the rest of the push down. Every run is logged (automation_runs) and appended as one
// `lockstep.automation_run.completed` event.
import { isoUtc } from '../kernel/clock.js'
import { DomainError } from '../domain/errors.js'
import {
  planDeleteData, planDraftActivation, planPushData,
  type DeleteDataPayload, type DeleteItemResult, type GrantCollection, type GrantSnapshot, type PushChange, type PushDataPayload,
  type PushItemResult, type PushSnapshot,
} from '../domain/push-data.js'
import { memoLookup, type AccessGrants } from './access-grants.js'
import type { TargetLookup } from '../domain/access-grant.js'
import type { Acs } from './acs.js'
import { json, type StoreContext } from './context.js'
import type { EventLog } from './events.js'
import type { Spaces } from './spaces.js'
import type { UserIdentities } from './user-identities.js'

export type RunKind = 'push_data' | 'delete_data' | 'draft_activation'

export interface AutomationRun {
  seq: number
  automation_run_id: string
  kind: RunKind
  customer_key: string | null
  summary: Record<string, number>
  results: (PushItemResult | DeleteItemResult)[]
  created_at: string
}

export interface RunOutcome<R> {
  automationRunId: string
  results: R[]
  summary: Record<string, number>
}

export class Customers {
  private lookup: TargetLookup | undefined
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

  /** Call inside a transaction. */
  push(payload: PushDataPayload, policy: { allowSharedEmails: boolean }, opts: { savepoints?: boolean } = {}): RunOutcome<PushItemResult> {
    const plan = planPushData(payload, this.snapshot(), policy)
    const results = this.applyAll(plan.changes, [...plan.results], opts.savepoints ?? true)
    return this.record('push_data', payload.customer_key, results)
  }

  /** Call inside a transaction. */
  deleteData(payload: DeleteDataPayload): RunOutcome<DeleteItemResult> {
    const plan = planDeleteData(payload, this.snapshot({ withIssuedCards: true }))
    for (const c of plan.changes) this.apply(c)
    return this.record('delete_data', payload.customer_keys?.length === 1 ? payload.customer_keys[0]! : null, [...plan.results])
  }

  /** A space with a key gained doors: drafts waiting on it become grants (or keep waiting, or are rejected). */
  activateDrafts(spaceKey: string): RunOutcome<PushItemResult> | null {
    const has = this.ctx.db.prepare("SELECT 1 FROM access_grants WHERE state = 'draft' AND deleted_at IS NULL AND space_keys LIKE ? LIMIT 1").get(`%${JSON.stringify(spaceKey)}%`)
    if (!has) return null
    const plan = planDraftActivation(spaceKey, this.snapshot())
    if (plan.results.length === 0) return null
    const results = this.applyAll(plan.changes, [...plan.results])
    return this.record('draft_activation', null, results)
  }

  runs(f: { kind?: RunKind; customerKey?: string } = {}): AutomationRun[] {
    const rows = this.ctx.db.prepare('SELECT * FROM automation_runs ORDER BY seq').all() as {
      seq: number; automation_run_id: string; kind: RunKind; customer_key: string | null; summary: string; results: string; created_at: number
    }[]
    return rows
      .filter((r) => (!f.kind || r.kind === f.kind) && (!f.customerKey || r.customer_key === f.customerKey))
      .map((r) => ({ seq: r.seq, automation_run_id: r.automation_run_id, kind: r.kind, customer_key: r.customer_key, summary: json.parse(r.summary), results: json.parse(r.results), created_at: isoUtc(r.created_at) }))
  }

  /** Applies each change in its own savepoint; a change that fails turns its item's result into a rejection. */
  private applyAll(changes: readonly PushChange[], results: PushItemResult[], savepoints = true): PushItemResult[] {
    // Spaces pushed here get no doors, so the doors seen by the grants cannot change during the push.
    this.lookup = memoLookup(this.grants.lookup())
    try {
      return this.applyEach(changes, results, savepoints)
    } finally {
      this.lookup = undefined
    }
  }

  private applyEach(changes: readonly PushChange[], results: PushItemResult[], savepoints: boolean): PushItemResult[] {
    for (const c of changes) {
      // Savepoints only where an item can fail on store state (codes on full locks, keys taken by the API).
      // Without them (the fast path) a failing item throws: the caller rolls back and retries with them.
      if (c.kind !== 'upsert_access_grant' || !savepoints) {
        this.apply(c)
        continue
      }
      try {
        this.ctx.db.transaction(() => this.apply(c))()
      } catch (e) {
        if (!(e instanceof DomainError)) throw e
        const key = c.grant.accessGrantKey
        const i = results.findIndex((r) => r.key === key && r.status !== 'rejected')
        if (i >= 0) results[i] = { collection: results[i]!.collection, key: results[i]!.key, status: 'rejected', error: { type: e.type, message: e.message, status: e.status } }
      }
    }
    return results
  }

  private apply(c: PushChange): void {
    switch (c.kind) {
      case 'upsert_space': {
        const s = this.spaces.findByKey(c.spaceKey)
        if (s) this.spaces.update(s.spaceId, { name: c.name, customerKey: c.customerKey })
        else this.spaces.create({ name: c.name, spaceKey: c.spaceKey, customerKey: c.customerKey })
        return
      }
      case 'upsert_user_identity': {
        const u = this.identities.findByKey(c.userIdentityKey)
        const input = { fullName: c.fullName, emailAddress: c.emailAddress, phoneNumber: c.phoneNumber, customerKey: c.customerKey }
        if (u) this.identities.update(u.userIdentityId, input, null)
        else this.identities.create({ ...input, userIdentityKey: c.userIdentityKey }, null)
        return
      }
      case 'upsert_access_grant': {
        const g = c.grant
        const holder = this.identities.findByKey(g.userIdentityKey)
        if (!holder) throw new DomainError('user_identity_not_found', `User identity not found: user_identity_key ${g.userIdentityKey}`, 400)
        const existing = this.grants.findByKey(g.accessGrantKey, { includeDrafts: true })
        if (existing && existing.source === 'api') {
          throw new DomainError('access_grant_key_already_exists', `An access grant created through the API already uses access_grant_key "${g.accessGrantKey}"`, 409)
        }
        const fields = { name: g.name, startsAt: g.window.startsAt, endsAt: g.window.endsAt, spaceKeys: [...g.spaceKeys], preferredCode: g.preferredCode, customerKey: g.customerKey, userIdentityId: holder.userIdentityId }
        if (c.state === 'draft') {
          const waitingFor = { ...(c.waitingFor ?? {}) }
          if (existing) this.grants.park(existing.accessGrantId, waitingFor, fields)
          else this.grants.createDraft({ accessGrantKey: g.accessGrantKey, source: g.collection, userIdentityId: holder.userIdentityId, name: g.name, window: g.window, spaceKeys: [...g.spaceKeys], preferredCode: g.preferredCode, customerKey: g.customerKey, waitingFor })
          return
        }
        if (existing?.state === 'active') {
          const sameDoors =
            existing.reservationKey === c.reservationKey &&
            existing.userIdentityId === holder.userIdentityId &&
            existing.preferredCode === g.preferredCode &&
            [...existing.spaceKeys].sort().join('\u0000') === [...g.spaceKeys].sort().join('\u0000')
          if (sameDoors) {
            this.grants.update(existing.accessGrantId, { startsAt: g.window.startsAt, endsAt: g.window.endsAt, name: g.name })
            if (existing.customerKey !== g.customerKey) this.ctx.db.prepare('UPDATE access_grants SET customer_key = ? WHERE access_grant_id = ?').run(g.customerKey, existing.accessGrantId)
            return
          }
          this.grants.delete([existing.accessGrantId])
        } else if (existing) this.grants.purgeDraft(existing.accessGrantId)
        this.grants.create({
          userIdentityId: holder.userIdentityId,
          requested: [...c.requested],
          targets: { spaceKeys: [...g.spaceKeys] },
          window: g.window,
          name: g.name,
          accessGrantKey: g.accessGrantKey,
          reservationKey: c.reservationKey,
          reservationKeyRequiredForGuestCards: false,
          source: g.collection,
          customerKey: g.customerKey,
          preferredCode: g.preferredCode,
          spaceKeys: [...g.spaceKeys],
          ...(this.lookup ? { lookup: this.lookup } : {}),
          holderChecked: true,
        })
        return
      }
      case 'delete_access_grant': {
        if (this.grants.find(c.accessGrantId, { includeDrafts: true })) this.grants.delete([c.accessGrantId])
        return
      }
      case 'delete_user_identity': {
        const others = this.grants.all({ includeDrafts: true }).filter((g) => g.userIdentityId === c.userIdentityId).map((g) => g.accessGrantId)
        if (others.length) this.grants.delete(others)
        this.identities.remove(c.userIdentityId)
        return
      }
      case 'delete_space': {
        const s = this.spaces.findByKey(c.spaceKey)
        if (!s) return
        for (const g of this.grants.all().filter((x) => x.spaceIds.includes(s.spaceId) && x.source !== 'api')) {
          this.grants.park(g.accessGrantId, { missing_space_keys: [c.spaceKey], space_keys_without_doors: [] })
        }
        this.grants.dropSpace(s.spaceId)
        this.spaces.delete(s.spaceId, () => false)
        return
      }
    }
  }

  private record<R extends { status: string }>(kind: RunKind, customerKey: string | null, results: R[]): RunOutcome<R> {
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
