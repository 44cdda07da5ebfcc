// The reconciler as a service: it hears on the bus what asks for a look (a committed change, the lab's
// clock moving) and stops its workers on stop.
import type { DaemonBus } from '../bus.js'
import type { Service } from '../kernel/service.js'
import type { Reconciler } from '../reconcile/reconciler.js'
import type { Store } from '../store/store.js'

export class ReconcilerService implements Service {
  readonly name = 'reconciler'

  constructor(private readonly deps: { reconciler: Reconciler; store: Store; bus: DaemonBus }) {}

  async start(): Promise<void> {
    const { reconciler, store, bus } = this.deps
    // An API change pokes its device's worker after the transaction commits.
    bus.on('device.dirty', this, (deviceId) => reconciler.poke(deviceId))
    // Moved time may have started or ended a code's window on any device.
    bus.on('lab.clock_advanced', this, () => {
      for (const d of store.devices.list()) reconciler.poke(d.deviceId)
    })
    await reconciler.start()
  }

  async stop(): Promise<void> {
    this.deps.bus.removeListeners(this)
    await this.deps.reconciler.stop()
  }
}
