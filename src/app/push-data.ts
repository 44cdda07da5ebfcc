// customers/push_data, customers/delete_data and draft activation. The pure planner (src/domain/push-data.ts)
// answers for every item; each change is applied in its own savepoint, so an item that fails here (a lock
// with no free code, a key taken by an API grant) is rejected on its own and never takes the rest of the push
// down. Every run is logged (automation_runs) and appended as one `lockstep.automation_run.completed` event.
import type { TargetLookup } from '../domain/access-grant.js'
import { DomainError } from '../domain/errors.js'
import {
  planDeleteData, planDraftActivation, planPushData,
  type DeleteDataPayload, type DeleteItemResult, type PushChange, type PushDataPayload, type PushItemResult,
} from '../domain/push-data.js'
import type { AutomationRun, RunKind, RunOutcome } from '../store/customers.js'
import type { Store } from '../store/store.js'
import { createGrant, deleteGrants, dropSpace, memoLookup, parkAsDraft, updateGrant } from './grant-provisioning.js'

export class PushDataApp {
  constructor(private readonly store: Store, private readonly policy: { allowSharedEmails: boolean }) {}

  /**
   * Fast path in one plain transaction; if an item fails on store state, roll back and apply again with a
   * savepoint per grant so that item alone is rejected.
   */
  push(payload: PushDataPayload): RunOutcome<PushItemResult> {
    const store = this.store
    try {
      return store.tx(() => pushInTx(store, payload, this.policy, false))
    } catch (e) {
      if (!(e instanceof DomainError)) throw e
      return store.tx(() => pushInTx(store, payload, this.policy, true))
    }
  }

  deleteData(payload: DeleteDataPayload): RunOutcome<DeleteItemResult> {
    const store = this.store
    return store.tx(() => {
      const plan = planDeleteData(payload, store.customers.snapshot({ withIssuedCards: true }))
      const apply = new ChangeApplier(store, undefined)
      for (const c of plan.changes) apply.apply(c)
      return recordRun(store, 'delete_data', payload.customer_keys?.length === 1 ? payload.customer_keys[0]! : null, [...plan.results])
    })
  }

  runs(f: { kind?: RunKind; customerKey?: string }): AutomationRun[] {
    return this.store.customers.runs(f)
  }
}

function pushInTx(store: Store, payload: PushDataPayload, policy: { allowSharedEmails: boolean }, savepoints: boolean): RunOutcome<PushItemResult> {
  const plan = planPushData(payload, store.customers.snapshot(), policy)
  const results = applyAll(store, plan.changes, [...plan.results], savepoints)
  return recordRun(store, 'push_data', payload.customer_key, results)
}

/** The event every problem item of a run gets, so an SDK user (whose push_data answer is a bare ok) sees it. */
export const ITEM_PROBLEM_EVENT = 'lockstep.automation_run.item_problem'

type RunResult = { status: string; key: string; warnings?: readonly unknown[] } & Record<string, unknown>

/**
 * Logs the run (one `lockstep.automation_run.completed` event with every result) and appends one
 * ITEM_PROBLEM_EVENT per item that was rejected, is waiting, or carries warnings — in the same transaction.
 */
function recordRun<R extends RunResult>(store: Store, kind: RunKind, customerKey: string | null, results: R[]): RunOutcome<R> {
  const run = store.customers.record(kind, customerKey, results)
  for (const r of results) {
    const problem = r.status === 'rejected' ? 'rejected' : r.status === 'waiting' ? 'waiting' : r.warnings?.length ? 'warning' : null
    if (!problem) continue
    store.events.append({ event_type: ITEM_PROBLEM_EVENT, automation_run_id: run.automationRunId, kind, customer_key: customerKey ?? undefined, problem, item: r })
  }
  return run
}

/**
 * A space with a key gained doors (inside that transaction): drafts waiting on it become grants (or keep
 * waiting, or are rejected).
 */
export function activateDrafts(store: Store, spaceKey: string): RunOutcome<PushItemResult> | null {
  if (!store.accessGrants.hasDraftWaitingOn(spaceKey)) return null
  const plan = planDraftActivation(spaceKey, store.customers.snapshot())
  if (plan.results.length === 0) return null
  const results = applyAll(store, plan.changes, [...plan.results], true)
  return recordRun(store, 'draft_activation', null, results)
}

