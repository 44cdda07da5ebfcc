// Seed 001 (reservation access grants) through the official SDK 2.32: every scenario and every rule with
// its exact status, type, title and message; user identities; code methods on Zigbee locks; card methods
// and encoding_required. Every response body Seam defines is checked against @seamapi/types.
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { SeamHttp, SeamHttpApiError } from '@seamapi/http'
import { schemas } from 'seam-schemas'
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js'
import { cardEncodingJob, markCardEncoded } from '../../src/app/card-methods.js'

const grantSchema = schemas.batch.shape.access_grants.unwrap().element
const methodSchema = schemas.batch.shape.access_methods.unwrap().element
let t: TestDaemon
let seam: SeamHttp
const ent: Record<string, string> = {}
const dev: Record<string, string> = {}
const space: Record<string, string> = {}

/** Seam's schema predates the `encoding_required` grant warning: admit it, validate everything else. */
function checkGrant(g: unknown) {
  const { warnings, ...rest } = g as { warnings: { warning_code: string }[] }
  grantSchema.parse({ ...rest, warnings: warnings.filter((w) => w.warning_code !== 'encoding_required') })
  return g as any
}
const checkMethod = (m: unknown) => (methodSchema.parse(m), m as any)

// Future stays (the daemon runs on real time).
const D = (day: number, hour: number) => new Date(Date.UTC(2031, 4, day, hour)).toISOString()
const stay1 = { starts_at: D(10, 15), ends_at: D(14, 11) }

async function guest(name: string) {
  const u = await seam.userIdentities.create({ full_name: name, email_address: `${name.toLowerCase().replace(/\W/g, '')}@example.com` })
  schemas.user_identity.parse(u)
  return u.user_identity_id
}

async function refused(p: Promise<unknown>) {
  const e = await p.then(() => null, (err: unknown) => err)
  expect(e).toBeInstanceOf(SeamHttpApiError)
  return e as SeamHttpApiError
}

async function clearKey(reservation_key: string) {
  for (const g of await seam.accessGrants.list({ reservation_key })) await seam.accessGrants.delete({ access_grant_id: g.access_grant_id })
}

beforeAll(async () => {
  t = await startTestDaemon()
  seam = SeamHttp.fromApiKey(t.apiKey, { endpoint: t.url })
  for (const e of await seam.acs.entrances.list()) ent[e.display_name] = e.acs_entrance_id
  for (const d of await seam.devices.list()) dev[d.display_name] = d.device_id
  const mk = async (k: string, name: string, acs: string[], devices: string[] = []) => {
    space[k] = (await seam.spaces.create({ name, space_key: k, acs_entrance_ids: acs, device_ids: devices })).space_id
  }
  await mk('room-101', 'Room 101', [ent['Room 101']!])
  await mk('room-102', 'Room 102', [ent['Room 102']!])
  await mk('room-203', 'Room 203', [ent['Room 103']!])
  await mk('pool', 'Pool', [ent['Pool']!])
})
afterAll(async () => t?.stop())

