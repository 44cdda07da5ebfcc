// Reads of the event log and of action attempts.
import type { ActionAttempt } from '../store/action-attempts.js'
import type { EventFilter, StoredEvent } from '../store/events.js'
import type { Store } from '../store/store.js'

export class EventsApp {
  constructor(private readonly store: Store) {}

  list(f: EventFilter): StoredEvent[] {
    return this.store.events.list(f)
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

  /** Attempts of one device (which must exist) or among ids, oldest first. */
  actionAttempts(f: { deviceId?: string; actionAttemptIds?: string[] }): (ActionAttempt & { seq: number })[] {
    if (f.deviceId) this.store.devices.get(f.deviceId)
    return this.store.actionAttempts.list(f)
  }
}
