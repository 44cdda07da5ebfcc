// Card encoder attempts, the offline card path (docs/card-encoding.md): ENCODE_CREDENTIAL and SCAN_CREDENTIAL action
// attempts over an EncoderDriver per encoder. The attempt is created at once; the background work waits
// for a card (bounded), builds the image from the grant (stamp from the site allocator, MAC), writes and
// reads back through the driver, then records the card and issues the method in one transaction.
// What a card is reported as (Seam's acs_credential, a scan's result) is in card-reports.ts.
import { performance } from 'node:perf_hooks'
import { CARD_DATA_BLOCKS, decodeCard, type CardLevel, type Stamp } from '../protocols/lockstep-card/card.js'
import { issueCardImage, type CardGrantFacts } from '../domain/card-image-plan.js'
import type { SiteKeys } from '../protocols/lockstep-card/keys.js'
import { DomainError } from '../domain/errors.js'
import type { Logger } from '../log.js'
import type { MetricsSink } from '../metrics.js'
import type { CardHandle, EncoderDriver } from '../ports/encoder-driver.js'
import { EncoderError } from '../ports/errors.js'
import type { ActionAttempt } from '../store/action-attempts.js'
import { cardEncodingJob, markCardEncoded, type CardEncodingJob } from './card-methods.js'
import type { Store } from '../store/store.js'
import { credentialWire, OPEN_END_SEC, scanReport } from './card-reports.js'

export interface CardEncoderAttemptsOptions {
  store: Store
  keys: SiteKeys
  /** One driver per encoder, keyed by acs_encoder_id. An encoder without one is never online. */
  drivers: Map<string, EncoderDriver>
  log: Logger
  /** How long an attempt waits for a card on the encoder (then `no_credential_on_encoder`). */
  cardWaitMs?: number
  /** Hard bound on one attempt, queueing included (then `action_attempt_expired`). */
  attemptTimeoutMs?: number
  /** Encode durations (wait for card + write + read back), by outcome. */
  metrics?: MetricsSink
}

export interface AttemptOptions {
  /** Aborting it cancels the attempt: no card is written after that, and the attempt ends expired. */
  signal?: AbortSignal
}

export type EncodeTarget = { accessMethodId: string } | { acsCredentialId: string }

interface CardPlan {
  facts: CardGrantFacts
  job: CardEncodingJob
  level: CardLevel
  joiner: boolean
  doorSet: string[] | null
  addresses: number[]
}

export class CardEncoderAttempts {
  private readonly queues = new Map<string, Promise<unknown>>()
  private readonly running = new Set<AbortController>()
  private readonly settling = new Map<string, Promise<void>>()
  /** Attempts per encoder not yet done with the driver (queued, waiting for a card, writing). */
  private readonly active = new Map<string, number>()
  private readonly cardWaitMs: number
  private readonly attemptTimeoutMs: number

  constructor(private readonly opts: CardEncoderAttemptsOptions) {
    this.cardWaitMs = opts.cardWaitMs ?? 30_000
    this.attemptTimeoutMs = opts.attemptTimeoutMs ?? 50_000
  }

  private readonly reached = new Set<string>()

  private get store(): Store {
    return this.opts.store
  }

  encoderOnline(acsEncoderId: string): boolean {
    return this.opts.drivers.get(acsEncoderId)?.isOnline(acsEncoderId) ?? false
  }

  /** Opens an encoder's link (the lab's at start, a site's on first use); from then on it counts in /health. */
  async wake(acsEncoderId: string): Promise<void> {
    this.reached.add(acsEncoderId)
    await this.opts.drivers.get(acsEncoderId)?.start()
  }

  /** Encoders lockstep has tried to reach that are not answering now. */
  offlineEncoders(): string[] {
    return [...this.reached].filter((id) => !this.encoderOnline(id))
  }

  // ------------------------------------------------------------------ API entry points (synchronous)

  /** Validates ids, creates a pending ENCODE_CREDENTIAL attempt, and encodes in the background. */
  encode(acsEncoderId: string, target: EncodeTarget, opts: AttemptOptions = {}): ActionAttempt {
    this.store.acs.encoder(acsEncoderId)
    const accessMethodId = this.methodOf(target)
    cardEncodingJob(this.store, accessMethodId) // 404 / 400 now, not as a failed attempt
    return this.start('ENCODE_CREDENTIAL', acsEncoderId, (signal) => this.runEncode(acsEncoderId, accessMethodId, signal), opts.signal)
  }