describe('user identities', () => {
  test('create, get by id and key, list, update, delete; duplicate email and phone are 409', async () => {
    const u = await seam.userIdentities.create({ full_name: 'Ada Lovelace', email_address: 'ada@example.com', phone_number: '+44 20 7946 0000', user_identity_key: 'ada' })
    expect(schemas.user_identity.parse(u)).toMatchObject({ full_name: 'Ada Lovelace', display_name: 'Ada Lovelace', user_identity_key: 'ada' })
    expect((await seam.userIdentities.get({ user_identity_key: 'ada' })).user_identity_id).toBe(u.user_identity_id)
    expect((await seam.userIdentities.get({ user_identity_id: u.user_identity_id })).email_address).toBe('ada@example.com')

    const dupEmail = await refused(seam.userIdentities.create({ full_name: 'Other', email_address: 'ADA@example.com' }))
    expect([dupEmail.statusCode, dupEmail.code]).toEqual([409, 'user_identity_email_or_phone_conflict'])
    expect(dupEmail.message).toContain('email address')
    const dupPhone = await refused(seam.userIdentities.create({ full_name: 'Other', phone_number: '+442079460000' }))
    expect([dupPhone.statusCode, dupPhone.code]).toEqual([409, 'user_identity_email_or_phone_conflict'])

    await seam.userIdentities.update({ user_identity_id: u.user_identity_id, full_name: 'Ada King' })
    expect((await seam.userIdentities.get({ user_identity_id: u.user_identity_id })).full_name).toBe('Ada King')
    const list = await seam.userIdentities.list()
    for (const x of list) schemas.user_identity.parse(x)
    expect(list.map((x) => x.user_identity_id)).toContain(u.user_identity_id)

    await seam.userIdentities.delete({ user_identity_id: u.user_identity_id })
    await seam.userIdentities.delete({ user_identity_id: u.user_identity_id }) // a retried DELETE is fine
    const gone = await refused(seam.userIdentities.get({ user_identity_id: u.user_identity_id }))
    expect([gone.statusCode, gone.code]).toEqual([400, 'user_identity_not_found'])
  })
})

