// FIAS key requests carried out by the same use cases as the HTTP API (design rule 10): access grants with
// a card method, encoded on the encoder KC names (docs/fias.md §mapping). Nothing here decides a lock rule:
// override vs joiner follows from reservation_key, as for any API client.
import type { CardEncoderAttempts } from '../app/card-encoder-attempts.js'
import type { UseCases } from '../app/index.js'
import { DomainError } from '../domain/errors.js'
import { localDate, localTime, zonedInstant } from './fias-time.js'
import type { KeyService } from './key-desk.js'
import type { KeyAnswer, KeyRequest, ReadAnswer, Stay } from './key-records.js'

export interface FiasMapping {
  rooms: Record<string, string>
  encoders: Record<string, string>
  departure_time_default: string
  time_zone: string
}

type Grant = ReturnType<UseCases['accessGrants']['create']>
type Targets = { acsEntranceIds: string[] } | { spaceIds: string[] }
type Attempt = Awaited<ReturnType<CardEncoderAttempts['settled']>>

/** A request that cannot be carried out, with the answer that says why. */
class Refusal extends Error {
  constructor(readonly answer: KeyAnswer) {
    super(answer.text)
  }
}
const refuse = (status: KeyAnswer['status'], text: string) => new Refusal({ status, text })

/** Offline locks compare with the card's window; starting a few minutes early absorbs clock drift. */
const EARLY_START_MS = 5 * 60_000

export class AppKeyService implements KeyService {
  constructor(
    private readonly uc: UseCases,
    private readonly encoding: CardEncoderAttempts,
    private readonly map: FiasMapping,
  ) {}

  async handle(request: KeyRequest, signal: AbortSignal): Promise<KeyAnswer | ReadAnswer> {
    try {
      switch (request.kind) {
        case 'make_key':
          return request.keyType === 'one_shot' ? await this.oneShot(request, signal) : await this.guestKey(request, signal)
        case 'delete_keys':
          return this.checkout(request)
        case 'modify_keys':
          return request.oldRoom !== undefined ? await this.move(request, signal) : await this.changeStay(request, signal)
        case 'read_key':
          return await this.read(request, signal)
      }
    } catch (err) {
      if (err instanceof Refusal) return err.answer
      // A reservation rule or bad input refused by the use case: the PMS must not retry it as is.
      if (err instanceof DomainError && err.status < 500) return { status: 'UR', text: err.message }
      throw err
    }
  }

  // ------------------------------------------------------------------ KR

  /** KTN: a new reservation on the room (override); KTD: a joiner on the same reservation. */
  private async guestKey(r: Extract<KeyRequest, { kind: 'make_key' }>, signal: AbortSignal): Promise<KeyAnswer> {
    const targets = this.room(r.room)
    const encoderId = this.encoder(r.encoder)
    const reservationKey = r.reservation!
    const window = this.window(r)
    const grants = this.uc.accessGrants
    // KTN cancels the room's existing keys (S1): this reservation's own, so its card takes a fresh stamp
    // (override), and the room's earlier reservations, whose cards stop at this card's first use.
    const ended = r.keyType === 'new'
      ? [...grants.list({ reservationKey }), ...grants.list(this.roomFilter(targets)).filter((g) => g.reservationKey !== null)]
      : []
    const grant = grants.create({
      replacing: [...new Set(ended.map((g) => g.accessGrantId))],
      userIdentity: { userIdentityKey: `fias-guest-${reservationKey}`, fullName: r.guestName ?? null },
      requested: [{ mode: 'card' }],
      targets,
      startsAt: window.startsAt,
      endsAt: window.endsAt,
      name: `FIAS ${reservationKey} room ${r.room}`,
      accessGrantKey: null,
      reservationKey,
    })
    await this.encodeOrUndo(grant, encoderId, signal, [grant])
    const n = grants.list({ reservationKey }).filter((g) => this.cardMethod(g)?.isIssued).length
    return { status: 'OK', text: `Key ${n} OK` }
  }

  /** KTO: a staff-style card (no reservation: it neither overrides nor is overridden) ending today. */
  private async oneShot(r: Extract<KeyRequest, { kind: 'make_key' }>, signal: AbortSignal): Promise<KeyAnswer> {
    const targets = this.room(r.room)
    const encoderId = this.encoder(r.encoder)
    const now = this.uc.now()
    const today = localDate(now, this.map.time_zone)
    const at = r.departureTime ? zonedInstant(today, r.departureTime, this.map.time_zone) : NaN
    const endsAt = at > now ? at : zonedInstant(today, '23:59', this.map.time_zone) + 59_000
    const grant = this.uc.accessGrants.create({
      userIdentity: { fullName: r.guestName ?? `One-shot room ${r.room}` },
      requested: [{ mode: 'card' }],
      targets,
      startsAt: now - EARLY_START_MS,
      endsAt,
      name: `FIAS one-shot room ${r.room}`,
      accessGrantKey: null,
      reservationKey: null,
    })
    await this.encodeOrUndo(grant, encoderId, signal, [grant])
    return { status: 'OK', text: 'One-shot OK' }
  }

