// Seed 001 end to end on the offline card path: SDK 2.32 → access grant with a card method →
// access_methods/encode (ENCODE_CREDENTIAL attempt) → daemon → PN532 driver over the lab's serial link →
// simulated encoder writes a virtual MIFARE card → the card is presented at a simulated offline lock,
// which decides with the override/joiner stamp rule. Security cases go through the lab routes too.
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { SeamActionAttemptFailedError, SeamHttp } from '@seamapi/http'
import { schemas } from 'seam-schemas'
import type { ExchangeEvent } from '../../simulators/pn532-encoder/encoder.js'
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js'
import { labClient } from '../helpers/lab-client.js'

const WAIT = { waitForActionAttempt: { pollingInterval: 100, timeout: 20_000 } } as const
const HOUR = 3_600_000
const DAY = 24 * HOUR
const methodSchema = schemas.batch.shape.access_methods.unwrap().element

let t: TestDaemon
let seam: SeamHttp
let lab: ReturnType<typeof labClient>
let encoder: string
const ent: Record<string, string> = {}

beforeAll(async () => {
  t = await startTestDaemon({ daemon: { encoderCardWaitMs: 1500 } })
  seam = SeamHttp.fromApiKey(t.apiKey, { endpoint: t.url })
  lab = labClient(t.url, t.apiKey)
  for (const e of await seam.acs.entrances.list()) ent[e.display_name] = e.acs_entrance_id
  const encoders = await seam.acs.encoders.list()
  expect(encoders).toHaveLength(1)
  encoder = encoders[0]!.acs_encoder_id
})
afterAll(async () => t?.stop())

const now = async () => Date.parse((await lab('clock/get')).clock.now)
const iso = (ms: number) => new Date(ms).toISOString()
const advance = (seconds: number) => lab('clock/advance', { seconds })
let n = 0
async function grant(opts: { rooms: string[]; from: number; to: number | null; key?: string; name?: string }) {
  const u = await seam.userIdentities.create({ full_name: opts.name ?? `Guest ${++n}`, email_address: `guest${++n}-${Date.now()}@example.com` })
  const g = await seam.accessGrants.create({
    user_identity_id: u.user_identity_id,
    acs_entrance_ids: opts.rooms.map((r) => ent[r]!),
    starts_at: iso(opts.from),
    ...(opts.to !== null ? { ends_at: iso(opts.to) } : {}),
    requested_access_methods: [{ mode: 'card' }],
    ...(opts.key ? { reservation_key: opts.key } : {}),
  })
  const methods = await seam.accessMethods.list({ access_grant_id: g.access_grant_id })
  const card = methods.find((m) => m.mode === 'card')!
  return { grant: g, method: card.access_method_id }
}
const newCard = async (): Promise<string> => (await lab('cards/create')).card.card_id

/** Places the card on the encoder, encodes the method through the SDK, takes the card off again. */
async function encode(method: string, card?: string) {
  const cardId = card ?? (await newCard())
  await lab('encoders/place_card', { acs_encoder_id: encoder, card_id: cardId })
  try {
    const attempt = await seam.accessMethods.encode({ access_method_id: method, acs_encoder_id: encoder }, WAIT)
    schemas.action_attempt.parse(attempt)
    expect(attempt).toMatchObject({ action_type: 'ENCODE_CREDENTIAL', status: 'success', error: null })
    const credential = schemas.acs_credential.parse(attempt.result)
    expect(credential).toMatchObject({ access_method: 'card', is_issued: true, is_managed: true })
    return { cardId, credential: attempt.result as any }
  } finally {
    await lab('encoders/remove_card', { acs_encoder_id: encoder })
  }
}
/** Scans the card on the encoder through the SDK; the attempt and its result are checked against Seam's schema. */
async function scan(card: string) {
  await lab('encoders/place_card', { acs_encoder_id: encoder, card_id: card })
  try {
    const a = await seam.acs.encoders.scanCredential({ acs_encoder_id: encoder }, WAIT)
    schemas.action_attempt.parse(a)
    expect(a).toMatchObject({ action_type: 'SCAN_CREDENTIAL', status: 'success' })
    return a.result as any
  } finally {
    await lab('encoders/remove_card', { acs_encoder_id: encoder })
  }
}
const present = async (room: string, card: string) => (await lab('entrances/present_card', { acs_entrance_id: ent[room]!, card_id: card })).result as {
  granted: boolean; reason: string; mode?: string
}
const opens = async (room: string, card: string, mode?: string) => {
  const r = await present(room, card)
  expect(r, `${card} at ${room}`).toMatchObject({ granted: true, reason: 'granted', ...(mode ? { mode } : {}) })
}
const refused = async (room: string, card: string, reason: string) => {
  expect(await present(room, card), `${card} at ${room}`).toMatchObject({ granted: false, reason })
}