  /** Creates a pending SCAN_CREDENTIAL attempt that reports what is on the card on the encoder. */
  scan(acsEncoderId: string, opts: AttemptOptions = {}): ActionAttempt {
    this.store.acs.encoder(acsEncoderId)
    return this.start('SCAN_CREDENTIAL', acsEncoderId, (signal) => this.runScan(acsEncoderId, signal), opts.signal)
  }

  private methodOf(target: EncodeTarget): string {
    if ('accessMethodId' in target) return target.accessMethodId
    const card = this.store.cardCredentials.byCredentialId(target.acsCredentialId)
    if (!card) throw new DomainError('acs_credential_not_found', `ACS credential not found: ${target.acsCredentialId}`, 404)
    if (!card.accessMethodId || !this.store.accessGrants.findMethod(card.accessMethodId)) {
      throw new DomainError('credential_cannot_be_reissued', 'The access method of this credential was deleted; it cannot be encoded again', 400)
    }
    return card.accessMethodId
  }

  // ------------------------------------------------------------------ attempt lifecycle

  /** Whether an attempt holds or waits for this encoder (another door asking for it answers "busy"). */
  isBusy(acsEncoderId: string): boolean {
    return (this.active.get(acsEncoderId) ?? 0) > 0
  }

  /** The attempt once it has ended (at once if it already has). */
  async settled(actionAttemptId: string): Promise<ActionAttempt> {
    await this.settling.get(actionAttemptId)
    return this.store.actionAttempts.get(actionAttemptId)
  }

  private start(
    actionType: 'ENCODE_CREDENTIAL' | 'SCAN_CREDENTIAL',
    acsEncoderId: string,
    work: (signal: AbortSignal) => Promise<Record<string, unknown>>,
    cancel?: AbortSignal,
  ): ActionAttempt {
    const store = this.store
    const attempt = store.tx(() => store.actionAttempts.create(actionType, null))
    const id = attempt.actionAttemptId
    const ctl = new AbortController()
    this.running.add(ctl)
    // A caller that gives up (the FIAS front door at the PMS's timeout) ends the attempt as expired.
    if (cancel?.aborted) ctl.abort(cancel.reason)
    else cancel?.addEventListener('abort', () => ctl.abort(cancel.reason), { once: true })
    const timer = setTimeout(() => ctl.abort(new EncoderError('uncategorized_error', 'timed out')), this.attemptTimeoutMs)
    timer.unref()
    const expired = new Promise<never>((_, reject) =>
      ctl.signal.addEventListener('abort', () => reject(Object.assign(new Error('The action did not complete in time'), { expired: true })), { once: true }),
    )
    expired.catch(() => undefined)
    // One card operation per encoder at a time; a queued attempt still ends within its own bound.
    // The next attempt on this encoder starts only once this one's driver work has settled (not merely its
    // attempt): an expired attempt may still be writing, and the PN532 does one thing at a time.
    const prev = this.queues.get(acsEncoderId) ?? Promise.resolve()
    let driverWork: Promise<unknown> = Promise.resolve()
    const run = prev.then(() => {
      if (ctl.signal.aborted) throw Object.assign(new Error('The action did not complete in time'), { expired: true })
      const w = work(ctl.signal)
      driverWork = w.catch(() => undefined)
      return Promise.race([w, expired])
    })
    const began = performance.now()
    const observe = (outcome: 'success' | 'error') => {
      if (actionType === 'ENCODE_CREDENTIAL') this.opts.metrics?.encodeDuration((performance.now() - began) / 1000, outcome)
    }
    const settled = run.then(
      (result) => (observe('success'), this.finish(id, { result })),
      (err: unknown) => {
        observe('error')
        const error = actionType === 'SCAN_CREDENTIAL' ? scanError(this.errorOf(err)) : this.errorOf(err)
        if (error.type !== 'no_credential_on_encoder') this.opts.log.warn({ action_attempt_id: id, action_type: actionType, err: error }, 'card encoder attempt failed')
        this.finish(id, { error })
      },
    ).finally(() => {
      clearTimeout(timer)
      this.running.delete(ctl)
    })
    this.active.set(acsEncoderId, (this.active.get(acsEncoderId) ?? 0) + 1)
    const released = settled.then(() => driverWork).then(() => undefined)
    void released.then(() => {
      const n = (this.active.get(acsEncoderId) ?? 1) - 1
      if (n > 0) this.active.set(acsEncoderId, n)
      else this.active.delete(acsEncoderId)
    })
    this.queues.set(acsEncoderId, released)
    this.settling.set(id, settled.finally(() => this.settling.delete(id)))
    return store.actionAttempts.get(id)
  }