describe('seed 001 rules', () => {
  test('rule 1: reservation_key with no capable entrance → 400 reservation_key not supported', async () => {
    const g1 = await guest('Rule One')
    const e = await refused(seam.accessGrants.create({
      user_identity_id: g1, acs_entrance_ids: [ent['Pool']!], ...stay1, requested_access_methods: [{ mode: 'card' }], reservation_key: 'rule1',
    }))
    expect(e.statusCode).toBe(400)
    expect(e.code).toBe('reservation_key_not_supported')
    expect(e.message).toBe('reservation_key not supported. No targeted entrances support reservation behavior. Remove reservation_key or include at least one reservation-capable entrance.')
    expect(await seam.accessGrants.list({ reservation_key: 'rule1' })).toEqual([])
  })

  test('rule 2: a different door set for a live reservation → 409; after cleanup the new doors are accepted', async () => {
    const g1 = await guest('Rule Two')
    await seam.accessGrants.create({ user_identity_id: g1, space_ids: [space['room-101']!], ...stay1, requested_access_methods: [{ mode: 'card' }], reservation_key: 'rule2' })
    const e = await refused(seam.accessGrants.create({ user_identity_id: g1, space_ids: [space['room-203']!], ...stay1, requested_access_methods: [{ mode: 'card' }], reservation_key: 'rule2' }))
    expect(e.statusCode).toBe(409)
    expect(e.code).toBe('reservation_entrance_change_requires_cleanup')
    expect(e.message).toBe('Reservation entrance change requires cleanup. To change the doors for this reservation, delete the existing access grants first.')
    await clearKey('rule2')
    const moved = checkGrant(await seam.accessGrants.create({ user_identity_id: g1, space_ids: [space['room-203']!], ...stay1, requested_access_methods: [{ mode: 'card' }], reservation_key: 'rule2' }))
    expect(moved.reservation_key).toBe('rule2')
    await clearKey('rule2')
  })

  test('rule 3: subset joiner ok, superset joiner → 409', async () => {
    const [a, b, c] = [await guest('Three A'), await guest('Three B'), await guest('Three C')]
    const both = [ent['Room 101']!, ent['Room 102']!]
    await seam.accessGrants.create({ user_identity_id: a, acs_entrance_ids: [ent['Room 101']!], ...stay1, requested_access_methods: [{ mode: 'card' }], reservation_key: 'rule3' })
    const sub = checkGrant(await seam.accessGrants.create({ user_identity_id: b, acs_entrance_ids: [ent['Room 101']!, ent['Pool']!], ...stay1, requested_access_methods: [{ mode: 'card' }], reservation_key: 'rule3' }))
    expect(sub.reservation_key).toBe('rule3')
    const e = await refused(seam.accessGrants.create({ user_identity_id: c, acs_entrance_ids: both, ...stay1, requested_access_methods: [{ mode: 'card' }], reservation_key: 'rule3' }))
    expect(e.statusCode).toBe(409)
    expect(e.code).toBe('reservation_joiner_entrance_set_conflict')
    expect(e.message).toBe('Reservation joiner entrance set conflict. Joiner access grants must use the same or a subset of the reservation-capable doors.')
    await clearKey('rule3')
  })

  test('rule 3 with a two-door reservation: a one-door joiner is a subset', async () => {
    const [a, b] = [await guest('Three D'), await guest('Three E')]
    await seam.accessGrants.create({ user_identity_id: a, space_ids: [space['room-101']!, space['room-102']!], ...stay1, requested_access_methods: [{ mode: 'card' }], reservation_key: 'rule3b' })
    const j = checkGrant(await seam.accessGrants.create({ user_identity_id: b, space_ids: [space['room-102']!], ...stay1, requested_access_methods: [{ mode: 'card' }], reservation_key: 'rule3b' }))
    expect((j as any).lockstep_metadata.acs_entrance_ids).toEqual([ent['Room 102']])
    await clearKey('rule3b')
  })

  test('rule 4: overlapping joiner ok, non-overlapping → 409', async () => {
    const [a, b, c] = [await guest('Four A'), await guest('Four B'), await guest('Four C')]
    await seam.accessGrants.create({ user_identity_id: a, space_ids: [space['room-101']!], starts_at: D(10, 15), ends_at: D(14, 11), requested_access_methods: [{ mode: 'card' }], reservation_key: 'rule4' })
    await seam.accessGrants.create({ user_identity_id: b, space_ids: [space['room-101']!], starts_at: D(11, 11), ends_at: D(14, 11), requested_access_methods: [{ mode: 'card' }], reservation_key: 'rule4' })
    const e = await refused(seam.accessGrants.create({ user_identity_id: c, space_ids: [space['room-101']!], starts_at: D(15, 15), ends_at: D(18, 11), requested_access_methods: [{ mode: 'card' }], reservation_key: 'rule4' }))
    expect(e.statusCode).toBe(409)
    expect(e.code).toBe('reservation_time_frames_must_overlap')
    expect(e.message).toBe('Reservation time frames must overlap. Access grants in the same reservation must have overlapping time frames.')
    // An update that moves a member out of the others' window is refused the same way.
    const [first] = await seam.accessGrants.list({ reservation_key: 'rule4', user_identity_id: a })
    const u = await refused(seam.accessGrants.update({ access_grant_id: first!.access_grant_id, starts_at: D(20, 15), ends_at: D(22, 11) }))
    expect([u.statusCode, u.code]).toEqual([409, 'reservation_time_frames_must_overlap'])
    await clearKey('rule4')
  })

  test('reservation_key required for guest cards (site policy) → 400', async () => {
    const t2 = await startTestDaemon({ patch: (c) => ({ ...c, site: { ...c.site, reservation_key_required_for_guest_cards: true } }) })
    try {
      const s2 = SeamHttp.fromApiKey(t2.apiKey, { endpoint: t2.url })
      const [room] = await s2.acs.entrances.list()
      const u = await s2.userIdentities.create({ full_name: 'Visionline Guest' })
      const e = await refused(s2.accessGrants.create({ user_identity_id: u.user_identity_id, acs_entrance_ids: [room!.acs_entrance_id], ...stay1, requested_access_methods: [{ mode: 'card' }] }))
      expect(e.statusCode).toBe(400)
      expect(e.code).toBe('reservation_key_required_for_guest_cards')
      expect(e.message).toBe('reservation_key required for guest cards. Add a reservation_key when issuing guest credentials for these entrances.')
    } finally {
      await t2.stop()
    }
  })

  test('mobile_key is refused with a clear 400; unknown targets 404; unknown identity 400', async () => {
    const g = await guest('Mobile Guest')
    const e = await refused(seam.accessGrants.create({ user_identity_id: g, space_ids: [space['room-101']!], ...stay1, requested_access_methods: [{ mode: 'mobile_key' }] }))
    expect([e.statusCode, e.code]).toEqual([400, 'access_method_mode_not_supported'])
    expect(e.message).toMatch(/mobile_key.*not supported.*"code" or "card"/)
    const nf = await refused(seam.accessGrants.create({ user_identity_id: g, space_ids: ['00000000-0000-4000-8000-000000000000'], requested_access_methods: [{ mode: 'card' }] }))
    expect([nf.statusCode, nf.code]).toEqual([404, 'space_not_found'])
    const nu = await refused(seam.accessGrants.create({ user_identity_id: '00000000-0000-4000-8000-000000000000', space_ids: [space['room-101']!], requested_access_methods: [{ mode: 'card' }] }))
    expect([nu.statusCode, nu.code]).toEqual([400, 'user_identity_not_found'])
  })
})