describe('encoders and the encode attempt', () => {
  test('the lab encoder is listed, online, and a valid acs_encoder', async () => {
    const e = await seam.acs.encoders.get({ acs_encoder_id: encoder })
    schemas.acs_encoder.parse(e)
    const raw = (await (await fetch(`${t.url}/acs/encoders/get?acs_encoder_id=${encoder}`, { headers: { authorization: `Bearer ${t.apiKey}` } })).json()) as any
    expect(raw.acs_encoder.lockstep_metadata.is_online).toBe(true)
  })

  test('encode answers a pending attempt at once; success issues the method and clears encoding', async () => {
    const T = await now()
    const { method } = await grant({ rooms: ['Room 101'], from: T - HOUR, to: T + DAY, key: `first-${T}` })
    expect(methodSchema.parse(await seam.accessMethods.get({ access_method_id: method }))).toMatchObject({ is_issued: false, is_encoding_required: true })
    const cardId = await newCard()
    await lab('encoders/place_card', { acs_encoder_id: encoder, card_id: cardId })
    const pending = await seam.accessMethods.encode({ access_method_id: method, acs_encoder_id: encoder }, { waitForActionAttempt: false })
    schemas.action_attempt.parse(pending)
    expect(pending).toMatchObject({ action_type: 'ENCODE_CREDENTIAL', status: 'pending', result: null, error: null })
    const done = await seam.actionAttempts.get({ action_attempt_id: pending.action_attempt_id }, WAIT)
    schemas.action_attempt.parse(done)
    expect(done.status).toBe('success')
    await lab('encoders/remove_card', { acs_encoder_id: encoder })
    const m = methodSchema.parse(await seam.accessMethods.get({ access_method_id: method }))
    expect(m).toMatchObject({ is_issued: true, is_encoding_required: false })
    await opens('Room 101', cardId, 'override')
  })

  test('acs/encoders/encode_credential by access_method_id and by acs_credential_id', async () => {
    const T = await now()
    const { method } = await grant({ rooms: ['Room 102'], from: T - HOUR, to: T + DAY, key: `ec-${T}` })
    const cardId = await newCard()
    await lab('encoders/place_card', { acs_encoder_id: encoder, card_id: cardId })
    const a = await seam.acs.encoders.encodeCredential({ acs_encoder_id: encoder, access_method_id: method }, WAIT)
    schemas.action_attempt.parse(a)
    const cred = schemas.acs_credential.parse(a.result)
    const b = await seam.acs.encoders.encodeCredential({ acs_encoder_id: encoder, acs_credential_id: cred.acs_credential_id }, WAIT)
    expect(schemas.acs_credential.parse(b.result).acs_credential_id).not.toBe(cred.acs_credential_id)
    await lab('encoders/remove_card', { acs_encoder_id: encoder })
    await opens('Room 102', cardId)
  })

  test('no card on the encoder → the attempt fails with no_credential_on_encoder', async () => {
    const T = await now()
    const { method } = await grant({ rooms: ['Room 101'], from: T - HOUR, to: T + DAY, key: `none-${T}` })
    const err = await seam.accessMethods.encode({ access_method_id: method, acs_encoder_id: encoder }, WAIT).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(SeamActionAttemptFailedError)
    expect((err as SeamActionAttemptFailedError<any>).code).toBe('no_credential_on_encoder')
    schemas.action_attempt.parse((err as SeamActionAttemptFailedError<any>).actionAttempt)
    expect((await seam.accessMethods.get({ access_method_id: method })).is_issued).toBe(false)
  })

  test('card pulled mid-encode → encoding_interrupted; a retry on the same card succeeds', async () => {
    const T = await now()
    const { method } = await grant({ rooms: ['Room 103'], from: T - HOUR, to: T + DAY, key: `pull-${T}` })
    const cardId = await newCard()
    const sim = t.daemon.lab!.cardLab!.encoderSimulator(encoder)
    const pull = (e: ExchangeEvent) => {
      if (e.op === 'write') {
        sim.off('exchange', pull)
        void lab('encoders/remove_card', { acs_encoder_id: encoder })
        sim.removeCard() // at once, before this write reaches the card
      }
    }
    sim.on('exchange', pull)
    await lab('encoders/place_card', { acs_encoder_id: encoder, card_id: cardId })
    const err = await seam.accessMethods.encode({ access_method_id: method, acs_encoder_id: encoder }, WAIT).catch((e: unknown) => e)
    sim.off('exchange', pull)
    expect((err as SeamActionAttemptFailedError<any>).code).toBe('encoding_interrupted')
    expect((await seam.accessMethods.get({ access_method_id: method })).is_issued).toBe(false)
    await encode(method, cardId)
    await opens('Room 103', cardId)
  })

  test('unknown encoder or method → 404 at the API, no attempt', async () => {
    const T = await now()
    const { method } = await grant({ rooms: ['Room 101'], from: T - HOUR, to: T + DAY, key: `404-${T}` })
    const e1 = await seam.accessMethods.encode({ access_method_id: method, acs_encoder_id: '00000000-0000-4000-8000-000000000000' }, WAIT).catch((e: any) => e)
    expect(e1.statusCode).toBe(404)
    const e2 = await seam.accessMethods.encode({ access_method_id: '00000000-0000-4000-8000-000000000000', acs_encoder_id: encoder }, WAIT).catch((e: any) => e)
    expect(e2.statusCode).toBe(404)
  })
})

