// The FIAS rules around a key request, whatever makes the key (docs/fias.md §answers): one request at a
// time per encoder (a second one answers BY at once, never queued: the PMS waits only its timeout); an
// answer before the PMS's timeout, else RY and the attempt is cancelled so no half-made card is valid;
// a malformed request answers UR saying what is wrong. The PMS never retries a negative answer.
import type { Clock } from '../kernel/clock.js'
import { fiasClock, fiasDate } from './fias-time.js'
import {
  type KeyAnswer,
  keyAnswerRecord,
  type KeyRequest,
  parseKeyRequest,
  type ReadAnswer,
  readAnswerRecord,
} from './key-records.js'
import type { Timers } from './link-session.js'
import type { FiasRecord } from './record.js'

/** What makes, deletes, moves and reads keys: src/app behind it, a fake in unit tests. */
export interface KeyService {
  /** Resolve with the answer. When signal aborts, stop and leave no valid card behind; the answer is then ignored. */
  handle(request: KeyRequest, signal: AbortSignal): Promise<KeyAnswer | ReadAnswer>
}

export interface KeyDeskOptions {
  clock: Clock
  timers: Timers
  timeZone?: string
  /** The PMS's timeout (LC A0 or config); we answer RY this much earlier so the RY arrives in time. */
  answerTimeoutMs: () => number
  marginMs?: number
}

export interface KeyDeskEvents {
  /** The request as parsed, and the answer sent (or not sent: the link re-initialised meanwhile). */
  answered?(exchange: {
    /** The request record as received, and when. */
    incoming: FiasRecord
    receivedAt: number
    request: KeyRequest | null
    outgoing: FiasRecord
    answer: KeyAnswer
    delivered: boolean
    elapsedMs: number
  }): void
  /** An error thrown by the key service (answered RY with its message). */
  failed?(request: KeyRequest, error: unknown): void
}

/** Requests that wait for a card on KC; KD needs none, so it never meets BY. */
function usesEncoder(r: KeyRequest): boolean {
  return r.kind !== 'delete_keys'
}

export class KeyDesk {
  private readonly busy = new Set<string>()
  private readonly running = new Set<AbortController>()

  constructor(
    private readonly service: KeyService,
    private readonly opts: KeyDeskOptions,
    private readonly events: KeyDeskEvents = {},
  ) {}

  /** Encoders with a request running (including one whose RY went out and whose cancel is still finishing). */
  get busyEncoders(): ReadonlySet<string> {
    return this.busy
  }

  /**
   * The link dropped or re-initialised: the PMS has given up on every request in flight and assumes no
   * key was made, so each is cancelled (and its answer, if any, is dropped by the link).
   */
  abortAll(reason: string): void {
    for (const c of this.running) c.abort(new Error(reason))
  }

  /** The LinkEvents.request handler. */
  handle(rec: FiasRecord, reply: (answer: FiasRecord) => boolean): void {
    const started = this.opts.clock.now()
    const parsed = parseKeyRequest(rec)
    if (!parsed.ok) {
      const out = keyAnswerRecord({ encoder: parsed.encoder, workstation: parsed.workstation }, parsed.answer, this.stamp())
      const delivered = reply(out)
      this.events.answered?.({ incoming: rec, receivedAt: started, request: null, outgoing: out, answer: parsed.answer, delivered, elapsedMs: 0 })
      return
    }
    const request = parsed.request
    const send = (answer: KeyAnswer | ReadAnswer) => {
      const out = this.toRecord(request, answer)
      const delivered = reply(out)
      this.events.answered?.({ incoming: rec, receivedAt: started, request, outgoing: out, answer, delivered, elapsedMs: this.opts.clock.now() - started })
    }
    const encoderKey = request.encoder
    if (usesEncoder(request) && this.busy.has(encoderKey)) return send({ status: 'BY', text: 'Encoder busy' })
    if (usesEncoder(request)) this.busy.add(encoderKey)

    const abort = new AbortController()
    this.running.add(abort)
    let settled = false
    const budget = Math.max(0, this.opts.answerTimeoutMs() - (this.opts.marginMs ?? 1_000))
    const timer = this.opts.timers.setTimeout(() => {
      if (settled) return
      settled = true
      abort.abort(new Error('FIAS answer timeout'))
      send({ status: 'RY', text: request.kind === 'delete_keys' ? 'Timed out' : 'No card on encoder' })
    }, budget)

    let work: Promise<KeyAnswer | ReadAnswer>
    try {
      work = this.service.handle(request, abort.signal)
    } catch (err) {
      work = Promise.reject(err)
    }
    work
      .then(
        (answer) => {
          if (settled) return
          settled = true
          send(answer)
        },
        (err: unknown) => {
          this.events.failed?.(request, err)
          if (settled) return
          settled = true
          send({ status: 'RY', text: err instanceof Error ? err.message : String(err) })
        },
      )
      .finally(() => {
        this.opts.timers.clearTimeout(timer)
        this.running.delete(abort)
        if (usesEncoder(request)) this.busy.delete(encoderKey)
      })
  }

  private toRecord(request: KeyRequest, answer: KeyAnswer | ReadAnswer): FiasRecord {
    const to = { encoder: request.encoder, workstation: request.workstation }
    if (request.kind === 'read_key') return readAnswerRecord(to, answer, this.stamp())
    const reservation = 'reservation' in request ? request.reservation : undefined
    return keyAnswerRecord({ ...to, ...(reservation ? { reservation } : {}) }, answer, this.stamp())
  }

  private stamp(): { date: string; time: string } {
    const now = this.opts.clock.now()
    return { date: fiasDate(now, this.opts.timeZone), time: fiasClock(now, this.opts.timeZone) }
  }
}