describe('seed 001 scenarios', () => {
  test('1. back-to-back reservations: two keys on the same room at once are legal', async () => {
    const [g1, g2] = [await guest('Back One'), await guest('Back Two')]
    const a = checkGrant(await seam.accessGrants.create({ user_identity_id: g1, space_ids: [space['room-101']!], starts_at: D(10, 15), ends_at: D(14, 11), requested_access_methods: [{ mode: 'card' }], reservation_key: 'stay-b1' }))
    const b = checkGrant(await seam.accessGrants.create({ user_identity_id: g2, space_ids: [space['room-101']!], starts_at: D(14, 15), ends_at: D(16, 11), requested_access_methods: [{ mode: 'card' }], reservation_key: 'stay-b2' }))
    // Even overlapping windows under different keys: the newer overrides at the lock on first use.
    const c = checkGrant(await seam.accessGrants.create({ user_identity_id: g2, space_ids: [space['room-101']!], starts_at: D(12, 15), ends_at: D(13, 11), requested_access_methods: [{ mode: 'card' }], reservation_key: 'stay-b3' }))
    for (const g of [a, b, c]) {
      const methods = await seam.accessMethods.list({ access_grant_id: g.access_grant_id })
      expect(methods).toHaveLength(1)
      expect(checkMethod(methods[0])).toMatchObject({ mode: 'card', is_issued: false, is_encoding_required: true, is_ready_for_encoding: true })
    }
    for (const k of ['stay-b1', 'stay-b2', 'stay-b3']) await clearKey(k)
  })

  test('2. multiple guests on the same reservation are joiners', async () => {
    const [g1, g2] = [await guest('Join One'), await guest('Join Two')]
    await seam.accessGrants.create({ user_identity_id: g1, space_ids: [space['room-101']!], ...stay1, requested_access_methods: [{ mode: 'card' }], reservation_key: 'stay-j' })
    await seam.accessGrants.create({ user_identity_id: g2, space_ids: [space['room-101']!], ...stay1, requested_access_methods: [{ mode: 'card' }], reservation_key: 'stay-j' })
    const grants = await seam.accessGrants.list({ reservation_key: 'stay-j' })
    expect(grants.map((g) => g.user_identity_id).sort()).toEqual([g1, g2].sort())
    for (const g of grants) checkGrant(g)
    await clearKey('stay-j')
  })

  test('3. relocation: delete the old grant, reissue on the new room; issued cards warn', async () => {
    const g1 = await guest('Relocating Guest')
    const old = await seam.accessGrants.create({ user_identity_id: g1, space_ids: [space['room-101']!], ...stay1, requested_access_methods: [{ mode: 'card' }], reservation_key: 'stay-r' })
    const [card] = await seam.accessMethods.list({ access_grant_id: old.access_grant_id })
    // The encoder (another module) wrote the card.
    t.daemon.store.tx(() => markCardEncoded(t.daemon.store, card!.access_method_id, {
      cardUid: '04A1B2C3', credentialId: '11111111-1111-4111-8111-111111111111', window: { startsAt: Date.parse(stay1.starts_at), endsAt: Date.parse(stay1.ends_at) }, entranceIds: [ent['Room 101']!],
    }))
    const issued = checkMethod(await seam.accessMethods.get({ access_method_id: card!.access_method_id }))
    expect(issued).toMatchObject({ is_issued: true, is_encoding_required: false })
    const res = (await seam.accessGrants.delete({ access_grant_id: old.access_grant_id }).fetchResponse()) as any
    expect(res).toEqual({ ok: true }) // as Seam answers; the card that stays valid is told on its deletion event
    const [deleted] = await seam.events.list({ since: new Date(Date.now() - 60_000).toISOString(), access_method_id: card!.access_method_id, event_type: 'access_method.deleted' })
    expect((deleted as any).lockstep_warnings).toEqual([expect.objectContaining({ warning_code: 'issued_cards_not_revoked' })])
    await seam.accessGrants.delete({ access_grant_id: old.access_grant_id }) // idempotent
    const moved = checkGrant(await seam.accessGrants.create({ user_identity_id: g1, space_ids: [space['room-203']!], starts_at: D(10, 15), ends_at: stay1.ends_at, requested_access_methods: [{ mode: 'card' }], reservation_key: 'stay-r' }))
    expect((moved as any).lockstep_metadata.acs_entrance_ids).toEqual([ent['Room 103']])
    const events = await seam.events.list({ since: new Date(Date.now() - 60_000).toISOString(), event_types: ['access_grant.deleted', 'access_method.deleted', 'access_method.issued'] })
    for (const e of events) schemas.seam_event.parse(e)
    expect(events.some((e) => e.event_type === 'access_grant.deleted' && (e as any).access_grant_id === old.access_grant_id)).toBe(true)
    await clearKey('stay-r')
  })

  test('4. time-frame change on an issued card → encoding_required until re-encoded', async () => {
    const g1 = await guest('Extending Guest')
    const g = await seam.accessGrants.create({ user_identity_id: g1, space_ids: [space['room-101']!], ...stay1, requested_access_methods: [{ mode: 'card' }], reservation_key: 'stay-t' })
    const [card] = await seam.accessMethods.list({ access_grant_id: g.access_grant_id })
    const encode = (endsAt: string) =>
      t.daemon.store.tx(() => markCardEncoded(t.daemon.store, card!.access_method_id, {
        cardUid: '04DEADBEEF', credentialId: '22222222-2222-4222-8222-222222222222', window: { startsAt: Date.parse(stay1.starts_at), endsAt: Date.parse(endsAt) }, entranceIds: [ent['Room 101']!],
      }))
    // Not yet encoded: waiting, not a warning.
    expect(checkGrant(await seam.accessGrants.get({ access_grant_id: g.access_grant_id })).warnings).toEqual([])
    encode(stay1.ends_at)
    await seam.accessGrants.update({ access_grant_id: g.access_grant_id, ends_at: D(16, 11) })
    const after = checkGrant(await seam.accessGrants.get({ access_grant_id: g.access_grant_id }))
    expect(after.ends_at).toBe(D(16, 11))
    expect(after.warnings).toEqual([expect.objectContaining({ warning_code: 'encoding_required', access_method_ids: [card!.access_method_id] })])
    expect(checkMethod(await seam.accessMethods.get({ access_method_id: card!.access_method_id }))).toMatchObject({ is_issued: true, is_encoding_required: true })
    const ev = await seam.events.list({ since: new Date(Date.now() - 60_000).toISOString(), event_types: ['access_method.card_encoding_required', 'access_grant.access_times_changed'] })
    for (const e of ev) schemas.seam_event.parse(e)
    expect(ev.some((e) => e.event_type === 'access_grant.access_times_changed' && (e as any).access_grant_id === g.access_grant_id)).toBe(true)
    // Re-encoded with the new dates: the warning clears.
    encode(D(16, 11))
    const cleared = checkGrant(await seam.accessGrants.get({ access_grant_id: g.access_grant_id }))
    expect(cleared.warnings).toEqual([])
    expect(checkMethod(await seam.accessMethods.get({ access_method_id: card!.access_method_id })).is_encoding_required).toBe(false)
    await clearKey('stay-t')
  })

  test('mixed grant: Room 101 joins the reservation, Pool ignores the key', async () => {
    const g1 = await guest('Mixed Guest')
    const g = checkGrant(await seam.accessGrants.create({
      user_identity_id: g1, acs_entrance_ids: [ent['Room 101']!, ent['Pool']!], ...stay1, requested_access_methods: [{ mode: 'card' }], reservation_key: 'stay-m',
    }))
    expect(g.lockstep_metadata).toMatchObject({ reservation_entrance_ids: [ent['Room 101']], reservation_capable_acs_entrance_ids: [ent['Room 101']] })
    const [card] = await seam.accessMethods.list({ access_grant_id: g.access_grant_id })
    expect((card as any).lockstep_metadata.acs_entrance_ids.sort()).toEqual([ent['Room 101'], ent['Pool']].sort())
    const job = cardEncodingJob(t.daemon.store, card!.access_method_id)
    expect(job).toMatchObject({ reservationKey: 'stay-m', capableEntranceIds: [ent['Room 101']], reservationEntranceIds: [ent['Room 101']] })
    // A joiner may add any non-capable doors (Pool) without tripping the subset rule.
    const g2 = await guest('Mixed Joiner')
    checkGrant(await seam.accessGrants.create({ user_identity_id: g2, acs_entrance_ids: [ent['Room 101']!], ...stay1, requested_access_methods: [{ mode: 'card' }], reservation_key: 'stay-m' }))
    await clearKey('stay-m')
  })

  test('deleting every grant of a key frees it for a new door set', async () => {
    const g1 = await guest('Free Key')
    const a = await seam.accessGrants.create({ user_identity_id: g1, space_ids: [space['room-101']!], ...stay1, requested_access_methods: [{ mode: 'card' }], reservation_key: 'stay-f' })
    const b = await seam.accessGrants.create({ user_identity_id: g1, space_ids: [space['room-101']!], ...stay1, requested_access_methods: [{ mode: 'card' }], reservation_key: 'stay-f' })
    await seam.accessGrants.delete({ access_grant_id: a.access_grant_id })
    // One grant left: the set is still fixed.
    const still = await refused(seam.accessGrants.create({ user_identity_id: g1, space_ids: [space['room-102']!], ...stay1, requested_access_methods: [{ mode: 'card' }], reservation_key: 'stay-f' }))
    expect(still.code).toBe('reservation_entrance_change_requires_cleanup')
    await seam.accessGrants.delete({ access_grant_id: b.access_grant_id })
    checkGrant(await seam.accessGrants.create({ user_identity_id: g1, space_ids: [space['room-102']!], ...stay1, requested_access_methods: [{ mode: 'card' }], reservation_key: 'stay-f' }))
    await clearKey('stay-f')
  })
})