describe('seed 001 scenarios at the doors', () => {
  test('1. back-to-back stays: guest 2\'s first use locks out guest 1 (overridden)', async () => {
    const T = await now()
    const g1 = await grant({ rooms: ['Room 101'], from: T - HOUR, to: T + DAY, key: `stay-a-${T}` })
    // Guest 2 checks in early, while guest 1's card is still inside its window.
    const g2 = await grant({ rooms: ['Room 101'], from: T + 20 * HOUR, to: T + 3 * DAY, key: `stay-b-${T}` })
    const c1 = (await encode(g1.method)).cardId
    const c2 = (await encode(g2.method)).cardId
    await opens('Room 101', c1, 'override')
    await refused('Room 101', c2, 'not_yet_valid')
    await opens('Room 101', c1)
    await advance(21 * 3600)
    await opens('Room 101', c1) // the lock has not met guest 2 yet
    await opens('Room 101', c2, 'override')
    await refused('Room 101', c1, 'overridden')
    await opens('Room 101', c2, 'joiner')
    const audit = (await lab('entrances/audit_log', { acs_entrance_id: ent['Room 101']! })).audit_log as { reason: string }[]
    expect(audit.slice(-3).map((e) => e.reason)).toEqual(['granted', 'overridden', 'granted'])
  })

  test('2. several guests on one stay: both cards open (joiner), in any order', async () => {
    const T = await now()
    const key = `stay-j-${T}`
    const a = await grant({ rooms: ['Room 102'], from: T - HOUR, to: T + 2 * DAY, key })
    const b = await grant({ rooms: ['Room 102'], from: T, to: T + 2 * DAY, key })
    const ca = await encode(a.method)
    const cb = await encode(b.method)
    expect(ca.credential.lockstep_metadata).toMatchObject({ is_joiner: false, level: 'guest' })
    expect(cb.credential.lockstep_metadata).toMatchObject({ is_joiner: true, level: 'guest', stamp: ca.credential.lockstep_metadata.stamp })
    await opens('Room 102', cb.cardId, 'override')
    await opens('Room 102', ca.cardId, 'joiner')
    await opens('Room 102', cb.cardId, 'joiner')
  })

  test('2b. a suite: a subset joiner opens its room only, and both rooms keep the first guest', async () => {
    const T = await now()
    const key = `stay-suite-${T}`
    const main = await grant({ rooms: ['Room 101', 'Room 103'], from: T - HOUR, to: T + 2 * DAY, key })
    const kid = await grant({ rooms: ['Room 103'], from: T - HOUR, to: T + 2 * DAY, key })
    const cm = await encode(main.method)
    const ck = await encode(kid.method)
    expect(ck.credential.lockstep_metadata).toMatchObject({ is_joiner: true, stamp: cm.credential.lockstep_metadata.stamp })
    await opens('Room 103', ck.cardId, 'override')
    await opens('Room 103', cm.cardId, 'joiner')
    await opens('Room 101', cm.cardId, 'override')
    await refused('Room 101', ck.cardId, 'wrong_entrance')
  })

  test('3. relocation: delete, re-issue on the new room with the same key; each card opens only its room', async () => {
    const T = await now()
    const key = `stay-r-${T}`
    const old = await grant({ rooms: ['Room 103'], from: T - HOUR, to: T + 2 * DAY, key })
    const oldCard = (await encode(old.method)).cardId
    await opens('Room 103', oldCard, 'override')
    await seam.accessGrants.delete({ access_grant_id: old.grant.access_grant_id })
    const moved = await grant({ rooms: ['Room 101'], from: T, to: T + 2 * DAY, key })
    const { cardId: newCardId, credential } = await encode(moved.method)
    expect(credential.lockstep_metadata.is_joiner).toBe(false) // a new door set: a new override stamp
    await opens('Room 101', newCardId, 'override')
    await refused('Room 103', newCardId, 'wrong_entrance')
    await refused('Room 101', oldCard, 'wrong_entrance')
    // lockstep knows the old card's grant is gone (the offline lock at Room 103 does not, until overridden).
    const r = await scan(oldCard)
    expect(r.acs_credential_on_seam).toBeNull()
    expect(r.warnings.map((w: any) => w.warning_code)).toEqual(['acs_credential_on_seam_not_found'])
    expect(r.lockstep_card_metadata).toMatchObject({ card_status: 'valid', is_cancelled: true, reservation_key: key, acs_entrance_ids: [ent['Room 103']] })
  })

  test('4. time change → encoding_required → re-encode: the new card opens, the old one is refused', async () => {
    const T = await now()
    const { grant: g, method } = await grant({ rooms: ['Room 103'], from: T - HOUR, to: T + DAY, key: `stay-t-${T}` })
    const oldCard = (await encode(method)).cardId
    await opens('Room 103', oldCard, 'override')
    // Extend the stay by a day.
    await seam.accessGrants.update({ access_grant_id: g.access_grant_id, ends_at: iso(T + 2 * DAY) })
    const stale = await seam.accessGrants.get({ access_grant_id: g.access_grant_id })
    expect(stale.warnings).toEqual([expect.objectContaining({ warning_code: 'encoding_required' })])
    expect((await seam.accessMethods.get({ access_method_id: method })).is_encoding_required).toBe(true)
    const extended = (await encode(method)).cardId
    expect((await seam.accessGrants.get({ access_grant_id: g.access_grant_id })).warnings).toEqual([])
    expect((await seam.accessMethods.get({ access_method_id: method })).is_encoding_required).toBe(false)
    await opens('Room 103', extended, 'joiner')
    expect((await scan(oldCard)).lockstep_card_metadata).toMatchObject({ is_superseded: true, is_expired: false })
    await advance(DAY / 1000 + 600)
    await opens('Room 103', extended)
    await refused('Room 103', oldCard, 'expired')

    // Shorten it: a joiner could not revoke the wider card, so the re-encode takes a fresh override stamp.
    const T2 = await now()
    await seam.accessGrants.update({ access_grant_id: g.access_grant_id, ends_at: iso(T2 + 6 * HOUR) })
    expect((await seam.accessMethods.get({ access_method_id: method })).is_encoding_required).toBe(true)
    const outOfSync = await scan(extended)
    expect(outOfSync.warnings.map((w: any) => w.warning_code)).toEqual(['acs_credential_on_encoder_out_of_sync'])
    const shortened = await encode(method)
    expect(shortened.credential.lockstep_metadata.is_joiner).toBe(false)
    await opens('Room 103', shortened.cardId, 'override')
    await refused('Room 103', extended, 'overridden')
  })

  test('5. a staff card (no reservation_key) is unaffected by any guest override', async () => {
    const T = await now()
    const staff = await grant({ rooms: ['Room 101', 'Room 102', 'Pool'], from: T - HOUR, to: null, name: 'Housekeeping' })
    const { cardId: staffCard, credential } = await encode(staff.method)
    expect(credential.lockstep_metadata.level).toBe('staff')
    await opens('Room 101', staffCard)
    const guest = await grant({ rooms: ['Room 101'], from: T - HOUR, to: T + DAY, key: `stay-s-${T}` })
    const guestCard = (await encode(guest.method)).cardId
    await opens('Room 101', guestCard, 'override')
    await opens('Room 101', staffCard)
    // A second staff card (another grant) shares the staff generation: both keep working.
    const staff2 = await grant({ rooms: ['Room 101'], from: T - HOUR, to: null, name: 'Maintenance' })
    const staffCard2 = (await encode(staff2.method)).cardId
    await opens('Room 101', staffCard2, 'joiner')
    await opens('Room 101', staffCard, 'joiner')
    await opens('Pool', staffCard)
    await opens('Room 101', guestCard, 'joiner')
  })

  test('6. mixed grant: Pool ignores the reservation key (never overrides, never overridden)', async () => {
    const T = await now()
    const m1 = await grant({ rooms: ['Room 102', 'Pool'], from: T - HOUR, to: T + 2 * DAY, key: `stay-m1-${T}` })
    const m2 = await grant({ rooms: ['Room 102', 'Pool'], from: T - HOUR, to: T + 2 * DAY, key: `stay-m2-${T}` })
    const c1 = (await encode(m1.method)).cardId
    const c2 = (await encode(m2.method)).cardId
    await opens('Pool', c2, 'standard')
    await opens('Pool', c1, 'standard')
    await opens('Room 102', c1, 'override')
    await opens('Room 102', c2, 'override')
    await refused('Room 102', c1, 'overridden')
    await opens('Pool', c1, 'standard')
    await refused('Room 103', c1, 'wrong_entrance')
  })
})

