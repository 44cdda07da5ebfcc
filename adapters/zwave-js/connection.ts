// One WebSocket session with zwave-js-server: the handshake (version → set_api_schema → start_listening),
// numbered commands with their results, events, and reconnecting with backoff when the server goes away.
// It knows nothing of locks; the driver reads the state and events it hands over.
import { setTimeout as sleep } from 'node:timers/promises'
import WebSocket from 'ws'
import { TransientDeviceError } from '../../src/ports/errors.js'
import { isRecord } from './values.js'

/**
 * The schema lockstep is written against (@zwave-js/server 3.10 serves 0–50). An older server gets its own
 * maximum: the commands used here (start_listening, node.get_value/set_value, endpoint.invoke_cc_api) are old.
 */
export const API_SCHEMA = 44

export interface ConnectionOptions {
  url: string
  /** A command without a result after this long fails as transient (zwave-js has its own, shorter, radio timeouts). */
  commandTimeoutMs: number
  /** First wait before reconnecting; doubles up to maxReconnectMs. */
  reconnectMs: number
  maxReconnectMs: number
  /** The state start_listening returned, after every (re)connect. */
  onListening(state: Record<string, unknown>, reconnected: boolean): Promise<void>
  onEvent(event: Record<string, unknown>): void
  /** The session ended: whatever the server sent meanwhile is lost. */
  onDown(): void
  log(level: 'debug' | 'warn', message: string): void
}

/** The server answered success: false. */
export class ServerCommandError extends Error {
  override readonly name = 'ServerCommandError'
  constructor(
    readonly errorCode: string,
    readonly zwaveErrorCode: number | undefined,
    message: string,
  ) {
    super(message)
  }
}

interface Pending {
  resolve(result: unknown): void
  reject(error: Error): void
  timer: NodeJS.Timeout
}

export class ServerConnection {
  private socket: WebSocket | undefined
  private listening = false
  private everListened = false
  private stopped = false
  private nextId = 1
  private readonly pending = new Map<string, Pending>()
  private firstListening: (() => void) | undefined

  constructor(private readonly o: ConnectionOptions) {}

  /** Resolves once listening, or after `waitMs` (the session keeps trying in the background). */
  async start(waitMs: number): Promise<void> {
    const first = new Promise<void>((resolve) => (this.firstListening = resolve))
    void this.loop()
    await Promise.race([first, sleep(waitMs, undefined, { ref: false })])
  }

  isListening(): boolean {
    return this.listening
  }

  async stop(): Promise<void> {
    this.stopped = true
    this.failPending(new TransientDeviceError('Z-Wave driver stopped'))
    const s = this.socket
    this.socket = undefined
    if (s && s.readyState !== WebSocket.CLOSED) {
      const closed = new Promise<void>((resolve) => s.once('close', () => resolve()))
      s.terminate()
      await closed
    }
  }

  /** Sends one command and resolves with its `result`. Transient when the session is not listening. */
  command<T = Record<string, unknown>>(command: string, args: Record<string, unknown> = {}): Promise<T> {
    if (!this.listening || !this.socket) return Promise.reject(new TransientDeviceError('zwave-js-server not connected'))
    return this.send<T>(this.socket, command, args)
  }

  private send<T>(socket: WebSocket, command: string, args: Record<string, unknown>): Promise<T> {
    const messageId = String(this.nextId++)
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(messageId)
        reject(new TransientDeviceError(`zwave-js-server did not answer ${command} in ${this.o.commandTimeoutMs} ms`))
      }, this.o.commandTimeoutMs)
      this.pending.set(messageId, { resolve: resolve as (r: unknown) => void, reject, timer })
      socket.send(JSON.stringify({ ...args, messageId, command }), (err) => {
        if (!err) return
        clearTimeout(timer)
        this.pending.delete(messageId)
        reject(new TransientDeviceError(`zwave-js-server send failed: ${err.message}`))
      })
    })
  }

  private async loop(): Promise<void> {
    let wait = this.o.reconnectMs
    while (!this.stopped) {
      const listened = await this.session().catch((err: Error) => {
        this.o.log('debug', `zwave-js-server session: ${err.message}`)
        return false
      })
      if (this.stopped) return
      if (listened) wait = this.o.reconnectMs
      await sleep(wait, undefined, { ref: false })
      wait = Math.min(this.o.maxReconnectMs, wait * 2)
    }
  }

  /** One connection from open to close; true if it got as far as listening. */
  private session(): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      const socket = new WebSocket(this.o.url, { perMessageDeflate: false, handshakeTimeout: this.o.commandTimeoutMs })
      this.socket = socket
      let reachedListening = false
      socket.on('open', () => {
        // Nagle would add ~40 ms to every command/answer pair (reference/environment.md).
        ;(socket as unknown as { _socket?: { setNoDelay?(v: boolean): void } })._socket?.setNoDelay?.(true)
      })
      socket.on('message', (data) => {
        let msg: unknown
        try {
          msg = JSON.parse(String(data))
        } catch {
          return this.o.log('warn', 'zwave-js-server sent a message that is not JSON')
        }
        if (!isRecord(msg)) return
        if (msg.type === 'version') return void this.handshake(socket, typeof msg.maxSchemaVersion === 'number' ? msg.maxSchemaVersion : API_SCHEMA).then(
          () => (reachedListening = true),
          (err: Error) => {
            this.o.log('warn', `zwave-js-server handshake failed: ${err.message}`)
            socket.terminate()
          },
        )
        if (msg.type === 'result') return this.onResult(msg)
        if (msg.type === 'event' && isRecord(msg.event) && this.listening) this.o.onEvent(msg.event)
      })
      socket.on('error', (err) => this.o.log('debug', `zwave-js-server socket: ${err.message}`))
      socket.on('close', () => {
        if (this.socket === socket) this.socket = undefined
        const wasListening = this.listening
        this.listening = false
        this.failPending(new TransientDeviceError('zwave-js-server connection lost'))
        if (wasListening && !this.stopped) this.o.onDown()
        if (!reachedListening && !wasListening) reject(new Error('closed before listening'))
        else resolve(true)
      })
    })
  }

  private async handshake(socket: WebSocket, serverMax: number): Promise<void> {
    await this.send(socket, 'set_api_schema', { schemaVersion: Math.min(API_SCHEMA, serverMax) })
    const result = await this.send<Record<string, unknown>>(socket, 'start_listening', {})
    if (this.socket !== socket || this.stopped) return
    this.listening = true
    const reconnected = this.everListened
    this.everListened = true
    await this.o.onListening(isRecord(result.state) ? result.state : {}, reconnected)
    this.firstListening?.()
    this.firstListening = undefined
  }

  private onResult(msg: Record<string, unknown>): void {
    const id = String(msg.messageId)
    const p = this.pending.get(id)
    if (!p) return
    this.pending.delete(id)
    clearTimeout(p.timer)
    if (msg.success === true) p.resolve(isRecord(msg.result) ? msg.result : {})
    else {
      const code = typeof msg.errorCode === 'string' ? msg.errorCode : 'unknown'
      const zcode = typeof msg.zwaveErrorCode === 'number' ? msg.zwaveErrorCode : undefined
      const text = typeof msg.zwaveErrorMessage === 'string' ? msg.zwaveErrorMessage : typeof msg.message === 'string' ? msg.message : code
      p.reject(new ServerCommandError(code, zcode, text))
    }
  }

  private failPending(error: Error): void {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer)
      this.pending.delete(id)
      p.reject(error)
    }
  }
}
