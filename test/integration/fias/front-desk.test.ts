// Issue 17 end to end in the lab: the lab PMS (FIAS over loopback TCP) asks for keys, lockstep makes them
// through src/app on the simulated encoder, and the simulated offline locks decide with the override/joiner
// rule. Check-in with two keys, a second reservation overriding, a duplicate joining, checkout, room move,
// read key, busy encoder → BY, no card → RY before the timeout with no valid card left behind.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SeamHttp } from '@seamapi/http'
import { startTestDaemon, type TestDaemon } from '../../helpers/daemon.js'
import { eventually } from '../../helpers/eventually.js'
import { labClient } from '../../helpers/lab-client.js'

const TIMEOUT_S = 4
let t: TestDaemon
let seam: SeamHttp
let lab: ReturnType<typeof labClient>
const door: Record<string, string> = {}

beforeAll(async () => {
  t = await startTestDaemon({ fias: true, patch: (c) => ({ ...c, fias: { ...c.fias!, answer_timeout_seconds: TIMEOUT_S } }) })
  seam = SeamHttp.fromApiKey(t.apiKey, { endpoint: t.url })
  lab = labClient(t.url, t.apiKey)
  for (const e of await seam.acs.entrances.list()) door[e.display_name] = e.acs_entrance_id
  await eventually(() => expect(t.daemon.fias?.state).toBe('alive'))
})
afterAll(async () => t?.stop())

const yymmdd = (ms: number) => new Date(ms).toISOString().slice(2, 10).replace(/-/g, '')
async function stay(days: number) {
  const now = Date.parse((await lab('clock/get')).clock.now)
  return { arrival: yymmdd(now), departure: yymmdd(now + days * 86_400_000), departure_time: '11:00' }
}
const present = async (room: string, cardId: string) => (await lab('entrances/present_card', { acs_entrance_id: door[room], card_id: cardId })).result
const pms = (verb: string, body: Record<string, unknown>) => lab(`pms/${verb}`, body)