describe('security through the lab routes', () => {
  let stayCard: string
  let oldCard: string
  beforeAll(async () => {
    const T = await now()
    const older = await grant({ rooms: ['Room 103'], from: T - HOUR, to: T + 3 * DAY, key: `sec-old-${T}` })
    const newer = await grant({ rooms: ['Room 103'], from: T - HOUR, to: T + 3 * DAY, key: `sec-new-${T}` })
    oldCard = (await encode(older.method)).cardId
    stayCard = (await encode(newer.method)).cardId
  })

  test('a clone (same UID, same bytes) still opens', async () => {
    await opens('Room 103', stayCard)
    const clone = (await lab('cards/clone', { card_id: stayCard })).card.card_id
    await opens('Room 103', clone)
  })

  test('any changed byte → bad_mac', async () => {
    for (const [block, byte] of [[4, 3], [5, 9], [6, 6], [10, 15]] as const) {
      const forged = (await lab('cards/clone', { card_id: stayCard })).card.card_id
      const hex = (await lab('cards/get', { card_id: forged })).card.blocks[block] as string
      const b = Buffer.from(hex, 'hex')
      b[byte] = b[byte]! ^ 0x01
      await lab('cards/write_block', { card_id: forged, block, data: b.toString('hex') })
      await refused('Room 103', forged, 'bad_mac')
    }
  })

  test('a replayed older reservation (copy of an earlier stay\'s card) → overridden', async () => {
    await opens('Room 103', stayCard)
    const replay = (await lab('cards/clone', { card_id: oldCard })).card.card_id
    await refused('Room 103', replay, 'overridden')
  })

  test('scan_credential reports the card, its credential on lockstep, and what lockstep knows', async () => {
    const r = await scan(oldCard)
    expect(r.acs_credential_on_encoder).toMatchObject({ is_issued: true })
    schemas.acs_credential.parse(r.acs_credential_on_seam)
    expect(r.acs_credential_on_encoder.card_number).toBe(r.acs_credential_on_seam.card_number)
    expect(r.warnings).toEqual([])
    expect(r.lockstep_card_metadata).toMatchObject({ card_status: 'valid', level: 'guest', is_overridden: true, is_expired: false, is_cancelled: false, reservation_tag_matches_key: true })
    expect(r.lockstep_card_metadata.overridden_at_acs_entrance_ids).toEqual([ent['Room 103']])
    // A blank card: nothing on it.
    expect(await scan(await newCard())).toMatchObject({ acs_credential_on_encoder: null, acs_credential_on_seam: null, warnings: [], lockstep_card_metadata: { card_status: 'blank' } })
    // A card keyed by someone else: unreadable, still a successful scan.
    const foreign = await newCard()
    await lab('cards/write_block', { card_id: foreign, block: 7, data: 'a1a2a3a4a5a6ff078069b1b2b3b4b5b6' })
    expect(await scan(foreign)).toMatchObject({ acs_credential_on_encoder: null, lockstep_card_metadata: { card_status: 'unreadable' } })
    // A forged card decodes to bad_mac and is not taken for ours.
    const forged = (await lab('cards/clone', { card_id: stayCard })).card.card_id
    const b6 = Buffer.from((await lab('cards/get', { card_id: forged })).card.blocks[6] as string, 'hex')
    b6.writeUInt32BE(0xfffffff0, 4)
    await lab('cards/write_block', { card_id: forged, block: 6, data: b6.toString('hex') })
    expect(await scan(forged)).toMatchObject({ acs_credential_on_encoder: null, acs_credential_on_seam: null, lockstep_card_metadata: { card_status: 'bad_mac' } })
  })

  test('scan with no card → no_credential_on_encoder', async () => {
    const err = await seam.acs.encoders.scanCredential({ acs_encoder_id: encoder }, WAIT).catch((e: unknown) => e)
    expect((err as SeamActionAttemptFailedError<any>).code).toBe('no_credential_on_encoder')
    schemas.action_attempt.parse((err as SeamActionAttemptFailedError<any>).actionAttempt)
  })
})

test('encode durations reach /metrics by outcome', async () => {
  const text = await (await fetch(`${t.url}/metrics`, { headers: { authorization: `Bearer ${t.apiKey}` } })).text()
  const count = (outcome: string) => Number(new RegExp(`lockstep_encode_duration_seconds_count\\{outcome="${outcome}"\\} (\\d+)`).exec(text)?.[1] ?? 0)
  expect(count('success')).toBeGreaterThan(10)
  expect(count('error')).toBeGreaterThanOrEqual(2)
})

test('every event of the card run is a valid Seam event, acs_credential.issued included', async () => {
  const events = await seam.events.list({ since: '2000-01-01T00:00:00Z', limit: 10_000 })
  for (const e of events) {
    const r = schemas.seam_event.safeParse(e)
    expect(r.success, `${e.event_type}: ${JSON.stringify(r.error?.issues?.slice(0, 2))}`).toBe(true)
  }
  const types = new Set(events.map((e) => e.event_type))
  for (const t of ['acs_credential.issued', 'access_method.issued', 'access_method.reissued', 'access_method.card_encoding_required']) expect(types).toContain(t)
})