describe('code methods on online locks', () => {
  test('a code grant makes one managed code per lock (setting); window changes follow; delete removes the codes', async () => {
    const g1 = await guest('Code Guest')
    const s = await seam.spaces.create({ name: 'Apartment 7', space_key: 'apt-7', device_ids: [dev['Front Door']!, dev['Back Door']!] })
    const starts = new Date(Date.now() - 60_000).toISOString().replace(/\.\d+Z$/, '.000Z')
    const g = checkGrant(await seam.accessGrants.create({
      user_identity_id: g1, space_ids: [s.space_id], starts_at: starts, ends_at: D(14, 11), requested_access_methods: [{ mode: 'code', code: '482913' }], name: 'Code Guest stay',
    }))
    const [m] = await seam.accessMethods.list({ access_grant_id: g.access_grant_id })
    expect(checkMethod(m)).toMatchObject({ mode: 'code', code: '482913', is_issued: false })
    const codes = await seam.accessCodes.list({ device_id: dev['Front Door']! })
    const mine = codes.filter((c) => (m as any).lockstep_metadata.access_code_ids.includes(c.access_code_id))
    expect(mine).toHaveLength(1)
    expect(schemas.access_code.parse(mine[0])).toMatchObject({ code: '482913', status: 'setting', ends_at: D(14, 11) })
    expect((m as any).lockstep_metadata.device_ids.sort()).toEqual([dev['Front Door'], dev['Back Door']].sort())

    // Reconciler delivers: both codes set → method issued (event access_method.issued).
    const store = t.daemon.store
    for (const id of (m as any).lockstep_metadata.access_code_ids as string[]) {
      store.tx(() => {
        store.accessCodes.recordOutcome(id, { status: 'set' })
        const c = store.accessCodes.find(id)!
        store.accessCodes.codeEvent('access_code.set_on_device', store.devices.get(c.deviceId), id, { code: c.code })
      })
    }
    expect(checkMethod(await seam.accessMethods.get({ access_method_id: m!.access_method_id }))).toMatchObject({ is_issued: true })
    const issued = await seam.events.list({ since: starts, event_type: 'access_method.issued' })
    expect(issued.filter((e) => (e as any).access_method_id === m!.access_method_id)).toHaveLength(1)

    await seam.accessGrants.update({ access_grant_id: g.access_grant_id, ends_at: D(20, 11) })
    for (const id of (m as any).lockstep_metadata.access_code_ids as string[]) expect((await seam.accessCodes.get({ access_code_id: id })).ends_at).toBe(D(20, 11))

    // The space gains the Gym lock: the grant follows (a code is added), and loses Back Door (its code goes).
    await seam.spaces.addDevices({ space_id: s.space_id, device_ids: [dev['Gym']!] })
    await seam.spaces.removeDevices({ space_id: s.space_id, device_ids: [dev['Back Door']!] })
    const [m2] = await seam.accessMethods.list({ access_grant_id: g.access_grant_id })
    expect((m2 as any).lockstep_metadata.device_ids.sort()).toEqual([dev['Front Door'], dev['Gym']].sort())
    expect((await seam.accessCodes.list({ device_id: dev['Gym']! })).some((c) => c.code === '482913')).toBe(true)
    expect((await seam.accessCodes.list({ device_id: dev['Back Door']! })).some((c) => c.code === '482913')).toBe(false)
    expect((await seam.accessGrants.list({ device_id: dev['Gym']! })).map((x) => x.access_grant_id)).toContain(g.access_grant_id)

    await seam.accessGrants.delete({ access_grant_id: g.access_grant_id })
    for (const id of (m2 as any).lockstep_metadata.access_code_ids as string[]) {
      const e = await refused(seam.accessCodes.get({ access_code_id: id }))
      expect(e.code).toBe('access_code_not_found')
    }
    const gone = await refused(seam.accessMethods.get({ access_method_id: m!.access_method_id }))
    expect(gone.code).toBe('access_method_not_found')
    const spaceInUse = await seam.spaces.delete({ space_id: s.space_id }).then(() => 'ok')
    expect(spaceInUse).toBe('ok')
  })

  test('a space still targeted by a grant cannot be deleted; access_methods/delete by grant removes codes', async () => {
    const g1 = await guest('Space Guard')
    const s = await seam.spaces.create({ name: 'Apartment 8', device_ids: [dev['Gym']!] })
    const g = await seam.accessGrants.create({ user_identity_id: g1, space_ids: [s.space_id], ends_at: D(14, 11), requested_access_methods: [{ mode: 'code' }] })
    const e = await refused(seam.spaces.delete({ space_id: s.space_id }))
    expect([e.statusCode, e.code]).toEqual([409, 'space_in_use'])
    const [m] = await seam.accessMethods.list({ access_grant_id: g.access_grant_id })
    expect((m as any).code).toMatch(/^\d{4,8}$/)
    await seam.accessMethods.delete({ access_grant_id: g.access_grant_id })
    expect(await seam.accessMethods.list({ access_grant_id: g.access_grant_id })).toEqual([])
    for (const id of (m as any).lockstep_metadata.access_code_ids as string[]) expect((await refused(seam.accessCodes.get({ access_code_id: id }))).code).toBe('access_code_not_found')
    await seam.accessGrants.delete({ access_grant_id: g.access_grant_id })
    await seam.spaces.delete({ space_id: s.space_id })
  })

  test('every grant and method listed validates; events/list stays Seam-only', async () => {
    for (const g of await seam.accessGrants.list()) checkGrant(g)
    const events = await seam.events.list({ since: '2020-01-01T00:00:00Z' })
    for (const e of events) schemas.seam_event.parse(e)
  })
})

