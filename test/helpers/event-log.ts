// Collects DeviceEvents and waits for one that matches, so tests never sleep blindly.
import type { DeviceEvent } from '../../src/ports/device-events.js'

export class EventLog {
  readonly events: DeviceEvent[] = []
  private waiters: { match: (e: DeviceEvent) => boolean; resolve: (e: DeviceEvent) => void }[] = []

  readonly sink = (e: DeviceEvent): void => {
    this.events.push(e)
    for (const w of [...this.waiters]) {
      if (w.match(e)) {
        this.waiters.splice(this.waiters.indexOf(w), 1)
        w.resolve(e)
      }
    }
  }

  /** Resolves with the first event (already seen or future) that matches. */
  waitFor<T extends DeviceEvent>(match: (e: DeviceEvent) => e is T, timeoutMs?: number, since?: number): Promise<T>
  waitFor(match: (e: DeviceEvent) => boolean, timeoutMs?: number, since?: number): Promise<DeviceEvent>
  waitFor(match: (e: DeviceEvent) => boolean, timeoutMs = 3000, since = 0): Promise<DeviceEvent> {
    const seen = this.events.slice(since).find(match)
    if (seen) return Promise.resolve(seen)
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching event in ${timeoutMs} ms; saw ${JSON.stringify(this.events.slice(since))}`)), timeoutMs)
      this.waiters.push({ match, resolve: (e) => (clearTimeout(timer), resolve(e)) })
    })
  }

  mark(): number {
    return this.events.length
  }
}
