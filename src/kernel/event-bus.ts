// One typed bus for what parts of the daemon tell each other. A listener is registered under an owner
// (the service that holds it), so a service's stop() removes all of its listeners with one call.
// Listeners run synchronously in registration order; one that throws is reported and does not keep
// the others (or the emitter, often a committing transaction) from running.

export type Listener<T> = (payload: T) => void

interface Entry<Topics> {
  topic: keyof Topics
  owner: object
  fn: Listener<never>
}

export class EventBus<Topics extends object> {
  private entries: Entry<Topics>[] = []

  constructor(private readonly onListenerError: (err: unknown, topic: keyof Topics) => void = () => {}) {}

  on<K extends keyof Topics>(topic: K, owner: object, fn: Listener<Topics[K]>): void {
    this.entries.push({ topic, owner, fn: fn as Listener<never> })
  }

  emit<K extends keyof Topics>(topic: K, payload: Topics[K]): void {
    // A snapshot: a listener that adds or removes listeners changes the next emit, not this one.
    for (const e of this.entries.slice()) {
      if (e.topic !== topic) continue
      try {
        ;(e.fn as Listener<Topics[K]>)(payload)
      } catch (err) {
        this.onListenerError(err, topic)
      }
    }
  }

  removeListeners(owner: object): void {
    this.entries = this.entries.filter((e) => e.owner !== owner)
  }

  /** Listeners on one topic, or on all topics. */
  listenerCount(topic?: keyof Topics): number {
    return topic === undefined ? this.entries.length : this.entries.filter((e) => e.topic === topic).length
  }
}
