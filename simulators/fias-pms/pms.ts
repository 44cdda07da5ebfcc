// A hotel PMS's FIAS interface (IFC8) as the lock system sees it: a TCP server that starts the link with
// LS, takes the lock system's LD/LR/LA, answers with LA (and LC A0 with its key timeout when asked), then
// sends key requests one at a time per workstation and waits its timeout for each answer.
import { createServer, type Server, type Socket } from 'node:net'
import { type Clock, systemClock } from '../../src/kernel/clock.js'
import { Deframer, fromBytes, get, type PmsRecord, text, toBytes } from './wire.js'

export interface PmsOptions {
  port?: number
  host?: string
  clock?: Clock
  /** How long a request waits for its answer (IFC8's DLS timeout); sent as LC A0 when LD asks (RT 128). */
  answerTimeoutSec?: number
}

export interface Exchange {
  request: string
  /** The answer record, or null when none came before the timeout. */
  answer: PmsRecord | null
  status: string | null
  /** CT of the answer. */
  text: string | null
  elapsedMs: number
}

export interface LogLine {
  dir: 'in' | 'out'
  text: string
  at: number
}

interface Pending {
  key: string
  resolve: (rec: PmsRecord | null) => void
  timer: NodeJS.Timeout
}

export interface CheckinInput {
  room: string
  guest: string
  reservation: string
  keys?: number
  encoder?: string
  workstation?: string
  arrival?: string
  departure?: string
  departureTime?: string
}

const two = (n: number) => String(n).padStart(2, '0')

export class FiasPmsSimulator {
  private server: Server | null = null
  private client: Socket | null = null
  private alive = false
  private aliveWaiters: Array<() => void> = []
  private pending: Pending[] = []
  private readonly clock: Clock
  readonly log: LogLine[] = []
  /** Answers that came after the request had timed out (the PMS had given up on them). */
  readonly lateAnswers: PmsRecord[] = []
  /** Link descriptions received (LD, LR…) in the latest start-up. */
  linkRecords: PmsRecord[] = []
  /** How many start-ups completed (LA received after our LS). */
  startups = 0
  answerTimeoutSec: number

  constructor(private readonly opts: PmsOptions = {}) {
    this.clock = opts.clock ?? systemClock
    this.answerTimeoutSec = opts.answerTimeoutSec ?? 10
  }

  get port(): number {
    const a = this.server?.address()
    return a && typeof a === 'object' ? a.port : 0
  }

  get url(): string {
    return `tcp://${this.opts.host ?? '127.0.0.1'}:${this.port}`
  }

  get isAlive(): boolean {
    return this.alive
  }