  private finish(id: string, outcome: { result: Record<string, unknown> } | { error: { type: string; message: string } }): void {
    if (!this.store.db.open) return
    this.store.tx(() => this.store.actionAttempts.finish(id, outcome))
  }

  private errorOf(err: unknown): { type: string; message: string } {
    if (err instanceof EncoderError) return { type: err.type, message: err.message }
    if ((err as { expired?: boolean })?.expired) return { type: 'action_attempt_expired', message: 'The action did not complete in time' }
    if (err instanceof DomainError && err.status === 404) return { type: 'credential_deleted', message: err.message }
    if (err instanceof DomainError) return { type: 'uncategorized_error', message: err.message }
    return { type: 'uncategorized_error', message: (err as Error)?.message ?? String(err) }
  }

  private async driverFor(acsEncoderId: string): Promise<EncoderDriver> {
    const driver = this.opts.drivers.get(acsEncoderId)
    if (!driver) throw new EncoderError('encoder_not_online', 'No encoder hardware is configured for this encoder (serial_path)')
    // Lazily (re)open: a real port opens on first use and again after it dropped.
    if (!driver.isOnline(acsEncoderId)) await this.wake(acsEncoderId)
    return driver
  }

  private async waitForCard(acsEncoderId: string, signal: AbortSignal): Promise<{ driver: EncoderDriver; handle: CardHandle }> {
    const driver = await this.driverFor(acsEncoderId)
    const handle = await driver.waitForCard(acsEncoderId, this.cardWaitMs, signal)
    return { driver, handle }
  }

  // ------------------------------------------------------------------ encode

  private async runEncode(acsEncoderId: string, accessMethodId: string, signal: AbortSignal): Promise<Record<string, unknown>> {
    const { driver, handle } = await this.waitForCard(acsEncoderId, signal)
    const uid = Buffer.from(handle.uid, 'hex')
    const store = this.store
    // The grant as it is now (it may have changed while the attempt waited for a card).
    const plan = store.tx(() => this.plan(cardEncodingJob(store, accessMethodId)))
    // Cancelled while waiting for the card: write nothing, so no half-made card exists.
    if (signal.aborted) throw Object.assign(new Error('The action did not complete in time'), { expired: true })
    await driver.write(handle, issueCardImage(plan.facts, uid, this.opts.keys))
    // The card is on the plastic now: record it even if the attempt expired meanwhile (observed means read back).
    const card = store.tx(() => {
      const job = plan.job
      const at = store.ctx.clock.now()
      const issued = store.cardCredentials.record({
        acsCredentialId: store.ctx.random.uuid(),
        credentialNumber: plan.facts.credentialId,
        cardUid: handle.uid,
        accessMethodId,
        accessGrantId: job.grant.accessGrantId,
        userIdentityId: job.grant.userIdentityId,
        acsEncoderId,
        level: plan.level,
        joiner: plan.joiner,
        reservationKey: job.reservationKey,
        reservationDoorSet: plan.doorSet,
        stamp: plan.facts.stamp,
        startsAt: job.window.startsAt,
        endsAt: job.window.endsAt,
        acsEntranceIds: [...job.entranceIds],
        entranceAddresses: plan.addresses,
        issuedAt: at,
      })
      markCardEncoded(store, accessMethodId, { cardUid: handle.uid, credentialId: issued.acsCredentialId, window: job.window, entranceIds: job.entranceIds, at })
      store.events.append({
        event_type: 'acs_credential.issued',
        connected_account_id: store.acs.connectedAccountId,
        acs_system_id: store.acs.systemId,
        acs_credential_id: issued.acsCredentialId,
      })
      return issued
    })
    return credentialWire(this.store, card)
  }

