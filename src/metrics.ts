// Prometheus metrics. One registry per daemon (tests run several daemons in one process). Gauges that
// describe stored state (codes by status, devices online, queue depth) are read from the store at scrape
// time, so they can never drift; the rest are pushed by the parts that know (HTTP hook, reconciler, encoder).
import type { FastifyInstance } from 'fastify'
import { documentRoute } from './api/openapi.js'
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import type { Store } from './store/store.js'
import type { DaemonBus } from './bus.js'
import type { BreakerState } from './reconcile/breaker.js'

export type { BreakerState }
const BREAKER_VALUE: Record<BreakerState, number> = { closed: 0, half_open: 1, open: 2 }

/** What other parts of the daemon call. `nullMetrics` is a do-nothing stand-in for unit tests. */
export interface MetricsSink {
  /** Seconds between a device becoming dirty and the reconciler finishing a pass over it. */
  reconcileLag(deviceId: string, seconds: number): void
  /** Current state of a device's circuit breaker. */
  breakerState(deviceId: string, state: BreakerState): void
  /** Wall time of one card encoding (wait for card + write + read back). */
  encodeDuration(seconds: number, outcome?: 'success' | 'error'): void
}

export const nullMetrics: MetricsSink = { reconcileLag() {}, breakerState() {}, encodeDuration() {} }

/** The sink the reconciler and the encoder are given in the daemon: it publishes on the bus, and Metrics listens. */
export function metricsOnBus(bus: DaemonBus): MetricsSink {
  return {
    reconcileLag: (deviceId, seconds) => bus.emit('reconcile.lag', { deviceId, seconds }),
    breakerState: (deviceId, state) => bus.emit('reconcile.breaker', { deviceId, state }),
    encodeDuration: (seconds, outcome = 'success') => bus.emit('encode.finished', { seconds, outcome }),
  }
}

/** One lock's radio exchanges since its driver started, by kind (drivers count; see ports RadioStats). */
export interface RadioCount {
  deviceId: string
  kind: string
  count: number
}

export class Metrics implements MetricsSink {
  readonly registry = new Registry()
  /** Read at scrape time: the drivers keep the counts (set by the daemon once they exist). */
  private radio: () => RadioCount[] = () => []
  private readonly httpDuration: Histogram<'method' | 'route' | 'status_code'>
  private readonly lag: Gauge<'device_id'>
  private readonly breaker: Gauge<'device_id'>
  private readonly encode: Histogram<'outcome'>
  private readonly scrapeErrors: Counter
  private readonly deliveries: Counter<'webhook_id' | 'outcome'>
  private readonly deliveryLatency: Histogram