  async start(): Promise<void> {
    this.server = createServer((s) => this.accept(s))
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject)
      this.server!.listen(this.opts.port ?? 0, this.opts.host ?? '127.0.0.1', () => resolve())
    })
  }

  async stop(): Promise<void> {
    this.failPending()
    this.client?.destroy()
    this.client = null
    this.alive = false
    const srv = this.server
    this.server = null
    if (srv) await new Promise<void>((r) => srv.close(() => r()))
  }

  /** Resolves once the link is alive (start-up done). */
  whenAlive(): Promise<void> {
    if (this.alive) return Promise.resolve()
    return new Promise((r) => this.aliveWaiters.push(r))
  }

  /** IFC8 restarted: it starts the link again on the same connection; requests in flight are forgotten. */
  restartLink(): void {
    this.failPending()
    this.alive = false
    this.send({ id: 'LS', fields: this.stamp() })
  }

  /** The connection breaks (cable, restart of the interface): requests in flight are forgotten. */
  dropConnection(): void {
    this.failPending()
    this.alive = false
    this.client?.destroy()
    this.client = null
  }

  /** Sends a raw frame body as is (tests of split reads and noise). */
  sendRaw(bytes: Buffer): void {
    this.client?.write(bytes)
  }

  /** Sends one key request and waits for its answer or the timeout. */
  async request(id: 'KR' | 'KD' | 'KM' | 'KZ', fields: Array<[string, string]>, opts: { chunkBytes?: number } = {}): Promise<Exchange> {
    const rec: PmsRecord = { id, fields: [...fields, ...this.stamp()] }
    const key = `${get(rec, 'KC') ?? ''}|${get(rec, 'WS') ?? ''}`
    const t0 = performance.now()
    const answer = await new Promise<PmsRecord | null>((resolve) => {
      const timer = setTimeout(() => {
        this.pending = this.pending.filter((p) => p !== entry)
        resolve(null)
      }, this.answerTimeoutSec * 1000)
      const entry: Pending = { key, resolve, timer }
      this.pending.push(entry)
      if (!this.send(rec, opts.chunkBytes)) {
        clearTimeout(timer)
        this.pending = this.pending.filter((p) => p !== entry)
        resolve(null)
      }
    })
    return {
      request: text(rec),
      answer,
      status: answer ? (get(answer, 'AS') ?? null) : null,
      text: answer ? (get(answer, 'CT') ?? null) : null,
      elapsedMs: performance.now() - t0,
    }
  }

  /** Check-in as a PMS does it: one KR per key, KTN first, then KTD after each answer; stops at a non-OK. */
  async checkin(input: CheckinInput): Promise<Exchange[]> {
    const out: Exchange[] = []
    const keys = input.keys ?? 1
    for (let i = 0; i < keys; i++) {
      const ex = await this.request('KR', [
        ['WS', input.workstation ?? 'FO-PC1'],
        ['KC', input.encoder ?? '1'],
        ['RN', input.room],
        ['KT', i === 0 ? 'N' : 'D'],
        ['G#', input.reservation],
        ...optional('GA', input.arrival),
        ...optional('GD', input.departure),
        ...optional('DT', input.departureTime),
        ['GN', input.guest],
      ])
      out.push(ex)
      if (ex.status !== 'OK') break
    }
    return out
  }

  checkout(input: { room: string; reservation?: string; encoder?: string; workstation?: string }): Promise<Exchange> {
    return this.request('KD', [
      ['WS', input.workstation ?? 'FO-PC1'],
      ['KC', input.encoder ?? '1'],
      ['RN', input.room],
      ...optional('G#', input.reservation),
    ])
  }

  move(input: { room: string; oldRoom?: string; reservation: string; encoder?: string; workstation?: string; arrival?: string; departure?: string; departureTime?: string; guest?: string }): Promise<Exchange> {
    return this.request('KM', [
      ['WS', input.workstation ?? 'FO-PC1'],
      ['KC', input.encoder ?? '1'],
      ['RN', input.room],
      ...optional('RO', input.oldRoom),
      ['G#', input.reservation],
      ...optional('GA', input.arrival),
      ...optional('GD', input.departure),
      ...optional('DT', input.departureTime),
      ...optional('GN', input.guest),
    ])
  }

  read(input: { encoder?: string; workstation?: string } = {}): Promise<Exchange> {
    return this.request('KZ', [
      ['KC', input.encoder ?? '1'],
      ['WS', input.workstation ?? 'FO-PC1'],
    ])
  }

  private accept(socket: Socket): void {
    // IFC8 serves one client per port: a new connection replaces the old one.
    if (this.client) this.dropConnection()
    this.client = socket
    socket.setNoDelay(true)
    const deframer = new Deframer()
    socket.on('data', (chunk) => {
      for (const body of deframer.feed(chunk)) {
        const rec = fromBytes(body)
        if (rec) this.receive(socket, rec)
      }
    })
    socket.on('error', () => {})
    socket.on('close', () => {
      if (this.client === socket) {
        this.client = null
        this.alive = false
        this.failPending()
      }
    })
    this.linkRecords = []
    this.send({ id: 'LS', fields: this.stamp() })
  }

  private receive(socket: Socket, rec: PmsRecord): void {
    if (socket !== this.client) return
    this.log.push({ dir: 'in', text: text(rec), at: this.clock.now() })
    switch (rec.id) {
      case 'LS':
        // Before start-up an LS asks us to start; once alive it is the lock system's link check.
        if (this.alive) this.send({ id: 'LA', fields: this.stamp() })
        else this.send({ id: 'LS', fields: this.stamp() })
        return
      case 'LD':
        this.linkRecords = [rec]
        return
      case 'LR':
        this.linkRecords.push(rec)
        return
      case 'LA': {
        if (this.alive) return
        const rt = Number(get(this.linkRecords.find((r) => r.id === 'LD') ?? { id: 'LD', fields: [] }, 'RT') ?? 0)
        if (rt & 128) this.send({ id: 'LC', fields: [['A0', `60;${this.answerTimeoutSec}`], ['PH', '1']] })
        this.send({ id: 'LA', fields: this.stamp() })
        this.alive = true
        this.startups++
        for (const w of this.aliveWaiters.splice(0)) w()
        return
      }
      case 'LE':
        this.dropConnection()
        return
      case 'KA':
      case 'KZ': {
        const key = `${get(rec, 'KC') ?? ''}|${get(rec, 'WS') ?? ''}`
        const i = this.pending.findIndex((p) => p.key === key)
        if (i < 0) {
          this.lateAnswers.push(rec)
          return
        }
        const [p] = this.pending.splice(i, 1)
        clearTimeout(p!.timer)
        p!.resolve(rec)
        return
      }
    }
  }

  private failPending(): void {
    for (const p of this.pending.splice(0)) {
      clearTimeout(p.timer)
      p.resolve(null)
    }
  }

  /** chunkBytes: write the frame in pieces, each in its own turn of the event loop (split TCP reads). */
  private send(rec: PmsRecord, chunkBytes?: number): boolean {
    const socket = this.client
    if (!socket || socket.destroyed) return false
    this.log.push({ dir: 'out', text: text(rec), at: this.clock.now() })
    const bytes = toBytes(rec)
    if (!chunkBytes) {
      socket.write(bytes)
      return true
    }
    const pieces: Buffer[] = []
    for (let i = 0; i < bytes.length; i += chunkBytes) pieces.push(bytes.subarray(i, i + chunkBytes))
    const next = () => {
      const piece = pieces.shift()
      if (!piece || socket.destroyed) return
      socket.write(piece, () => setImmediate(next))
    }
    next()
    return true
  }

  private stamp(): Array<[string, string]> {
    const d = new Date(this.clock.now())
    return [
      ['DA', `${two(d.getUTCFullYear() % 100)}${two(d.getUTCMonth() + 1)}${two(d.getUTCDate())}`],
      ['TI', `${two(d.getUTCHours())}${two(d.getUTCMinutes())}${two(d.getUTCSeconds())}`],
    ]
  }
}

function optional(id: string, value: string | undefined): Array<[string, string]> {
  return value === undefined || value === '' ? [] : [[id, value]]
}
