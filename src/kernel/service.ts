// A part of the daemon with a lifecycle. Its constructor only keeps its collaborators; start() opens
// what it needs (sockets, timers, bus listeners) and stop() releases all of it. The Lifecycle starts
// services one by one and stops the started ones in reverse order, so no stop order is written by hand.

export interface Service {
  /** For logs: which part failed to stop. */
  readonly name: string
  start(): Promise<void> | void
  stop(): Promise<void> | void
}

export class Lifecycle {
  private readonly started: Service[] = []
  private stopping: Promise<void> | undefined

  constructor(private readonly onStopError: (service: string, err: unknown) => void = () => {}) {}

  /** Starts `service` after every service started before it; returns it for the caller to wire on. */
  async start<S extends Service>(service: S): Promise<S> {
    if (this.stopping) throw new Error(`cannot start ${service.name}: stopping`)
    await service.start()
    this.started.push(service)
    return service
  }

  /** Names of the running services, in start order. */
  get running(): string[] {
    return this.started.map((s) => s.name)
  }

  /** Stops every started service, last started first; one that fails to stop does not keep the rest running. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      while (this.started.length) {
        const service = this.started.pop()!
        try {
          await service.stop()
        } catch (err) {
          this.onStopError(service.name, err)
        }
      }
    })()
    return this.stopping
  }
}

/** A service that runs `fn` every `ms` while it runs (unref'd: it never keeps the process alive). */
export function every(name: string, ms: number, fn: () => void): Service {
  let timer: NodeJS.Timeout | undefined
  return {
    name,
    start() {
      timer = setInterval(fn, ms)
      timer.unref()
    },
    stop() {
      clearInterval(timer)
      timer = undefined
    },
  }
}