  constructor(store: Store, opts: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry]
    if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: 'lockstep_' })
    this.httpDuration = new Histogram({
      name: 'lockstep_http_request_duration_seconds',
      help: 'HTTP request latency by route (the route pattern, not the raw URL)',
      labelNames: ['method', 'route', 'status_code'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    })
    this.lag = new Gauge({ name: 'lockstep_reconcile_lag_seconds', help: 'Last reconcile lag per device', labelNames: ['device_id'], registers })
    this.breaker = new Gauge({
      name: 'lockstep_breaker_state',
      help: 'Circuit breaker per device: 0 closed, 1 half-open, 2 open',
      labelNames: ['device_id'],
      registers,
    })
    this.encode = new Histogram({
      name: 'lockstep_encode_duration_seconds',
      help: 'Card encoding duration',
      labelNames: ['outcome'],
      buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60],
      registers,
    })
    this.scrapeErrors = new Counter({ name: 'lockstep_metrics_scrape_errors_total', help: 'Store reads that failed during a scrape', registers })
    this.deliveries = new Counter({
      name: 'lockstep_webhook_deliveries_total',
      help: 'Webhook delivery attempts by outcome (delivered, failed, gave_up)',
      labelNames: ['webhook_id', 'outcome'],
      registers,
    })
    this.deliveryLatency = new Histogram({
      name: 'lockstep_webhook_delivery_latency_seconds',
      help: 'From an event commit to its webhook delivery answered 2xx',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5, 30, 300, 3600],
      registers,
    })
    const scrapeErrors = this.scrapeErrors
    // prom-client calls collect with the metric as `this`; a failing store read counts, never breaks the scrape.
    const guard = <T>(fn: (this: T) => void) => function (this: T) {
      try {
        fn.call(this)
      } catch {
        scrapeErrors.inc()
      }
    }

    new Gauge({
      name: 'lockstep_access_codes',
      help: 'Live access codes by status and managed flag',
      labelNames: ['status', 'managed'],
      registers,
      collect: guard(function (this: Gauge<'status' | 'managed'>) {
        this.reset()
        for (const s of ['setting', 'set', 'unset', 'removing', 'unknown']) this.set({ status: s, managed: 'true' }, 0)
        const rows = store.db
          .prepare("SELECT status, is_managed, count(*) AS n FROM access_codes WHERE deleted_at IS NULL OR status = 'removing' GROUP BY status, is_managed")
          .all() as { status: string; is_managed: number; n: number }[]
        for (const r of rows) this.set({ status: r.status, managed: r.is_managed ? 'true' : 'false' }, r.n)
      }),
    })
    new Gauge({
      name: 'lockstep_device_online',
      help: '1 if the device is online, 0 if not',
      labelNames: ['device_id', 'name', 'driver'],
      registers,
      collect: guard(function (this: Gauge<'device_id' | 'name' | 'driver'>) {
        this.reset()
        for (const d of store.devices.list()) this.set({ device_id: d.deviceId, name: d.displayName, driver: d.driver }, d.online ? 1 : 0)
      }),
    })
    new Gauge({
      name: 'lockstep_device_errors',
      help: 'Number of errors reported on each device',
      labelNames: ['device_id'],
      registers,
      collect: guard(function (this: Gauge<'device_id'>) {
        this.reset()
        for (const d of store.devices.list()) this.set({ device_id: d.deviceId }, d.errors.length)
      }),
    })
    const radio = () => this.radio()
    new Counter({
      name: 'lockstep_radio_exchanges_total',
      help: "Radio exchanges the drivers caused with each lock, by kind (Zigbee requests, Nuki connections): a battery lock pays for each",
      labelNames: ['device_id', 'kind'],
      registers,
      collect: guard(function (this: Counter<'device_id' | 'kind'>) {
        this.reset()
        for (const r of radio()) this.inc({ device_id: r.deviceId, kind: r.kind }, r.count)
      }),
    })
    new Gauge({
      name: 'lockstep_work_queue_depth',
      help: 'Devices waiting for the reconciler (work_items rows)',
      registers,
      collect: guard(function (this: Gauge) {
        this.set((store.db.prepare('SELECT count(*) AS n FROM work_items').get() as { n: number }).n)
      }),
    })
  }

  /** A webhook delivery attempt ended (DeliveryObserver). */
  delivery(webhookId: string, outcome: 'delivered' | 'failed' | 'gave_up', commitToDeliveredSeconds?: number): void {
    this.deliveries.inc({ webhook_id: webhookId, outcome })
    if (commitToDeliveredSeconds !== undefined) this.deliveryLatency.observe(commitToDeliveredSeconds)
  }

  /** Outbox depth and the oldest undelivered event per webhook, read at scrape time from the delivery engine. */
  watchOutbox(endpoints: () => { webhook_id: string; outbox_depth: number; oldest_undelivered_seconds: number | null; status: string }[]): void {
    const scrapeErrors = this.scrapeErrors
    const safe = (fn: () => void) => {
      try {
        fn()
      } catch {
        scrapeErrors.inc()
      }
    }
    new Gauge({
      name: 'lockstep_outbox_depth',
      help: 'Events after each webhook\'s outbox cursor',
      labelNames: ['webhook_id'],
      registers: [this.registry],
      collect(this: Gauge<'webhook_id'>) {
        safe(() => {
          this.reset()
          for (const e of endpoints()) this.set({ webhook_id: e.webhook_id }, e.outbox_depth)
        })
      },
    })
    new Gauge({
      name: 'lockstep_outbox_oldest_undelivered_seconds',
      help: 'Age of the oldest event each webhook has not finished with (0 when caught up)',
      labelNames: ['webhook_id'],
      registers: [this.registry],
      collect(this: Gauge<'webhook_id'>) {
        safe(() => {
          this.reset()
          for (const e of endpoints()) this.set({ webhook_id: e.webhook_id }, e.oldest_undelivered_seconds ?? 0)
        })
      },
    })
    new Gauge({
      name: 'lockstep_webhook_failing',
      help: '1 if delivery to the webhook gave up and is paused',
      labelNames: ['webhook_id'],
      registers: [this.registry],
      collect(this: Gauge<'webhook_id'>) {
        safe(() => {
          this.reset()
          for (const e of endpoints()) this.set({ webhook_id: e.webhook_id }, e.status === 'failing' ? 1 : 0)
        })
      },
    })
  }

  /** Where the radio counts come from (the daemon's drivers). */
  radioSource(source: () => RadioCount[]): void {
    this.radio = source
  }

  reconcileLag(deviceId: string, seconds: number): void {
    this.lag.set({ device_id: deviceId }, seconds)
  }

  breakerState(deviceId: string, state: BreakerState): void {
    this.breaker.set({ device_id: deviceId }, BREAKER_VALUE[state])
  }

  encodeDuration(seconds: number, outcome: 'success' | 'error' = 'success'): void {
    this.encode.observe({ outcome }, seconds)
  }

  /** Listens for what the reconciler and the encoder report, until stop() removes the listeners. */
  listen(bus: DaemonBus): { name: string; start(): void; stop(): void } {
    return {
      name: 'metrics',
      start: () => {
        bus.on('reconcile.lag', this, (m) => this.reconcileLag(m.deviceId, m.seconds))
        bus.on('reconcile.breaker', this, (m) => this.breakerState(m.deviceId, m.state))
        bus.on('encode.finished', this, (m) => this.encodeDuration(m.seconds, m.outcome))
      },
      stop: () => bus.removeListeners(this),
    }
  }

  /** Times every request; must be called before routes are added. Unmatched URLs count as one route. */
  instrument(app: FastifyInstance): void {
    app.addHook('onResponse', async (request, reply) => {
      const route = request.routeOptions.url ?? 'unmatched'
      this.httpDuration.observe({ method: request.method, route, status_code: String(reply.statusCode) }, reply.elapsedTime / 1000)
    })
  }

  text(): Promise<string> {
    return this.registry.metrics()
  }

  get contentType(): string {
    return this.registry.contentType
  }
}

const LOOPBACK = /^(127\.|::1$|::ffff:127\.)/

/**
 * GET /metrics: open to loopback scrapers (the usual node-exporter arrangement on an edge box), and to
 * anyone else only with a valid API key. The auth hook lets the path through; this route decides.
 */
export function metricsRoute(app: FastifyInstance, metrics: Metrics, verifyKey: (key: string) => boolean): void {
  documentRoute(app, { path: '/metrics', method: 'GET', summary: 'Prometheus metrics (open on loopback, else an API key)', auth: false, produces: 'text/plain' })
  app.get('/metrics', async (request, reply) => {
    const remote = request.socket.remoteAddress ?? ''
    if (!LOOPBACK.test(remote)) {
      const header = request.headers.authorization
      const key = header?.startsWith('Bearer ') ? header.slice(7).trim() : ''
      if (!key || !verifyKey(key)) {
        return reply.status(401).type('application/json').send({
          error: { type: 'unauthorized', message: 'Unauthorized: /metrics needs an API key from a non-loopback address' },
          ok: false,
        })
      }
    }
    return reply.type(metrics.contentType).send(await metrics.text())
  })
}
