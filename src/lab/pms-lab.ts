// The lab's hotel PMS: the FIAS PMS simulator listening as IFC8 does, plus the front-desk clerk's hands —
// before each key request it lays a fresh blank card on the encoder KC names, and takes the card off once
// the answer is in, as a clerk does between keys. Lab routes and `lockstep lab pms …` drive it.
import type { Clock } from '../kernel/clock.js'
import { type Exchange, FiasPmsSimulator } from '../../simulators/fias-pms/pms.js'
import type { LabCards } from './control.js'

export interface LabPmsOptions {
  /** 0 = any free port (the usual lab case; the banner prints the one chosen). */
  port: number
  host?: string
  answerTimeoutSec: number
  clock: Clock
  cards?: LabCards
  /** KC → acs_encoder_id of the lab encoder it names (undefined: not mapped). */
  encoderIdFor: (kc: string) => string | undefined
}

export interface KeyExchange {
  request: string
  answer: string | null
  status: string | null
  text: string | null
  elapsed_ms: number
  /** The blank card laid on the encoder for this request (lab cards/… and entrances/present_card take it). */
  card_id: string | null
}

export interface StayInput {
  room: string
  guest?: string
  reservation?: string
  arrival?: string
  departure?: string
  departure_time?: string
  encoder?: string
  workstation?: string
  /** false: lay no card, so the request meets an empty encoder (RY at the PMS's timeout). */
  place_cards?: boolean
}

export class LabPms {
  readonly name = 'lab PMS (FIAS)'
  readonly sim: FiasPmsSimulator
  private nextReservation = 100_001

  constructor(private readonly opts: LabPmsOptions) {
    this.sim = new FiasPmsSimulator({ port: opts.port, host: opts.host ?? '127.0.0.1', clock: opts.clock, answerTimeoutSec: opts.answerTimeoutSec })
  }

  get url(): string {
    return this.sim.url
  }

  async start(): Promise<void> {
    await this.sim.start()
  }

  async stop(): Promise<void> {
    await this.sim.stop()
  }

  /** One KR per key: KTN (or KTD with first: 'duplicate') then KTD after each OK, as a PMS does. */
  async checkin(input: StayInput & { keys?: number; first?: 'new' | 'duplicate' | 'one_shot' }): Promise<{ reservation: string; exchanges: KeyExchange[] }> {
    await this.alive()
    const reservation = input.reservation ?? String(this.nextReservation++)
    const exchanges: KeyExchange[] = []
    const keys = input.keys ?? 1
    for (let i = 0; i < keys; i++) {
      const kt = i > 0 ? 'D' : input.first === 'duplicate' ? 'D' : input.first === 'one_shot' ? 'O' : 'N'
      const ex = await this.withCard(input, () =>
        this.sim.request('KR', [
          ['WS', input.workstation ?? 'FO-PC1'],
          ['KC', input.encoder ?? '1'],
          ['RN', input.room],
          ['KT', kt],
          ...(kt === 'O' && input.reservation === undefined ? [] : ([['G#', reservation]] as Array<[string, string]>)),
          ...opt('GA', input.arrival),
          ...opt('GD', input.departure),
          ...opt('DT', input.departure_time),
          ...opt('GN', input.guest),
        ]),
      )
      exchanges.push(ex)
      if (ex.status !== 'OK') break
    }
    return { reservation, exchanges }
  }

  async checkout(input: { room: string; reservation?: string; encoder?: string; workstation?: string }): Promise<KeyExchange> {
    await this.alive()
    return wire(await this.sim.checkout(input), null)
  }

  /** KM: with old_room a room move, without it a stay change; either way a card is laid for the new key. */
  async move(input: StayInput & { old_room?: string; reservation: string }): Promise<KeyExchange> {
    await this.alive()
    return this.withCard(input, () =>
      this.sim.move({
        room: input.room,
        ...(input.old_room !== undefined ? { oldRoom: input.old_room } : {}),
        reservation: input.reservation,
        ...(input.encoder !== undefined ? { encoder: input.encoder } : {}),
        ...(input.workstation !== undefined ? { workstation: input.workstation } : {}),
        ...(input.arrival !== undefined ? { arrival: input.arrival } : {}),
        ...(input.departure !== undefined ? { departure: input.departure } : {}),
        ...(input.departure_time !== undefined ? { departureTime: input.departure_time } : {}),
        ...(input.guest !== undefined ? { guest: input.guest } : {}),
      }),
    )
  }

