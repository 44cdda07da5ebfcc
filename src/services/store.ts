// The store as a service: opened first and closed last. While it runs, what the store reports after a
// commit (an appended Seam event, a device marked dirty) is published on the bus.
import { join } from 'node:path'
import type { DaemonBus } from '../bus.js'
import type { Clock } from '../kernel/clock.js'
import type { Random } from '../kernel/ids.js'
import type { Service } from '../kernel/service.js'
import { DB_FILE } from '../files.js'
import { Store } from '../store/store.js'

export class StoreService implements Service {
  readonly name = 'store'
  private opened: Store | undefined
  private readonly unsubscribe: (() => void)[] = []

  constructor(private readonly deps: { dataDir: string; clock: Clock; random: Random; bus: DaemonBus }) {}

  get store(): Store {
    if (!this.opened) throw new Error('the store is not open')
    return this.opened
  }

  start(): void {
    const store = (this.opened = Store.open(join(this.deps.dataDir, DB_FILE), this.deps.clock, this.deps.random))
    const { bus } = this.deps
    this.unsubscribe.push(
      store.events.subscribe((event) => bus.emit('event.committed', event)),
      store.dirtyDevices.subscribe((deviceId) => bus.emit('device.dirty', deviceId)),
    )
  }

  stop(): void {
    for (const off of this.unsubscribe.splice(0)) off()
    this.opened?.close()
  }
}
