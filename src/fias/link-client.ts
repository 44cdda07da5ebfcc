// The lock system's end of the FIAS link: a TCP client (IFC8 is always the server) that keeps one
// connection, reconnecting with backoff whenever it drops, and runs a fresh LinkSession on each.
import { connect, type Socket } from 'node:net'
import { type LinkEvents, type LinkOptions, LinkSession, type LinkState } from './link-session.js'

export interface LinkClientOptions extends LinkOptions {
  /** tcp://host:port */
  url: string
  /** First reconnect delay; doubles up to maxBackoffMs and resets once a link is alive. */
  backoffMs?: number
  maxBackoffMs?: number
}

export function parseFiasUrl(url: string): { host: string; port: number } {
  const m = /^tcp:\/\/(\[[^\]]+\]|[^:/]+):(\d{1,5})\/?$/.exec(url)
  const port = m ? Number(m[2]) : NaN
  if (!m || port < 1 || port > 65535) throw new Error(`FIAS url must be tcp://host:port, got '${url}'`)
  return { host: m[1]!.replace(/^\[|\]$/g, ''), port }
}

export class FiasLinkClient {
  private socket: Socket | null = null
  private session: LinkSession | null = null
  private retry: unknown = null
  private delayMs: number
  private running = false
  /** Failed connects in a row: only the first of an outage is reported (quiet while the PMS stays down). */
  private failedConnects = 0
  private state_: LinkState | 'connecting' | 'stopped' = 'stopped'
  private readonly target: { host: string; port: number }

  constructor(
    private readonly opts: LinkClientOptions,
    private readonly events: LinkEvents & { connection?(up: boolean, reason?: string): void },
  ) {
    this.target = parseFiasUrl(opts.url)
    this.delayMs = opts.backoffMs ?? 500
  }

  get state(): LinkState | 'connecting' | 'stopped' {
    return this.state_
  }

  start(): void {
    if (this.running) return
    this.running = true
    this.connect()
  }

  async stop(): Promise<void> {
    this.running = false
    if (this.retry !== null) this.opts.timers.clearTimeout(this.retry)
    this.retry = null
    this.session?.stop()
    this.session = null
    const s = this.socket
    this.socket = null
    this.state_ = 'stopped'
    if (s && !s.destroyed) {
      await new Promise<void>((resolve) => {
        s.once('close', () => resolve())
        s.destroy()
      })
    }
  }

  private connect(): void {
    if (!this.running) return
    this.state_ = 'connecting'
    const socket = connect({ host: this.target.host, port: this.target.port })
    socket.setNoDelay(true)
    this.socket = socket
    let session: LinkSession | null = null
    let ended = false
    const end = (reason: string) => {
      if (ended) return
      ended = true
      session?.stop()
      if (this.session === session) this.session = null
      if (!socket.destroyed) socket.destroy()
      if (this.socket === socket) this.socket = null
      if (session) this.events.connection?.(false, reason)
      else if (this.running && this.failedConnects++ === 0) this.events.problem?.(`cannot connect to the PMS at ${this.opts.url}: ${reason}; retrying`)
      this.scheduleReconnect()
    }
    socket.once('connect', () => {
      session = new LinkSession(
        this.opts,
        {
          ...this.events,
          state: (s) => {
            this.state_ = s
            if (s === 'alive') this.delayMs = this.opts.backoffMs ?? 500
            this.events.state?.(s)
          },
        },
        (bytes) => {
          if (!socket.destroyed) socket.write(bytes)
        },
        (reason) => end(reason),
      )
      this.session = session
      this.failedConnects = 0
      this.state_ = 'awaiting_start'
      this.events.connection?.(true)
      session.start()
    })
    socket.on('data', (chunk) => session?.receive(chunk))
    socket.on('error', (err) => end(err.message))
    socket.on('close', () => end('connection closed'))
  }

  private scheduleReconnect(): void {
    if (!this.running) return
    this.state_ = 'connecting'
    const delay = this.delayMs
    this.delayMs = Math.min(this.delayMs * 2, this.opts.maxBackoffMs ?? 30_000)
    this.retry = this.opts.timers.setTimeout(() => {
      this.retry = null
      this.connect()
    }, delay)
  }
}
