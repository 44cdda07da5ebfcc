// customers/push_data and customers/delete_data: a PMS pushes its whole picture; each item is answered.
import { DomainError } from '../domain/errors.js'
import type { DeleteDataPayload, DeleteItemResult, PushDataPayload, PushItemResult } from '../domain/push-data.js'
import type { AutomationRun, RunKind, RunOutcome } from '../store/customers.js'
import type { Store } from '../store/store.js'

export class PushDataApp {
  constructor(private readonly store: Store, private readonly policy: { allowSharedEmails: boolean }) {}

  /**
   * Fast path in one plain transaction; if an item fails on store state, roll back and apply again with a
   * savepoint per grant so that item alone is rejected.
   */
  push(payload: PushDataPayload): RunOutcome<PushItemResult> {
    const store = this.store
    try {
      return store.tx(() => store.customers.push(payload, this.policy, { savepoints: false }))
    } catch (e) {
      if (!(e instanceof DomainError)) throw e
      return store.tx(() => store.customers.push(payload, this.policy, { savepoints: true }))
    }
  }

  deleteData(payload: DeleteDataPayload): RunOutcome<DeleteItemResult> {
    return this.store.tx(() => this.store.customers.deleteData(payload))
  }

  runs(f: { kind?: RunKind; customerKey?: string }): AutomationRun[] {
    return this.store.customers.runs(f)
  }
}