  /** KZ: lays the given card (if any) on the encoder and asks what it opens. */
  async read(input: { card_id?: string; encoder?: string; workstation?: string }): Promise<KeyExchange> {
    await this.alive()
    const kc = input.encoder ?? '1'
    const encoderId = this.opts.encoderIdFor(kc)
    const cards = this.opts.cards
    if (input.card_id && cards && encoderId) cards.placeOnEncoder(encoderId, input.card_id)
    try {
      return wire(await this.sim.read({ encoder: kc, ...(input.workstation ? { workstation: input.workstation } : {}) }), input.card_id ?? null)
    } finally {
      if (input.card_id && cards && encoderId) cards.removeFromEncoder(encoderId)
    }
  }

  status(): Record<string, unknown> {
    return { url: this.url, alive: this.sim.isAlive, startups: this.sim.startups, answer_timeout_seconds: this.sim.answerTimeoutSec, late_answers: this.sim.lateAnswers.length }
  }

  private async alive(): Promise<void> {
    if (this.sim.isAlive) return
    // lockstep's FIAS client connects within moments of start; the lab does not wait forever.
    let timer: NodeJS.Timeout | undefined
    await Promise.race([
      this.sim.whenAlive(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('the FIAS link to the lab PMS is not up')), 10_000)
      }),
    ]).finally(() => clearTimeout(timer))
  }

  private async withCard(input: { encoder?: string; place_cards?: boolean }, send: () => Promise<Exchange>): Promise<KeyExchange> {
    const encoderId = this.opts.encoderIdFor(input.encoder ?? '1')
    const cards = this.opts.cards
    const card = input.place_cards !== false && cards && encoderId ? cards.create().card_id : null
    if (card) cards!.placeOnEncoder(encoderId!, card)
    try {
      return wire(await send(), card)
    } finally {
      if (card) cards!.removeFromEncoder(encoderId!)
    }
  }
}

function wire(ex: Exchange, cardId: string | null): KeyExchange {
  const answer = ex.answer ? `${ex.answer.id}|${ex.answer.fields.map(([k, v]) => `${k}${v}|`).join('')}` : null
  return { request: ex.request, answer, status: ex.status, text: ex.text, elapsed_ms: Math.round(ex.elapsedMs * 10) / 10, card_id: cardId }
}

function opt(id: string, value: string | undefined): Array<[string, string]> {
  return value === undefined || value === '' ? [] : [[id, value]]
}

/** Port of a tcp://host:port url (the config has checked its shape). */
export function fiasPort(url: string): number {
  return Number(/:(\d+)\/?$/.exec(url)?.[1] ?? NaN)
}

/** The lab PMS for `fias` config whose url has port 0 (a service: its url, once started, is what lockstep dials). */
export function labPmsFor(
  fias: { url: string; encoders: Record<string, string>; answer_timeout_seconds: number },
  deps: { clock: Clock; cards?: LabCards; encoderIdOf: (name: string) => string | undefined },
): LabPms {
  const host = /^tcp:\/\/(\[[^\]]+\]|[^:/]+):/.exec(fias.url)?.[1]?.replace(/^\[|\]$/g, '') ?? '127.0.0.1'
  const pms = new LabPms({
    port: 0,
    host,
    answerTimeoutSec: fias.answer_timeout_seconds,
    clock: deps.clock,
    ...(deps.cards ? { cards: deps.cards } : {}),
    encoderIdFor: (kc) => {
      const name = fias.encoders[kc]
      return name === undefined ? undefined : deps.encoderIdOf(name)
    },
  })
  return pms
}
