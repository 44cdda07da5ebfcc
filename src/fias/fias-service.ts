// The FIAS front door as a daemon service: the link client to the PMS, the key desk's answer rules, and
// a lockstep event for every key request and answer (and for the link coming up or going down).
import type { Clock } from '../kernel/clock.js'
import { codePage, type CodePageName } from './code-page.js'
import { KeyDesk, type KeyService } from './key-desk.js'
import { FiasLinkClient } from './link-client.js'
import type { LinkState, Timers } from './link-session.js'
import { recordText } from './record.js'

export interface FiasSettings {
  url: string
  code_page: CodePageName
  /** The PMS's key-answer timeout until LC A0 says otherwise. */
  answer_timeout_seconds: number
  time_zone: string
}

/** A lockstep-prefixed event for the log (design rule 9); the caller appends it through src/app. */
export type FiasEvent = { event_type: `lockstep.fias.${string}`; occurred_at?: number } & Record<string, unknown>

export interface FiasServiceDeps {
  keys: KeyService
  clock: Clock
  timers: Timers
  /** Appends events in one transaction (a request and its answer go together: one commit per key, not two). */
  events: (e: FiasEvent[]) => void
  log?: { info(o: object, msg: string): void; warn(o: object, msg: string): void }
  /** Link tuning for tests; defaults follow the FIAS specification. */
  link?: { startWaitMs?: number; answerWaitMs?: number; keepAliveMs?: number; backoffMs?: number; maxBackoffMs?: number }
}

export class FiasService {
  readonly name = 'fias'
  private readonly client: FiasLinkClient
  private readonly desk: KeyDesk
  private answerTimeoutSec: number

  constructor(
    private readonly settings: FiasSettings,
    deps: FiasServiceDeps,
  ) {
    this.answerTimeoutSec = settings.answer_timeout_seconds
    this.desk = new KeyDesk(
      deps.keys,
      { clock: deps.clock, timers: deps.timers, timeZone: settings.time_zone, answerTimeoutMs: () => this.answerTimeoutSec * 1000 },
      {
        answered: (x) =>
          deps.events([
            { event_type: 'lockstep.fias.key_request_received', occurred_at: x.receivedAt, record: recordText(x.incoming), request_kind: x.request?.kind ?? null },
            {
              event_type: 'lockstep.fias.key_answer_sent',
              record: recordText(x.outgoing),
              request_record: recordText(x.incoming),
              request_kind: x.request?.kind ?? null,
              encoder: x.request?.encoder ?? null,
              workstation: x.request?.workstation ?? null,
              answer_status: x.answer.status,
              answer_text: x.answer.text,
              // false: the link dropped or re-initialised first, so the PMS never saw it (and assumes no key).
              delivered: x.delivered,
              elapsed_ms: Math.round(x.elapsedMs),
            },
          ]),
        failed: (request, err) => deps.log?.warn({ err, request_kind: request.kind, encoder: request.encoder }, 'FIAS key request failed'),
      },
    )
    let lastState: LinkState | null = null
    this.client = new FiasLinkClient(
      {
        url: settings.url,
        page: codePage(settings.code_page),
        clock: deps.clock,
        timers: deps.timers,
        timeZone: settings.time_zone,
        ...deps.link,
      },
      {
        // The request's event is written with its answer (one commit per key): see KeyDeskEvents.answered.
        request: (rec, reply) => this.desk.handle(rec, reply),
        answerTimeout: (s) => {
          this.answerTimeoutSec = s
        },
        state: (s) => {
          // Any way out of 'alive' (re-init, close) means the PMS forgot what it asked: cancel it.
          if (s !== 'alive') this.desk.abortAll(`FIAS link ${s}`)
          if (s === 'alive' || lastState === 'alive') {
            deps.events([{ event_type: s === 'alive' ? 'lockstep.fias.link_up' : 'lockstep.fias.link_down', url: settings.url, state: s }])
            deps.log?.info({ url: settings.url, state: s }, s === 'alive' ? 'FIAS link alive' : 'FIAS link lost')
          }
          lastState = s
        },
        problem: (message) => deps.log?.warn({ url: settings.url }, `FIAS: ${message}`),
      },
    )
  }

  /** Encoders (KC) with a request running: the lab and tests watch it. */
  get busyEncoders(): ReadonlySet<string> {
    return this.desk.busyEncoders
  }

  get url(): string {
    return this.settings.url
  }

  get state(): string {
    return this.client.state
  }

  /** The key-answer timeout in force (LC A0 from the PMS, else config). */
  get answerTimeoutSeconds(): number {
    return this.answerTimeoutSec
  }

  start(): void {
    this.client.start()
  }

  async stop(): Promise<void> {
    this.desk.abortAll('lockstep stopping')
    await this.client.stop()
  }
}