describe('FIAS front desk (lab)', () => {
  it('check-in with two keys, then a second reservation overrides on the offline lock; a duplicate joins', async () => {
    const first = await pms('checkin', { room: '101', guest: 'Smith, John', reservation: '123456', keys: 2, ...(await stay(3)) })
    expect(first.exchanges.map((e: any) => [e.status, e.text])).toEqual([['OK', 'Key 1 OK'], ['OK', 'Key 2 OK']])
    const [k1, k2] = first.exchanges.map((e: any) => e.card_id)
    expect(await present('Room 101', k1)).toMatchObject({ granted: true, mode: 'override' })
    expect(await present('Room 101', k2)).toMatchObject({ granted: true, mode: 'joiner' })
    const grants = await seam.accessGrants.list({ reservation_key: '123456' } as any)
    expect(grants).toHaveLength(2)

    const second = await pms('checkin', { room: '101', guest: 'Müller, Zoë', reservation: '123457', keys: 1, ...(await stay(2)) })
    expect(second.exchanges[0]).toMatchObject({ status: 'OK', text: 'Key 1 OK' })
    const k3 = second.exchanges[0].card_id
    // Guest 1 still opens until guest 2's first use, then is overridden.
    expect(await present('Room 101', k1)).toMatchObject({ granted: true })
    expect(await present('Room 101', k3)).toMatchObject({ granted: true, mode: 'override' })
    expect(await present('Room 101', k1)).toMatchObject({ granted: false, reason: 'overridden' })
    // The earlier reservation's grants ended with the new check-in.
    expect(await seam.accessGrants.list({ reservation_key: '123456' } as any)).toHaveLength(0)

    const dup = await pms('checkin', { room: '101', reservation: '123457', first: 'duplicate', keys: 1, ...(await stay(2)) })
    expect(dup.exchanges[0]).toMatchObject({ status: 'OK', text: 'Key 2 OK' })
    expect(await present('Room 101', dup.exchanges[0].card_id)).toMatchObject({ granted: true, mode: 'joiner' })
    expect(await present('Room 101', k3)).toMatchObject({ granted: true })

    const identities = await seam.userIdentities.list()
    expect(identities.some((u) => u.full_name === 'Müller, Zoë')).toBe(true) // CP850 on the wire, intact
  })

  it('checkout deletes the reservation\'s grants and answers OK (also when nothing is left)', async () => {
    const r = await pms('checkout', { room: '101', reservation: '123457' })
    expect(r.exchange).toMatchObject({ status: 'OK' })
    expect(await seam.accessGrants.list({ reservation_key: '123457' } as any)).toHaveLength(0)
    expect((await pms('checkout', { room: '101', reservation: '123457' })).exchange).toMatchObject({ status: 'OK', text: 'Deleted' })
  })

  it('room move: the new key opens the new room only; read key says where and until when', async () => {
    const s = await stay(2)
    const inn = await pms('checkin', { room: '102', guest: 'Rossi, Ada', reservation: '555', keys: 1, ...s })
    expect(inn.exchanges[0].status).toBe('OK')
    const moved = await pms('move', { room: '103', old_room: '102', reservation: '555', ...s })
    expect(moved.exchange).toMatchObject({ status: 'OK', text: 'Moved' })
    const card = moved.exchange.card_id
    expect(await present('Room 103', card)).toMatchObject({ granted: true })
    expect(await present('Room 102', card)).toMatchObject({ granted: false, reason: 'wrong_entrance' })
    const grants = await seam.accessGrants.list({ reservation_key: '555' } as any)
    expect(grants.map((g: any) => g.lockstep_metadata.acs_entrance_ids)).toEqual([[door['Room 103']]])

    const read = await pms('read', { card_id: card })
    expect(read.exchange.status).toBe('OK')
    expect(read.exchange.answer).toContain('|RN103|')
    expect(read.exchange.answer).toContain('|G#555|')
    expect(read.exchange.answer).toContain(`|GD${s.departure}|DT11:00|`)
    expect(read.exchange.answer).toContain('|GNRossi, Ada|')
  })

  it('stay change (KM without RO) re-encodes the card with the new departure', async () => {
    const later = await stay(5)
    const changed = await pms('move', { room: '103', reservation: '555', ...later })
    expect(changed.exchange).toMatchObject({ status: 'OK', text: 'Key updated' })
    const read = await pms('read', { card_id: changed.exchange.card_id })
    expect(read.exchange.answer).toContain(`|GD${later.departure}|DT11:00|`)
  })

  it('unknown room or encoder → UR with clear text', async () => {
    const room = await pms('checkin', { room: '9999', reservation: '1', ...(await stay(1)) })
    expect(room.exchanges[0]).toMatchObject({ status: 'UR', text: 'Unknown room 9999' })
    const enc = await pms('checkin', { room: '101', reservation: '1', encoder: '7', ...(await stay(1)) })
    expect(enc.exchanges[0]).toMatchObject({ status: 'UR', text: 'Unknown encoder 7' })
  })

  it('busy encoder → BY at once; no card → RY before the PMS timeout, and no valid card or grant left', async () => {
    const s = await stay(1)
    const waiting = pms('checkin', { room: '102', reservation: '777', workstation: 'FO-PC1', place_cards: false, ...s })
    await eventually(() => expect(t.daemon.fias!.busyEncoders.has('1')).toBe(true))
    // (No card laid for it either: the first request would take it.)
    const busy = await pms('checkin', { room: '103', reservation: '778', workstation: 'FO-PC2', place_cards: false, ...s })
    expect(busy.exchanges[0]).toMatchObject({ status: 'BY', text: 'Encoder busy' })
    expect(busy.exchanges[0].elapsed_ms).toBeLessThan(1000)
    const ry = (await waiting).exchanges[0]
    expect(ry).toMatchObject({ status: 'RY', text: 'No card on encoder' })
    expect(ry.elapsed_ms).toBeLessThan(TIMEOUT_S * 1000)
    expect(await seam.accessGrants.list({ reservation_key: '777' } as any)).toHaveLength(0)
    // The attempt was cancelled with the RY: a card laid on the encoder now is not written.
    const encoder = (await seam.acs.encoders.list())[0]!.acs_encoder_id
    const spare = (await lab('cards/create')).card.card_id
    await lab('encoders/place_card', { acs_encoder_id: encoder, card_id: spare })
    await eventually(() => expect(t.daemon.fias!.busyEncoders.size).toBe(0))
    expect((await lab('cards/get', { card_id: spare })).card.blocks[4]).toBe('00'.repeat(16))
    await lab('encoders/remove_card', { acs_encoder_id: encoder })
    // The encoder is free again once the cancelled attempt has ended.
    await eventually(async () => expect((await pms('checkin', { room: '102', reservation: '779', ...s })).exchanges[0].status).toBe('OK'))
    expect((await lab('pms/status')).pms.late_answers).toBe(0)
  })

  it('an encoder busy with an API encode answers BY to the PMS at once', async () => {
    const encoder = (await seam.acs.encoders.list())[0]!.acs_encoder_id
    const u = await seam.userIdentities.create({ full_name: 'Walk-in' })
    const now = Date.parse((await lab('clock/get')).clock.now)
    const g = await seam.accessGrants.create({
      user_identity_id: u.user_identity_id, acs_entrance_ids: [door['Pool']!], requested_access_methods: [{ mode: 'card' }],
      starts_at: new Date(now).toISOString(), ends_at: new Date(now + 86_400_000).toISOString(),
    } as any)
    const attempt = await seam.accessMethods.encode({ access_method_id: g.access_method_ids[0]!, acs_encoder_id: encoder }, { waitForActionAttempt: false })
    const busy = await pms('checkin', { room: '102', reservation: '4040', place_cards: false, ...(await stay(1)) })
    expect(busy.exchanges[0]).toMatchObject({ status: 'BY', text: 'Encoder busy' })
    expect(await seam.accessGrants.list({ reservation_key: '4040' } as any)).toHaveLength(0)
    // The API's encode goes on and finishes with a card.
    const card = (await lab('cards/create')).card.card_id
    await lab('encoders/place_card', { acs_encoder_id: encoder, card_id: card })
    await eventually(async () => expect((await seam.actionAttempts.get({ action_attempt_id: attempt.action_attempt_id })).status).toBe('success'))
    await lab('encoders/remove_card', { acs_encoder_id: encoder })
    await eventually(() => expect(t.daemon.cardEncoding.isBusy(encoder)).toBe(false))
  })

  it('one-shot (KTO): a staff-style card for today that opens the room and overrides no guest', async () => {
    const guest = await pms('checkin', { room: '101', guest: 'Lee, Kim', reservation: '888', ...(await stay(2)) })
    const guestCard = guest.exchanges[0].card_id
    expect(await present('Room 101', guestCard)).toMatchObject({ granted: true, mode: 'override' })
    const shot = await pms('checkin', { room: '101', first: 'one_shot' })
    expect(shot.exchanges[0]).toMatchObject({ status: 'OK', text: 'One-shot OK' })
    expect(await present('Room 101', shot.exchanges[0].card_id)).toMatchObject({ granted: true })
    expect(await present('Room 101', guestCard)).toMatchObject({ granted: true })
    const grants = await seam.accessGrants.list({ acs_entrance_id: door['Room 101'] } as any)
    const oneShot = grants.find((g: any) => g.reservation_key === undefined)!
    const endOfToday = new Date(Date.parse((await lab('clock/get')).clock.now)).toISOString().slice(0, 10) + 'T23:59:59.000Z'
    expect(oneShot.ends_at).toBe(endOfToday)
  })

  it('link dropped mid-request: lockstep reconnects, the lost request is cancelled, never answered late, and leaves no grant', async () => {
    const s = await stay(1)
    const lost = pms('checkin', { room: '103', reservation: '990', place_cards: false, ...s })
    await eventually(() => expect(t.daemon.fias!.busyEncoders.has('1')).toBe(true))
    await lab('pms/drop_connection')
    expect((await lost).exchanges[0]).toMatchObject({ status: null, answer: null })
    await eventually(async () => expect((await lab('pms/status')).pms.alive).toBe(true))
    await eventually(() => expect(t.daemon.fias!.busyEncoders.size).toBe(0))
    await eventually(async () => expect(t.daemon.cardEncoding.isBusy((await seam.acs.encoders.list())[0]!.acs_encoder_id)).toBe(false))
    expect(await seam.accessGrants.list({ reservation_key: '990' } as any)).toHaveLength(0)
    const again = await pms('checkin', { room: '103', reservation: '991', ...s })
    expect(again.exchanges[0].status).toBe('OK')
    expect((await lab('pms/status')).pms.late_answers).toBe(0)
    const sent = await seam.events.list({ event_type: 'lockstep.fias.key_answer_sent' } as any)
    expect(sent.filter((e: any) => String(e.request_record).includes('G#990')).map((e: any) => e.delivered)).toEqual([false])
  })

  it('every request and answer is a lockstep event', async () => {
    const answers = await seam.events.list({ event_type: 'lockstep.fias.key_answer_sent' } as any)
    expect(answers.length).toBeGreaterThan(5)
    expect(answers.filter((e: any) => e.answer_status === 'BY').length).toBeGreaterThanOrEqual(2)
    expect(answers.filter((e: any) => e.delivered === false)).toHaveLength(1) // the one lost with the link
    const requests = await seam.events.list({ event_type: 'lockstep.fias.key_request_received' } as any)
    expect(requests).toHaveLength(answers.length)
    expect(requests.some((e: any) => String(e.record).startsWith('KR|WSFO-PC1|KC1|RN101|KTN|G#123456|'))).toBe(true)
  })
})