describe('more', () => {
  test('SDK 1.x (POST bodies, GET/PATCH where 1.x uses them) drives the same routes', async () => {
    const { SeamHttpV1 } = await import('seam-schemas')
    const v1 = SeamHttpV1.fromApiKey(t.apiKey, { endpoint: t.url }) as any
    const u = await v1.userIdentities.create({ full_name: 'Legacy Guest' })
    const g = await v1.accessGrants.create({ user_identity_id: u.user_identity_id, space_ids: [space['room-102']!], ...stay1, requested_access_methods: [{ mode: 'card' }], reservation_key: 'stay-v1' })
    checkGrant(g)
    expect((await v1.accessGrants.get({ access_grant_id: g.access_grant_id })).reservation_key).toBe('stay-v1')
    await v1.accessGrants.update({ access_grant_id: g.access_grant_id, name: 'Legacy stay' })
    expect((await v1.accessGrants.list({ reservation_key: 'stay-v1' }))[0].name).toBe('Legacy stay')
    const [m] = await v1.accessMethods.list({ access_grant_id: g.access_grant_id })
    checkMethod(m)
    await v1.accessMethods.delete({ reservation_key: 'stay-v1' })
    expect(await v1.accessMethods.list({ access_grant_id: g.access_grant_id })).toEqual([])
    await v1.accessGrants.delete({ access_grant_id: g.access_grant_id })
    await v1.userIdentities.delete({ user_identity_id: u.user_identity_id })
  })

  test('a door change that would widen a live reservation is not applied; the event log says why', async () => {
    const g1 = await guest('Widening Guest')
    const s = await seam.spaces.create({ name: 'Suite W', acs_entrance_ids: [ent['Room 101']!] })
    const g = await seam.accessGrants.create({ user_identity_id: g1, space_ids: [s.space_id], ...stay1, requested_access_methods: [{ mode: 'card' }], reservation_key: 'stay-w' })
    const since = new Date(Date.now() - 1000).toISOString()
    await seam.spaces.addAcsEntrances({ space_id: s.space_id, acs_entrance_ids: [ent['Room 102']!] })
    const [card] = await seam.accessMethods.list({ access_grant_id: g.access_grant_id })
    expect((card as any).lockstep_metadata.acs_entrance_ids).toEqual([ent['Room 101']])
    const blocked = (await seam.client.get('/events/list', { params: { since, event_type: 'lockstep.access_grant.reprovision_blocked' } })).data.events
    expect(blocked).toEqual([expect.objectContaining({ access_grant_id: g.access_grant_id, space_id: s.space_id, error: expect.objectContaining({ type: 'reservation_joiner_entrance_set_conflict' }) })])
    // Narrowing is fine: the card follows.
    await seam.spaces.removeAcsEntrances({ space_id: s.space_id, acs_entrance_ids: [ent['Room 102']!, ent['Room 101']!] })
    const [after] = await seam.accessMethods.list({ access_grant_id: g.access_grant_id })
    expect((after as any).lockstep_metadata.acs_entrance_ids).toEqual([])
    await clearKey('stay-w')
  })
})
