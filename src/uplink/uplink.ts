// One site's uplink (design "Beyond one box"): one outbound MQTT 5 session to the fleet broker (persistent,
// clean start off), a retained status with a last will, the outbox's events, and API requests answered as
// MQTT 5 request/response. The request handler is injected: the daemon runs requests through its own
// fastify app (same auth, validation and use cases as HTTP); the bench uses a light in-memory one.
// The box never waits on this: when the broker is away, the session reconnects and the stream catches up.
import type { MqttClient } from 'mqtt'
import { Answers } from './answers.js'
import { EventStream, type EventFeed } from './event-stream.js'
import { connectBroker, type BrokerCredentials } from './session.js'
import { siteTopics, type SiteStatus } from './topics.js'
import { apiRequestSchema, errorResponse, isMutation, type ApiResponse, type RequestHandler } from './wire.js'

export interface UplinkOptions extends BrokerCredentials {
  url: string
  siteId: string
  version: string
  handler: RequestHandler
  /** Idempotency: the daemon's keeps mutation answers in SQLite too. */
  answers?: Answers
  /** Device counts for the status; absent in the bench. */
  devices?: () => SiteStatus['devices']
  /** The outbox; absent: no events are published. */
  events?: EventFeed
  keepaliveSeconds?: number
  sessionExpirySeconds?: number
  clientId?: string
  /** Routine log lines; never given a request or response body (they may carry PINs). */
  log?: (level: 'info' | 'warn', msg: string, detail?: Record<string, unknown>) => void
}

export class Uplink {
  readonly name = 'uplink'
  private client: MqttClient | null = null
  private stream: EventStream | null = null
  private readonly answers: Answers
  private readonly topics: ReturnType<typeof siteTopics>
  private statusTimer: NodeJS.Timeout | null = null
  private connects = 0

  constructor(private readonly opts: UplinkOptions) {
    this.answers = opts.answers ?? new Answers(null)
    this.topics = siteTopics(opts.siteId)
  }

  /** Connected to the broker now. */
  get connected(): boolean {
    return this.client?.connected ?? false
  }

  /** Sessions established so far (the first and every reconnect). */
  get sessions(): number {
    return this.connects
  }

  /** Never waits on the broker: the box works without it, and the session comes up when it can. */
  start(): void {
    const o = this.opts
    const client = connectBroker(o.url, o, {
      clientId: o.clientId ?? `lockstep-site-${o.siteId}`,
      clean: false,
      keepalive: o.keepaliveSeconds ?? 30,
      properties: { sessionExpiryInterval: o.sessionExpirySeconds ?? 7 * 86_400 },
      // The will is written now but sent by the broker later: it carries no time.
      will: { topic: this.topics.status, payload: Buffer.from(JSON.stringify({ status: 'offline', version: o.version })), qos: 1, retain: true },
    })
    this.client = client
    // The session retries every second: a refusal (bad password, ACL) is logged when it starts or changes, not each time.
    let lastError = ''
    client.on('connect', (connack) => {
      lastError = ''
      this.connects++
      o.log?.('info', 'uplink connected', { site_id: o.siteId, session_present: connack.sessionPresent })
      void client.subscribeAsync(this.topics.api, { qos: 1 }).catch((err: Error) => o.log?.('warn', 'uplink subscribe failed', { err: err.message }))
      this.publishStatus()
      this.stream?.wake()
    })
    client.on('close', () => o.log?.('info', 'uplink disconnected', { site_id: o.siteId }))
    client.on('error', (err) => {
      if (err.message !== lastError) o.log?.('warn', 'uplink error', { site_id: o.siteId, err: err.message })
      lastError = err.message
    })
    client.on('message', (topic, payload, packet) => {
      if (topic === this.topics.api) void this.serve(payload, packet.properties ?? {})
    })
    if (o.events) {
      this.stream = new EventStream(o.events, (e) => this.publishEvent(e.seq, e.eventType, e.body), (err) =>
        o.log?.('warn', 'uplink event stream', { err: err.message }))
      this.stream.start()
    }
  }

  async stop(): Promise<void> {
    if (this.statusTimer) clearTimeout(this.statusTimer)
    this.statusTimer = null
    const client = this.client
    this.client = null
    await this.stream?.stop()
    this.stream = null
    if (!client) return
    if (client.connected) {
      // A clean stop says offline itself (a disconnect with reason 0 does not fire the will).
      await Promise.race([
        client.publishAsync(this.topics.status, JSON.stringify(this.status('offline')), { qos: 1, retain: true }).catch(() => undefined),
        new Promise((r) => setTimeout(r, 1000).unref()),
      ])
    }
    await client.endAsync(!client.connected)
  }

  /** The device counts changed: publish a fresh status soon (coalesced). */
  statusChanged(): void {
    if (this.statusTimer || !this.client) return
    this.statusTimer = setTimeout(() => {
      this.statusTimer = null
      this.publishStatus()
    }, 1000)
    this.statusTimer.unref()
  }

  /** The last event the broker acknowledged. */
  get eventsAcknowledged(): number {
    return this.stream?.acknowledged ?? 0
  }

  private status(status: SiteStatus['status']): SiteStatus {
    const devices = status === 'online' ? this.opts.devices?.() : undefined
    return { status, version: this.opts.version, ...(devices ? { devices } : {}), at: new Date().toISOString() }
  }

  private publishStatus(): void {
    const client = this.client
    if (!client?.connected) return
    client.publish(this.topics.status, JSON.stringify(this.status('online')), { qos: 1, retain: true })
  }

  private async publishEvent(seq: number, eventType: string, body: string): Promise<void> {
    const client = this.client
    if (!client) throw new Error('uplink stopped')
    await client.publishAsync(this.topics.events, body, {
      qos: 1,
      properties: { contentType: 'application/json', userProperties: { seq: String(seq), event_type: eventType } },
    })
  }

  private async serve(payload: Buffer, props: { responseTopic?: string; correlationData?: Buffer }): Promise<void> {
    const { responseTopic, correlationData } = props
    if (!responseTopic) {
      this.opts.log?.('warn', 'uplink request without a response topic dropped', { site_id: this.opts.siteId })
      return
    }
    let answer: ApiResponse
    let parsed: ReturnType<typeof apiRequestSchema.safeParse> | undefined
    try {
      parsed = apiRequestSchema.safeParse(JSON.parse(payload.toString('utf8')))
    } catch {
      parsed = undefined
    }
    if (!parsed?.success) {
      answer = errorResponse(400, 'invalid_input', 'the request payload must be JSON {method, path, query, body, headers}')
    } else {
      const req = parsed.data
      const mutation = isMutation(req)
      const requestId = correlationData?.toString('hex')
      try {
        if (!requestId) answer = await this.opts.handler(req)
        else {
          const admission = this.answers.admit(requestId, mutation)
          answer = 'answer' in admission ? admission.answer : 'running' in admission ? await admission.running
            : await this.answers.run(requestId, mutation, () => this.opts.handler(req))
        }
      } catch (err) {
        answer = errorResponse(500, 'internal_server_error', 'the site could not run the request')
        this.opts.log?.('warn', 'uplink request failed', { method: req.method, path: req.path, err: (err as Error).message })
      }
    }
    const client = this.client
    if (!client) return
    client.publish(responseTopic, JSON.stringify(answer), { qos: 1, properties: correlationData ? { correlationData } : {} }, (err) => {
      if (err) this.opts.log?.('warn', 'uplink answer not sent', { err: err.message })
    })
  }
}