  // ------------------------------------------------------------------ KD

  /** Check-out always answers OK: the PMS marks the keys deleted whatever we say. */
  private checkout(r: Extract<KeyRequest, { kind: 'delete_keys' }>): KeyAnswer {
    const grants = this.uc.accessGrants
    let found: Grant[] = []
    if (r.reservation) found = grants.list({ reservationKey: r.reservation })
    else if (r.room && this.map.rooms[r.room] !== undefined) {
      found = grants.list(this.roomFilter(this.room(r.room))).filter((g) => g.reservationKey !== null)
    }
    grants.deleteMany(found.map((g) => g.accessGrantId))
    return { status: 'OK', text: found.length ? `Deleted (${found.length})` : 'Deleted' }
  }

  // ------------------------------------------------------------------ KM

  /** Room move: the reservation's door set changes, so its grants go and one on the new room is encoded. */
  private async move(r: Extract<KeyRequest, { kind: 'modify_keys' }>, signal: AbortSignal): Promise<KeyAnswer> {
    const targets = this.room(r.room)
    const encoderId = this.encoder(r.encoder)
    const reservationKey = r.reservation!
    const grants = this.uc.accessGrants
    const existing = grants.list({ reservationKey })
    const first = existing[0]
    const window = this.window(r, first)
    // One transaction: the old room's grants go as the new room's is made (a refused grant leaves them).
    const grant = grants.create({
      replacing: existing.map((g) => g.accessGrantId),
      ...(first ? { userIdentityId: first.userIdentityId } : { userIdentity: { userIdentityKey: `fias-guest-${reservationKey}`, fullName: r.guestName ?? null } }),
      requested: [{ mode: 'card' }],
      targets,
      startsAt: window.startsAt,
      endsAt: window.endsAt,
      name: `FIAS ${reservationKey} room ${r.room}`,
      accessGrantKey: null,
      reservationKey,
    })
    await this.encodeOrUndo(grant, encoderId, signal, [])
    return { status: 'OK', text: 'Moved' }
  }

  /** Stay change: new dates on the reservation's grants (encoding_required), then the card is re-encoded. */
  private async changeStay(r: Extract<KeyRequest, { kind: 'modify_keys' }>, signal: AbortSignal): Promise<KeyAnswer> {
    const encoderId = this.encoder(r.encoder)
    const grants = this.uc.accessGrants
    const existing = grants.list({ reservationKey: r.reservation! })
    if (existing.length === 0) throw refuse('UR', `No keys for reservation ${r.reservation}`)
    this.room(r.room)
    const window = this.window(r, existing[0])
    for (const g of existing) grants.update({ id: g.accessGrantId }, { startsAt: window.startsAt, endsAt: window.endsAt })
    await this.encodeOrUndo(grants.get({ id: existing[0]!.accessGrantId }), encoderId, signal, [])
    return { status: 'OK', text: 'Key updated' }
  }

  // ------------------------------------------------------------------ KZ

  private async read(r: Extract<KeyRequest, { kind: 'read_key' }>, signal: AbortSignal): Promise<ReadAnswer> {
    const encoderId = this.encoder(r.encoder)
    const attempt = await this.encoding.settled(this.encoding.scan(encoderId, { signal }).actionAttemptId)
    if (attempt.status !== 'success') throw this.attemptFailure(attempt)
    const meta = (attempt.result?.lockstep_card_metadata ?? {}) as Record<string, unknown>
    if (meta.card_status !== 'valid') throw refuse('UR', meta.card_status === 'blank' ? 'Blank card' : 'Not a key of this hotel')
    const entranceIds = (meta.acs_entrance_ids as Array<string | null>) ?? []
    const names = new Map(this.uc.acs.entrances().map((e) => [e.acsEntranceId, e.displayName]))
    const roomOf = (name: string | undefined) => Object.entries(this.map.rooms).find(([, n]) => n === name)?.[0]
    const room = entranceIds.map((id) => roomOf(names.get(id ?? ''))).find((x) => x !== undefined)
    const endsAt = typeof meta.ends_at === 'string' ? Date.parse(meta.ends_at) : null
    const userId = meta.user_identity_id as string | null
    let guestName: string | undefined
    if (userId) {
      try {
        guestName = this.uc.userIdentities.get({ id: userId }).fullName ?? undefined
      } catch {
        guestName = undefined
      }
    }
    const notes = [meta.is_overridden ? 'overridden' : null, meta.is_cancelled ? 'deleted' : null, meta.is_expired ? 'expired' : null].filter(Boolean)
    return {
      status: 'OK',
      text: notes.length ? `Key Read OK (${notes.join(', ')})` : 'Key Read OK',
      ...(room !== undefined ? { room } : {}),
      ...(typeof meta.reservation_key === 'string' ? { reservation: meta.reservation_key } : {}),
      ...(guestName ? { guestName } : {}),
      ...(endsAt !== null ? { departure: localDate(endsAt, this.map.time_zone), departureTime: localTime(endsAt, this.map.time_zone) } : {}),
    }
  }

