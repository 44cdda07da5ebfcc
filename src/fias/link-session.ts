// One FIAS link over one connection, lock-system side (docs/fias.md §link). The PMS (IFC8) starts the link
// with LS; we describe ourselves (LD, one LR per record type, LA) and data may flow once the PMS says LA.
// Every LS from the PMS (restart, re-init) repeats the start-up; a request received before it is not
// answered afterwards: the PMS that sent it has forgotten it.
import type { Clock } from '../kernel/clock.js'
import type { CodePage } from './code-page.js'
import { fiasClock, fiasDate } from './fias-time.js'
import { encodeFrame, FrameReader } from './frame.js'
import { KEY_LINK_RECORDS, KEY_REQUEST_TYPES } from './key-records.js'
import { encodeRecord, type FiasRecord, field, FiasRecordError, parseRecord, record } from './record.js'

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
}

/** Node's timers, unref'd: a FIAS timer never keeps the process alive. */
export const nodeTimers: Timers = {
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms)
    t.unref?.()
    return t
  },
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
}

export type LinkState =
  /** Connected, waiting for the PMS's LS (or the answer to ours). */
  | 'awaiting_start'
  /** LD/LR/LA sent; waiting for the PMS's LA. */
  | 'awaiting_alive'
  | 'alive'
  | 'closed'

export interface LinkOptions {
  page: CodePage
  clock: Clock
  timers: Timers
  timeZone?: string
  /** V# in LD. */
  version?: string
  /** After connecting, how long to wait for the PMS's LS before sending one (S1: 3 s). */
  startWaitMs?: number
  /** How long the PMS may take to answer our LA or LS (S1: allow at least 30 s). */
  answerWaitMs?: number
  /** Quiet time after which we check the link with LS (S1: at most every 5 minutes). */
  keepAliveMs?: number
}

export interface LinkEvents {
  /** A key request while alive; reply() sends the answer unless the link has re-initialised or closed since. */
  request(rec: FiasRecord, reply: (answer: FiasRecord) => boolean): void
  /** Every record in or out (for the event log). */
  record?(direction: 'in' | 'out', rec: FiasRecord): void
  state?(state: LinkState): void
  /** LC A0: the PMS's key-answer (DLS) timeout in seconds. */
  answerTimeout?(seconds: number): void
  /** A frame or record that could not be read, or a record we ignore; never fatal. */
  problem?(message: string): void
}

export class LinkSession {
  private readonly reader = new FrameReader()
  private state_: LinkState = 'awaiting_start'
  /** Bumped by every start-up: replies carry the generation their request arrived in. */
  private generation = 0
  private timer: unknown = null
  private readonly startWaitMs: number
  private readonly answerWaitMs: number
  private readonly keepAliveMs: number

  constructor(
    private readonly opts: LinkOptions,
    private readonly events: LinkEvents,
    private readonly write: (bytes: Buffer) => void,
    /** Ends the connection (the client reconnects); called at most once. */
    private readonly close: (reason: string) => void,
  ) {
    this.startWaitMs = opts.startWaitMs ?? 3_000
    this.answerWaitMs = opts.answerWaitMs ?? 30_000
    this.keepAliveMs = opts.keepAliveMs ?? 300_000
  }

  get state(): LinkState {
    return this.state_
  }

  /** Call once the connection is up. */
  start(): void {
    this.arm(this.startWaitMs, () => {
      // No LS from the PMS: ask for one. Its LS (or LA) comes back and the start-up proceeds.
      this.send(record('LS', this.stamp()))
      this.arm(this.answerWaitMs, () => this.fail('no answer to LS'))
    })
  }

  /** Call when the connection has gone; nothing more is sent and late replies are dropped. */
  stop(): void {
    if (this.state_ === 'closed') return
    this.disarm()
    this.setState('closed')
  }

  receive(chunk: Uint8Array): void {
    for (const item of this.reader.push(chunk)) {
      if (this.state_ === 'closed') return
      if (item.kind === 'frame_error') {
        this.events.problem?.(item.message)
        continue
      }
      let rec: FiasRecord
      try {
        rec = parseRecord(item.body, this.opts.page)
      } catch (err) {
        if (!(err instanceof FiasRecordError)) throw err
        this.events.problem?.(`unreadable record: ${err.message}`)
        continue
      }
      this.events.record?.('in', rec)
      this.onRecord(rec)
    }
  }

  private onRecord(rec: FiasRecord): void {
    switch (rec.type) {
      case 'LS':
        return this.initialise()
      case 'LA':
        if (this.state_ === 'awaiting_start') return this.initialise() // the PMS answered our LS with LA: describe ourselves anyway
        if (this.state_ === 'awaiting_alive') this.setState('alive')
        return this.armKeepAlive()
      case 'LC': {
        const a0 = field(rec, 'A0')
        // A0 = "<EFT timeout>;<DLS timeout>" in seconds; the key answer uses the last part.
        const secs = a0 ? Number(a0.split(';').at(-1)) : NaN
        if (Number.isInteger(secs) && secs > 0) this.events.answerTimeout?.(secs)
        else if (a0 !== undefined) this.events.problem?.(`LC A0 '${a0}' has no usable timeout`)
        return
      }
      case 'LE':
        this.send(record('LE', this.stamp()))
        return this.fail('link ended by the PMS (LE)')
      default:
        if (!KEY_REQUEST_TYPES.has(rec.type)) return this.events.problem?.(`record ${rec.type} ignored (not used by a key system)`)
        if (this.state_ !== 'alive') return this.events.problem?.(`${rec.type} before the link is alive ignored`)
        this.armKeepAlive()
        return this.dispatch(rec)
    }
  }

  private dispatch(rec: FiasRecord): void {
    const generation = this.generation
    this.events.request(rec, (answer) => {
      if (this.state_ !== 'alive' || this.generation !== generation) return false
      this.send(answer)
      return true
    })
  }

  private initialise(): void {
    this.generation++
    const at = this.stamp()
    this.send(record('LD', { ...at, 'V#': this.opts.version ?? '1.0', IF: 'DL', RT: '128' }))
    for (const lr of KEY_LINK_RECORDS) this.send(lr)
    this.send(record('LA', this.stamp()))
    this.setState('awaiting_alive')
    this.arm(this.answerWaitMs, () => this.fail('no LA from the PMS after start-up'))
  }

  private armKeepAlive(): void {
    if (this.state_ !== 'alive') return
    this.arm(this.keepAliveMs, () => {
      this.send(record('LS', this.stamp()))
      // The PMS answers LA (alive) or LS (re-init); silence means the link is gone.
      this.arm(this.answerWaitMs, () => this.fail('no answer to the link check'))
    })
  }

  private fail(reason: string): void {
    if (this.state_ === 'closed') return
    this.stop()
    this.close(reason)
  }

  private send(rec: FiasRecord): void {
    if (this.state_ === 'closed') return
    this.events.record?.('out', rec)
    this.write(encodeFrame(encodeRecord(rec, this.opts.page)))
  }

  private stamp(): { DA: string; TI: string } {
    const now = this.opts.clock.now()
    return { DA: fiasDate(now, this.opts.timeZone), TI: fiasClock(now, this.opts.timeZone) }
  }

  private arm(ms: number, fn: () => void): void {
    this.disarm()
    this.timer = this.opts.timers.setTimeout(() => {
      this.timer = null
      fn()
    }, ms)
  }

  private disarm(): void {
    if (this.timer !== null) this.opts.timers.clearTimeout(this.timer)
    this.timer = null
  }

  private setState(s: LinkState): void {
    if (s === this.state_) return
    this.state_ = s
    this.events.state?.(s)
  }
}