/** Applies each change in its own savepoint; a change that fails turns its item's result into a rejection. */
function applyAll(store: Store, changes: readonly PushChange[], results: PushItemResult[], savepoints: boolean): PushItemResult[] {
  // Spaces pushed here get no doors, so the doors seen by the grants cannot change during the push.
  const apply = new ChangeApplier(store, memoLookup(store.accessGrants.lookup()))
  for (const c of changes) {
    // Savepoints only where an item can fail on store state (codes on full locks, keys taken by the API).
    // Without them (the fast path) a failing item throws: the caller rolls back and retries with them.
    if (c.kind !== 'upsert_access_grant' || !savepoints) {
      apply.apply(c)
      continue
    }
    try {
      store.savepoint(() => apply.apply(c))
    } catch (e) {
      if (!(e instanceof DomainError)) throw e
      const key = c.grant.accessGrantKey
      const i = results.findIndex((r) => r.key === key && r.status !== 'rejected')
      if (i >= 0) results[i] = { collection: results[i]!.collection, key: results[i]!.key, status: 'rejected', error: { type: e.type, message: e.message, status: e.status } }
    }
  }
  return results
}

/** One planned change → repository writes and grant provisioning. */
class ChangeApplier {
  constructor(private readonly store: Store, private readonly lookup: TargetLookup | undefined) {}

  apply(c: PushChange): void {
    const { store } = this
    const grants = store.accessGrants
    const identities = store.userIdentities
    switch (c.kind) {
      case 'upsert_space': {
        const s = store.spaces.findByKey(c.spaceKey)
        if (s) store.spaces.update(s.spaceId, { name: c.name, customerKey: c.customerKey })
        else store.spaces.create({ name: c.name, spaceKey: c.spaceKey, customerKey: c.customerKey })
        return
      }
      case 'upsert_user_identity': {
        const u = identities.findByKey(c.userIdentityKey)
        const input = { fullName: c.fullName, emailAddress: c.emailAddress, phoneNumber: c.phoneNumber, customerKey: c.customerKey }
        if (u) identities.update(u.userIdentityId, input, null)
        else identities.create({ ...input, userIdentityKey: c.userIdentityKey }, null)
        return
      }
      case 'upsert_access_grant': {
        const g = c.grant
        const holder = identities.findByKey(g.userIdentityKey)
        if (!holder) throw new DomainError('user_identity_not_found', `User identity not found: user_identity_key ${g.userIdentityKey}`, 400)
        const existing = grants.findByKey(g.accessGrantKey, { includeDrafts: true })
        if (existing && existing.source === 'api') {
          throw new DomainError('access_grant_key_already_exists', `An access grant created through the API already uses access_grant_key "${g.accessGrantKey}"`, 409)
        }
        const fields = { name: g.name, startsAt: g.window.startsAt, endsAt: g.window.endsAt, spaceKeys: [...g.spaceKeys], preferredCode: g.preferredCode, customerKey: g.customerKey, userIdentityId: holder.userIdentityId }
        if (c.state === 'draft') {
          const waitingFor = { ...(c.waitingFor ?? {}) }
          if (existing) parkAsDraft(store, existing.accessGrantId, waitingFor, fields)
          else grants.insertDraft({ accessGrantKey: g.accessGrantKey, source: g.collection, userIdentityId: holder.userIdentityId, name: g.name, window: g.window, spaceKeys: [...g.spaceKeys], preferredCode: g.preferredCode, customerKey: g.customerKey, waitingFor })
          return
        }
        if (existing?.state === 'active') {
          const sameDoors =
            existing.reservationKey === c.reservationKey &&
            existing.userIdentityId === holder.userIdentityId &&
            existing.preferredCode === g.preferredCode &&
            [...existing.spaceKeys].sort().join('\u0000') === [...g.spaceKeys].sort().join('\u0000')
          if (sameDoors) {
            updateGrant(store, existing.accessGrantId, { startsAt: g.window.startsAt, endsAt: g.window.endsAt, name: g.name })
            if (existing.customerKey !== g.customerKey) grants.setCustomerKey(existing.accessGrantId, g.customerKey)
            return
          }
          deleteGrants(store, [existing.accessGrantId])
        } else if (existing) grants.purgeDraft(existing.accessGrantId)
        createGrant(store, {
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
        if (grants.find(c.accessGrantId, { includeDrafts: true })) deleteGrants(store, [c.accessGrantId])
        return
      }
      case 'delete_user_identity': {
        const others = grants.all({ includeDrafts: true }).filter((g) => g.userIdentityId === c.userIdentityId).map((g) => g.accessGrantId)
        if (others.length) deleteGrants(store, others)
        identities.remove(c.userIdentityId)
        return
      }
      case 'delete_space': {
        const s = store.spaces.findByKey(c.spaceKey)
        if (!s) return
        for (const g of grants.all().filter((x) => x.spaceIds.includes(s.spaceId) && x.source !== 'api')) {
          parkAsDraft(store, g.accessGrantId, { missing_space_keys: [c.spaceKey], space_keys_without_doors: [] })
        }
        dropSpace(store, s.spaceId)
        store.spaces.delete(s.spaceId, () => false)
        return
      }
    }
  }
}