  /**
   * What goes on the card. Guest (grant with a reservation_key): the reservation's stamp when it already
   * has cards on live grants (joiner), else a fresh override stamp; a re-encode that narrows the window of
   * this method's card also takes a fresh stamp, since a joiner could not revoke the wider old card.
   * Staff (no reservation_key): the staff generation stamp, which guest stamps never touch.
   */
  private plan(job: CardEncodingJob): CardPlan {
    const store = this.store
    const byId = new Map(store.acs.entrances().map((e) => [e.acsEntranceId, e.seq]))
    const addresses = job.entranceIds.map((id) => {
      const a = byId.get(id)
      if (a === undefined) throw new EncoderError('uncategorized_error', `Entrance ${id} is not a card entrance of this site`)
      return a
    })
    if (addresses.length === 0) throw new EncoderError('uncategorized_error', 'The access method opens no card entrance')
    if (addresses.length > 24) throw new EncoderError('incompatible_card_format', 'A card holds at most 24 entrances')
    let level: CardLevel = 'staff'
    let joiner = false
    let stamp: Stamp
    let doorSet: string[] | null = null
    if (job.reservationKey !== null) {
      level = 'guest'
      doorSet = [...(job.reservationEntranceIds.length ? job.reservationEntranceIds : job.capableEntranceIds)].sort()
      const existing = store.cardCredentials.reservationStamp(job.reservationKey, doorSet, (grantId) => store.accessGrants.find(grantId) !== undefined)
      const previous = store.cardCredentials.latestForMethod(job.method.accessMethodId)
      const narrows = previous !== undefined && (job.window.startsAt > previous.startsAt || (job.window.endsAt !== null && (previous.endsAt === null || job.window.endsAt < previous.endsAt)))
      if (existing && !narrows) {
        stamp = existing
        joiner = true
      } else stamp = store.cardCredentials.allocateStamp()
    } else stamp = store.cardCredentials.staffStamp()
    const facts: CardGrantFacts = {
      siteId: store.cardCredentials.siteId,
      credentialId: store.cardCredentials.allocateCredentialNumber(),
      level,
      reservationKey: job.reservationKey,
      stamp,
      startsAtMs: job.window.startsAt,
      endsAtMs: job.window.endsAt ?? OPEN_END_SEC * 1000,
      entrances: addresses,
      joiner,
    }
    return { facts, job, level, joiner, doorSet, addresses }
  }

  // ------------------------------------------------------------------ scan

  private async runScan(acsEncoderId: string, signal: AbortSignal): Promise<Record<string, unknown>> {
    const { driver, handle } = await this.waitForCard(acsEncoderId, signal)
    const uid = Buffer.from(handle.uid, 'hex')
    let blocks: Map<number, Buffer> | null = null
    try {
      blocks = (await driver.read(handle, [...CARD_DATA_BLOCKS])).blocks
    } catch (e) {
      // A card whose sectors open with neither our key nor the transport key: not ours, and unreadable.
      if (!(e instanceof EncoderError && e.type === 'incompatible_card_format')) throw e
    }
    const base = { card_uid: handle.uid }
    if (!blocks) return { acs_credential_on_encoder: null, acs_credential_on_seam: null, warnings: [], lockstep_card_metadata: { ...base, card_status: 'unreadable' } }
    const decoded = decodeCard(blocks, uid, this.opts.keys.kMac, this.store.cardCredentials.siteId)
    if (!decoded.ok) {
      const blank = [...blocks.values()].every((b) => b.every((x) => x === 0))
      return {
        acs_credential_on_encoder: null,
        acs_credential_on_seam: null,
        warnings: [],
        lockstep_card_metadata: { ...base, card_status: blank ? 'blank' : decoded.error, detail: decoded.detail },
      }
    }
    return scanReport(this.store, this.opts.keys.kMac, handle.uid, decoded.fields)
  }

  /** Aborts running attempts (their attempts end as expired) and waits for them. */
  async stop(): Promise<void> {
    for (const c of this.running) c.abort()
    await Promise.allSettled([...this.queues.values()])
  }
}

const SCAN_ERRORS = new Set(['uncategorized_error', 'action_attempt_expired', 'no_credential_on_encoder', 'encoder_not_online', 'encoder_communication_timeout', 'bridge_disconnected'])

/** SCAN_CREDENTIAL admits fewer error types than encoding: a card that left mid-read was not there to scan. */
function scanError(e: { type: string; message: string }): { type: string; message: string } {
  if (SCAN_ERRORS.has(e.type)) return e
  return { type: e.type === 'encoding_interrupted' ? 'no_credential_on_encoder' : 'uncategorized_error', message: e.message }
}
