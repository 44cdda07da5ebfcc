// The gateway's side of the broker: it follows every site's retained status, publishes requests on a site's
// api topic with its own response topic and a fresh correlation id, and matches the answers. Nothing here
// survives a restart and nothing needs to: a request in flight when a replica dies simply times out.
import { randomBytes } from 'node:crypto'
import type { MqttClient } from 'mqtt'
import { connectBroker, type BrokerCredentials } from '../uplink/session.js'
import { gatewayResponseTopic, siteOfTopic, siteTopics, STATUS_WILDCARD, type SiteStatus } from '../uplink/topics.js'
import { errorResponse, type ApiRequest, type ApiResponse } from '../uplink/wire.js'

export interface RelayOptions extends BrokerCredentials {
  broker: string
  gatewayId: string
  timeoutMs: number
  log?: (level: 'info' | 'warn', msg: string, detail?: Record<string, unknown>) => void
}

interface Pending {
  site: string
  payload: string
  correlationData: Buffer
  resolve: (r: ApiResponse) => void
  timer: NodeJS.Timeout
}

export class Relay {
  private client: MqttClient | null = null
  private readonly statuses = new Map<string, SiteStatus>()
  private readonly pending = new Map<string, Pending>()
  readonly responseTopic: string

  constructor(private readonly opts: RelayOptions) {
    this.responseTopic = gatewayResponseTopic(opts.gatewayId)
  }

  get connected(): boolean {
    return this.client?.connected ?? false
  }

  /** Connects; resolves on the first session, or after `waitMs` without one (requests then answer 503 until it comes). */
  async start(waitMs = 10_000): Promise<void> {
    const o = this.opts
    // Clean start: the gateway keeps nothing; the statuses come back retained on every subscribe.
    const client = connectBroker(o.broker, o, { clientId: `lockstep-gw-${o.gatewayId}`, clean: true, keepalive: 30 })
    this.client = client
    let first: (() => void) | null = null
    const ready = new Promise<void>((r) => (first = r))
    client.on('connect', () => {
      void client
        .subscribeAsync({ [STATUS_WILDCARD]: { qos: 1 }, [this.responseTopic]: { qos: 1 } })
        .then(() => {
          first?.()
          first = null
          // Requests published while the broker was away are sent again with the same correlation id: a site that
          // already ran one answers it from its idempotency cache.
          for (const p of this.pending.values()) this.publish(p)
        })
        .catch((err: Error) => o.log?.('warn', 'gateway subscribe failed', { err: err.message }))
    })
    client.on('error', (err) => o.log?.('warn', 'gateway broker error', { err: err.message }))
    client.on('message', (topic, payload, packet) => this.onMessage(topic, payload, packet.properties?.correlationData))
    const timer = setTimeout(() => first?.(), waitMs)
    await ready
    clearTimeout(timer)
  }

  async stop(): Promise<void> {
    for (const p of this.pending.values()) {
      clearTimeout(p.timer)
      p.resolve(errorResponse(503, 'gateway_stopping', 'the gateway is stopping; try again'))
    }
    this.pending.clear()
    await this.client?.endAsync(true)
    this.client = null
  }

  status(site: string): SiteStatus | undefined {
    return this.statuses.get(site)
  }

  sites(): Array<{ site_id: string } & SiteStatus> {
    return [...this.statuses].map(([site_id, s]) => ({ site_id, ...s })).sort((a, b) => a.site_id.localeCompare(b.site_id))
  }

  /** Forwards one request and waits for its answer; a missing answer is a 504 after timeoutMs. */
  forward(site: string, req: ApiRequest): Promise<ApiResponse> {
    if (!this.connected) return Promise.resolve(errorResponse(503, 'broker_unreachable', 'the gateway cannot reach the fleet broker; try again shortly'))
    const s = this.statuses.get(site)
    if (!s) return Promise.resolve(errorResponse(404, 'site_not_found', `no site "${site}" has reported to the fleet broker`))
    if (s.status !== 'online') return Promise.resolve(errorResponse(503, 'site_offline', `site "${site}" is offline (since ${s.at ?? 'its last will'})`))
    const correlationData = randomBytes(16)
    const id = correlationData.toString('hex')
    return new Promise<ApiResponse>((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id)
        resolve(errorResponse(504, 'site_timeout', `site "${site}" did not answer within ${this.opts.timeoutMs} ms; the request may or may not have run`))
      }, this.opts.timeoutMs)
      const p: Pending = { site, payload: JSON.stringify(req), correlationData, resolve, timer }
      this.pending.set(id, p)
      this.publish(p)
    })
  }

  private publish(p: Pending): void {
    this.client?.publish(siteTopics(p.site).api, p.payload, {
      qos: 1,
      properties: {
        responseTopic: this.responseTopic,
        correlationData: p.correlationData,
        // A request the site could only pick up after the gateway gave up on it is dropped by the broker.
        messageExpiryInterval: Math.max(1, Math.ceil(this.opts.timeoutMs / 1000)),
        contentType: 'application/json',
      },
    }, (err) => {
      if (err) this.opts.log?.('warn', 'gateway request not published', { site: p.site, err: err.message })
    })
  }

  private onMessage(topic: string, payload: Buffer, correlationData: Buffer | undefined): void {
    if (topic === this.responseTopic) {
      const id = correlationData?.toString('hex')
      const p = id ? this.pending.get(id) : undefined
      if (!p || !id) return // late (timed out) or a duplicate answer
      this.pending.delete(id)
      clearTimeout(p.timer)
      try {
        p.resolve(JSON.parse(payload.toString('utf8')) as ApiResponse)
      } catch {
        p.resolve(errorResponse(502, 'bad_site_answer', `site "${p.site}" sent an answer that is not JSON`))
      }
      return
    }
    const site = siteOfTopic(topic)
    if (!site) return
    if (payload.length === 0) return void this.statuses.delete(site) // retained status cleared: site retired
    try {
      const s = JSON.parse(payload.toString('utf8')) as SiteStatus
      const wasOnline = this.statuses.get(site)?.status === 'online'
      this.statuses.set(site, s)
      // Requests waiting on a site that just went away fail now rather than at the timeout.
      if (wasOnline && s.status !== 'online') {
        for (const [id, p] of this.pending) {
          if (p.site !== site) continue
          this.pending.delete(id)
          clearTimeout(p.timer)
          p.resolve(errorResponse(503, 'site_offline', `site "${site}" went offline while the request was in flight; it may or may not have run`))
        }
      }
    } catch {
      this.opts.log?.('warn', 'gateway ignored a status that is not JSON', { site })
    }
  }
}
