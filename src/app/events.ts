// Reads of the event log and of action attempts.
import type { ActionAttempt } from '../store/action-attempts.js'
import type { EventFilter, StoredEvent } from '../store/events.js'
import type { Store } from '../store/store.js'
import { byAcsSystems, byCustomer, bySpaces, byUserIdentity, type EventMatch } from './event-scope.js'

export class EventsApp {
  constructor(private readonly store: Store) {}

  list(f: EventFilter): StoredEvent[] {
    return this.store.events.list(f)
  }

  /** Filters standing for scopes (a space → its doors; a user identity or customer → grants, methods, codes). */
  bySpaces(spaceIds: readonly string[]): EventMatch {
    return bySpaces(this.store, spaceIds)
  }

  byUserIdentity(userIdentityId: string): EventMatch {
    return byUserIdentity(this.store, userIdentityId)
  }

  byCustomer(customerKey: string): EventMatch {
    return byCustomer(this.store, customerKey)
  }

  byAcsSystems(systemIds: readonly string[]): EventMatch {
    return byAcsSystems(this.store, systemIds)
  }

  get(eventId: string): Record<string, unknown> | undefined {
    return this.store.events.get(eventId)
  }

  /** A front door's own lockstep-prefixed events (a FIAS request and its answer), in one transaction. */
  appendFrontDoorEvents(events: Array<{ event_type: `lockstep.${string}`; occurred_at?: number } & Record<string, unknown>>): void {
    this.store.tx(() => {
      for (const e of events) this.store.events.append(e)
    })
  }

  actionAttempt(actionAttemptId: string): ActionAttempt {
    return this.store.actionAttempts.get(actionAttemptId)
  }
}