  // ------------------------------------------------------------------ helpers

  /**
   * Encodes the grant's card and waits for the attempt. On any failure (no card, cancelled at the PMS's
   * timeout, encoder fault) the grants made for this request are deleted, so nothing the PMS was told
   * failed stays valid in lockstep.
   */
  private async encodeOrUndo(grant: Grant, encoderId: string, signal: AbortSignal, undo: Grant[]): Promise<void> {
    const method = this.cardMethod(grant)
    if (!method) throw refuse('UR', 'The room has no card entrance')
    const started = this.encoding.encode(encoderId, { accessMethodId: method.accessMethodId }, { signal })
    const attempt = await this.encoding.settled(started.actionAttemptId)
    if (attempt.status === 'success' && !signal.aborted) return
    // A card written in the instant the PMS gave up is revoked with its grant: the PMS assumes no key.
    this.uc.accessGrants.deleteMany(undo.map((g) => g.accessGrantId))
    throw this.attemptFailure(attempt)
  }

  private attemptFailure(attempt: Attempt): Refusal {
    const type = attempt.error?.type ?? 'action_attempt_expired'
    if (type === 'no_credential_on_encoder' || type === 'action_attempt_expired') return refuse('RY', 'No card on encoder')
    if (type === 'credential_cannot_be_reissued') return refuse('UR', 'Key cannot be made again')
    const cause: Record<string, string> = {
      encoding_interrupted: 'Card removed while writing',
      incompatible_card_format: 'Card not usable',
      encoder_not_online: 'Encoder offline',
      encoder_communication_timeout: 'Encoder not answering',
      bridge_disconnected: 'Encoder offline',
    }
    return refuse('RY', cause[type] ?? attempt.error?.message ?? 'Encoding failed')
  }

  private cardMethod(g: Grant) {
    return this.uc.accessGrants.methodsOf(g.accessGrantId).find((m) => m.mode === 'card' && m.deletedAt === null)
  }

  /** RN → the entrance (or space) the config names; an unmapped room is UR with clear text. */
  private room(rn: string): Targets {
    const name = this.map.rooms[rn]
    if (name === undefined) throw refuse('UR', `Unknown room ${rn}`)
    const entrance = this.uc.acs.entrances().find((e) => e.displayName === name)
    if (entrance) return { acsEntranceIds: [entrance.acsEntranceId] }
    const space = this.uc.spaces.list({ search: name }).find((s) => s.name === name)
    if (space) return { spaceIds: [space.spaceId] }
    throw refuse('UR', `Room ${rn}: no door "${name}"`)
  }

  private roomFilter(t: Targets): { acsEntranceId: string } | { spaceId: string } {
    return 'acsEntranceIds' in t ? { acsEntranceId: t.acsEntranceIds[0]! } : { spaceId: t.spaceIds[0]! }
  }

  /** KC → the encoder; one another door (the console, the API) is using answers BY at once, never queues. */
  private encoder(kc: string): string {
    const name = this.map.encoders[kc]
    if (name === undefined) throw refuse('UR', `Unknown encoder ${kc}`)
    const found = this.uc.acs.encoders().find((e) => e.displayName === name)
    if (!found) throw refuse('UR', `Encoder ${kc}: no encoder "${name}"`)
    if (this.encoding.isBusy(found.acsEncoderId)) throw refuse('BY', 'Encoder busy')
    return found.acsEncoderId
  }

  /** GA (else now) to GD at DT (else the site's default time), in the property's zone. */
  private window(r: Stay, current?: Grant): { startsAt: number; endsAt: number } {
    const now = this.uc.now()
    const tz = this.map.time_zone
    const today = localDate(now, tz)
    const startsAt = r.arrival && r.arrival > today ? zonedInstant(r.arrival, '00:00', tz) : (current?.startsAt ?? now - EARLY_START_MS)
    let endsAt: number
    if (r.departure) endsAt = zonedInstant(r.departure, r.departureTime ?? this.map.departure_time_default, tz)
    else if (current?.endsAt != null) endsAt = current.endsAt
    else {
      // No departure at all: the next time the default departure time comes round.
      endsAt = zonedInstant(today, r.departureTime ?? this.map.departure_time_default, tz)
      if (endsAt <= now) endsAt += 86_400_000
    }
    if (endsAt <= now) throw refuse('UR', 'Departure is in the past')
    if (endsAt <= startsAt) throw refuse('UR', 'Departure before arrival')
    return { startsAt, endsAt }
  }
}
