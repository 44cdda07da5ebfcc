// The outbox's events to the site's events topic: QoS 1, in order, at least once. Events are published in
// batches on the one session (the broker keeps their order); the cursor moves only past events whose PUBACK
// came back, so after an outage or a restart the stream resumes from the first unacknowledged event.
// It parks when caught up and is woken by a commit (no polling, rule 12).

export interface FeedEvent {
  seq: number
  eventType: string
  body: string
}

/** Where the events come from and where progress goes (the daemon's outbox; the bench has none). */
export interface EventFeed {
  /** The last event already acknowledged by the broker. */
  startSeq(): number
  after(seq: number, limit: number): FeedEvent[]
  /** The broker acknowledged every event up to seq (the feed may batch the write). */
  acked(seq: number): void
  /** Calls wake after each commit; returns the unsubscribe. */
  subscribe(wake: () => void): () => void
}

export type Publish = (event: FeedEvent) => Promise<void>

const BATCH = 100

export class EventStream {
  private ackedSeq = 0
  private woken = false
  private parked: (() => void) | null = null
  private stopped = true
  private loop: Promise<void> | null = null
  private unsubscribe: (() => void) | null = null
  private stopping: () => void = () => {}
  /** Resolves on stop: a batch still waiting for its PUBACKs (broker away) must not hold the stop. */
  private stopped$: Promise<null> = Promise.resolve(null)

  constructor(private readonly feed: EventFeed, private readonly publish: Publish, private readonly onTrouble: (err: Error) => void) {}

  start(): void {
    this.stopped = false
    this.stopped$ = new Promise<null>((r) => (this.stopping = () => r(null)))
    this.ackedSeq = this.feed.startSeq()
    this.unsubscribe = this.feed.subscribe(() => this.wake())
    this.loop ??= this.run()
  }

  async stop(): Promise<void> {
    this.stopped = true
    this.unsubscribe?.()
    this.stopping()
    this.wake()
    await this.loop
    this.loop = null
  }

  wake(): void {
    this.woken = true
    const p = this.parked
    this.parked = null
    p?.()
  }

  /** The last acknowledged event (tests, health). */
  get acknowledged(): number {
    return this.ackedSeq
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      this.woken = false
      let batch: FeedEvent[]
      try {
        batch = this.feed.after(this.ackedSeq, BATCH)
      } catch (err) {
        this.onTrouble(err as Error)
        await this.park()
        continue
      }
      if (batch.length === 0) {
        await this.park()
        continue
      }
      // mqtt.js keeps unacknowledged QoS 1 publishes and sends them again after a reconnect, in order:
      // waiting here covers an outage. Acks are counted in order, so the cursor never skips a gap.
      const settled = await Promise.race([Promise.allSettled(batch.map((e) => this.publish(e))), this.stopped$])
      if (!settled) break // stopping with PUBACKs outstanding: those events are published again next start
      let last = this.ackedSeq
      for (const [i, s] of settled.entries()) {
        if (s.status === 'rejected') {
          if (!this.stopped) this.onTrouble(s.reason as Error)
          break
        }
        last = batch[i]!.seq
      }
      if (last > this.ackedSeq) {
        this.ackedSeq = last
        this.feed.acked(last)
      }
      if (last !== batch[batch.length - 1]!.seq && !this.stopped) await this.park() // woken on reconnect
    }
  }

  private park(): Promise<void> {
    if (this.woken || this.stopped) {
      this.woken = false
      return Promise.resolve()
    }
    return new Promise<void>((r) => (this.parked = r))
  }
}
