// Seed 000 (push_data gotchas) through the SDK 2.32: every gotcha ends in an explicit result — in the
// response body (extra keys the SDK ignores), in the automation-run log and in the event log — and drafts
// become grants the moment their space gets doors.
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { SeamHttp } from '@seamapi/http'
import { schemas } from 'seam-schemas'
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js'

const grantSchema = schemas.batch.shape.access_grants.unwrap().element
let t: TestDaemon
let seam: SeamHttp
const dev: Record<string, string> = {}
const ent: Record<string, string> = {}
const stay = { starts_at: '2031-05-10T15:00:00.000Z', ends_at: '2031-05-14T11:00:00.000Z' }

async function push(body: Record<string, unknown>): Promise<any> {
  const req = seam.customers.pushData({ customer_key: 'cust-1', ...body } as any)
  return req.fetchResponse()
}

beforeAll(async () => {
  t = await startTestDaemon()
  seam = SeamHttp.fromApiKey(t.apiKey, { endpoint: t.url })
  for (const d of await seam.devices.list()) dev[d.display_name] = d.device_id
  for (const e of await seam.acs.entrances.list()) ent[e.display_name] = e.acs_entrance_id
})
afterAll(async () => t?.stop())

describe('seed 000 gotchas', () => {
  test('the SDK call resolves like Seam (void); the body carries a result per item', async () => {
    expect(await seam.customers.pushData({ customer_key: 'cust-0', user_identities: [{ user_identity_key: 'u0', name: 'Zero' }] } as any)).toBeUndefined()
    const body = await push({ guests: [{ guest_key: 'u00', name: 'Zero Zero' }] })
    expect(body).toMatchObject({ ok: true, summary: { total: 1, applied: 1 }, results: [{ collection: 'guests', key: 'u00', status: 'applied', outcome: 'created' }] })
    expect(typeof body.automation_run_id).toBe('string')
  })

  test('no space yet → waiting; applied when the space is created with doors (code on the lock)', async () => {
    const body = await push({
      guests: [{ guest_key: 'g-101', name: 'Guest Hundred One', email_address: 'g101@example.com' }],
      reservations: [{ reservation_key: 'res-101', guest_key: 'g-101', space_keys: ['unit-101'], ends_at: stay.ends_at }],
    })
    expect(body.results).toEqual([
      { collection: 'guests', key: 'g-101', status: 'applied', outcome: 'created' },
      { collection: 'reservations', key: 'res-101', status: 'waiting', outcome: 'created', waiting_for: { missing_space_keys: ['unit-101'], space_keys_without_doors: [] } },
    ])
    expect(await seam.accessGrants.list({ access_grant_key: 'res-101' })).toEqual([])

    const space = await seam.spaces.create({ name: 'Unit 101', space_key: 'unit-101', device_ids: [dev['Front Door']!] })
    const [grant] = await seam.accessGrants.list({ access_grant_key: 'res-101' })
    expect(grantSchema.parse(grant)).toMatchObject({ access_grant_key: 'res-101', space_ids: [space.space_id], ends_at: stay.ends_at })
    expect(grant!.reservation_key).toBeUndefined() // an online lock only: standard access, no reservation
    const codes = await seam.accessCodes.list({ device_id: dev['Front Door']! })
    const [method] = await seam.accessMethods.list({ access_grant_id: grant!.access_grant_id })
    expect(codes.filter((c) => (method as any).lockstep_metadata.access_code_ids.includes(c.access_code_id)).map((c) => c.status)).toEqual(['setting'])

    const runs = (await (seam.client.get('/customers/automation_runs/list', { params: { kind: 'draft_activation' } }))).data
    expect(runs.automation_runs.at(-1).results).toEqual([{ collection: 'reservations', key: 'res-101', status: 'applied', outcome: 'updated' }])
  })

  test('space pushed without doors → waiting; applied when doors are added; capable entrance makes it a reservation', async () => {
    const body = await push({
      spaces: [{ space_key: 'unit-102', name: 'Unit 102' }],
      guests: [{ guest_key: 'g-102', name: 'Guest Hundred Two' }],
      reservations: [{ reservation_key: 'res-102', guest_key: 'g-102', space_keys: ['unit-102'], ...stay }],
    })
    expect(body.results[0]).toMatchObject({ collection: 'spaces', key: 'unit-102', status: 'applied', outcome: 'created', warnings: [expect.stringMatching(/no doors/)] })
    expect(body.results[2]).toEqual({ collection: 'reservations', key: 'res-102', status: 'waiting', outcome: 'created', waiting_for: { missing_space_keys: [], space_keys_without_doors: ['unit-102'] } })
    const space = await seam.spaces.get({ space_key: 'unit-102' })
    expect(space.customer_key).toBe('cust-1')
    await seam.spaces.addAcsEntrances({ space_id: space.space_id, acs_entrance_ids: [ent['Room 102']!] })
    const [grant] = await seam.accessGrants.list({ reservation_key: 'res-102' })
    expect(grantSchema.parse(grant)).toMatchObject({ access_grant_key: 'res-102', reservation_key: 'res-102' })
    const [card] = await seam.accessMethods.list({ access_grant_id: grant!.access_grant_id })
    expect(card).toMatchObject({ mode: 'card', is_encoding_required: true })
  })

  test('duplicate email: the guest and the reservation naming it are rejected, explicitly, everywhere', async () => {
    await seam.userIdentities.create({ full_name: 'First Owner', email_address: 'taken@example.com' })
    await seam.spaces.create({ name: 'Unit 103', space_key: 'unit-103', device_ids: [dev['Back Door']!] })
    const body = await push({
      guests: [{ guest_key: 'g-dup', name: 'Second Owner', email_address: 'Taken@Example.com' }],
      reservations: [{ reservation_key: 'res-dup', guest_key: 'g-dup', space_keys: ['unit-103'], ...stay }],
    })
    expect(body.summary).toEqual({ total: 2, rejected: 2 })
    for (const r of body.results) {
      expect(r).toMatchObject({ status: 'rejected', error: { type: 'user_identity_email_or_phone_conflict', status: 409 } })
      expect(r.error.message).toContain('taken@example.com')
    }
    expect(await seam.accessGrants.list({ access_grant_key: 'res-dup' })).toEqual([])
    const runs = (await seam.client.get('/customers/automation_runs/list', { params: { kind: 'push_data' } })).data
    expect(runs.automation_runs.at(-1)).toMatchObject({ automation_run_id: body.automation_run_id, summary: { rejected: 2 } })
    // Lockstep-only events are listed when asked for by type (and never in a plain events/list).
    const since = new Date(Date.now() - 60_000).toISOString()
    const ours = (await seam.client.get('/events/list', { params: { since, event_type: 'lockstep.automation_run.completed' } })).data.events
    expect(ours.at(-1)).toMatchObject({ automation_run_id: body.automation_run_id, summary: { rejected: 2 } })
    const plain = await seam.events.list({ since })
    expect(plain.some((e) => String(e.event_type).startsWith('lockstep.'))).toBe(false)
    for (const e of plain) schemas.seam_event.parse(e)
  })

  test('an SDK user, whose push_data answer is void, sees each problem item as an event', async () => {
    await seam.userIdentities.create({ full_name: 'Holder', email_address: 'holder@example.com' })
    const since = new Date(Date.now() - 1_000).toISOString()
    expect(await seam.customers.pushData({
      customer_key: 'cust-sdk',
      guests: [{ guest_key: 'g-sdk', name: 'Copy Holder', email_address: 'HOLDER@example.com' }, { guest_key: 'g-fine', name: 'Fine Guest' }],
      reservations: [{ reservation_key: 'res-later', guest_key: 'g-fine', space_keys: ['unit-not-yet'], ...stay }],
    } as any)).toBeUndefined()
    const events = (await seam.client.get('/events/list', { params: { since, event_type: 'lockstep.automation_run.item_problem' } })).data.events
    const byKey = Object.fromEntries(events.filter((e: any) => e.customer_key === 'cust-sdk').map((e: any) => [e.item.key, e]))
    expect(Object.keys(byKey).sort()).toEqual(['g-sdk', 'res-later']) // the applied guest is no problem
    expect(byKey['g-sdk']).toMatchObject({ problem: 'rejected', kind: 'push_data', customer_key: 'cust-sdk', item: { collection: 'guests', status: 'rejected', error: { type: 'user_identity_email_or_phone_conflict' } } })
    expect(byKey['res-later']).toMatchObject({ problem: 'waiting', item: { collection: 'reservations', status: 'waiting' } })
    expect(byKey['g-sdk'].automation_run_id).toBe(byKey['res-later'].automation_run_id)
    // Not in a plain list.
    expect((await seam.events.list({ since })).some((e) => String(e.event_type).startsWith('lockstep.'))).toBe(false)
  })

  test('site allows shared emails → the same push applies', async () => {
    const t2 = await startTestDaemon({ patch: (c) => ({ ...c, site: { ...c.site, allow_shared_emails: true } }) })
    try {
      const s2 = SeamHttp.fromApiKey(t2.apiKey, { endpoint: t2.url })
      await s2.userIdentities.create({ full_name: 'First Owner', email_address: 'taken@example.com' })
      const body = (await s2.customers.pushData({ customer_key: 'c', guests: [{ guest_key: 'g', name: 'Second', email_address: 'taken@example.com' }] } as any).fetchResponse()) as any
      expect(body.results).toEqual([{ collection: 'guests', key: 'g', status: 'applied', outcome: 'created' }])
    } finally {
      await t2.stop()
    }
  })

  test('reservations and access_grants share one key space; delete_data by either key list', async () => {
    await seam.spaces.create({ name: 'Unit 104', space_key: 'unit-104', acs_entrance_ids: [ent['Room 103']!], device_ids: [dev['Gym']!] })
    const body = await push({
      user_identities: [{ user_identity_key: 'g-104', name: 'Guest Hundred Four' }],
      reservations: [{ reservation_key: 'k-res', user_identity_key: 'g-104', space_keys: ['unit-104'], ...stay }],
      access_grants: [{ access_grant_key: 'k-ag', user_identity_key: 'g-104', space_keys: ['unit-104'], ...stay }],
      bookings: [{ booking_key: 'k-res', user_identity_key: 'g-104', space_keys: ['unit-104'], ...stay }],
    })
    expect(body.results.slice(1)).toEqual([
      { collection: 'reservations', key: 'k-res', status: 'applied', outcome: 'created' },
      { collection: 'access_grants', key: 'k-ag', status: 'applied', outcome: 'created' },
      expect.objectContaining({ collection: 'bookings', key: 'k-res', status: 'rejected', error: expect.objectContaining({ type: 'duplicate_key_in_payload' }) }),
    ])
    for (const k of ['k-res', 'k-ag']) {
      const [g] = await seam.accessGrants.list({ access_grant_key: k })
      expect(grantSchema.parse(g)).toMatchObject({ access_grant_key: k, reservation_key: k })
      expect((await seam.accessMethods.list({ access_grant_id: g!.access_grant_id })).map((m) => m.mode).sort()).toEqual(['card', 'code'])
    }
    // Re-pushing the same payload changes nothing.
    const again = await push({ reservations: [{ reservation_key: 'k-res', user_identity_key: 'g-104', space_keys: ['unit-104'], ...stay }] })
    expect(again.results).toEqual([{ collection: 'reservations', key: 'k-res', status: 'applied', outcome: 'unchanged' }])
    // A time change through push retimes the grant and its codes.
    const moved = await push({ reservations: [{ reservation_key: 'k-res', user_identity_key: 'g-104', space_keys: ['unit-104'], starts_at: stay.starts_at, ends_at: '2031-05-16T11:00:00.000Z' }] })
    expect(moved.results[0]).toMatchObject({ status: 'applied', outcome: 'updated' })
    const [res] = await seam.accessGrants.list({ access_grant_key: 'k-res' })
    expect(res!.ends_at).toBe('2031-05-16T11:00:00.000Z')

    // The pushed access_grant by reservation_keys, the pushed reservation by access_grant_keys.
    const del = (await seam.customers.deleteData({ reservation_keys: ['k-ag'], access_grant_keys: ['k-res', 'nope'] }).fetchResponse()) as any
    expect(del.results).toEqual([
      { list: 'reservation_keys', key: 'k-ag', status: 'deleted' },
      { list: 'access_grant_keys', key: 'k-res', status: 'deleted' },
      { list: 'access_grant_keys', key: 'nope', status: 'not_found' },
    ])
    expect(await seam.accessGrants.list({ access_grant_key: 'k-res' })).toEqual([])
    expect(await seam.accessGrants.list({ access_grant_key: 'k-ag' })).toEqual([])
    expect((await seam.accessCodes.list({ device_id: dev['Gym']! })).length).toBe(0)
  })

  test('unmodelled kinds and unknown holders are rejected item by item, never dropped', async () => {
    const body = await push({
      properties: [{ property_key: 'p1', name: 'Property' }],
      reservations: [{ reservation_key: 'orphan', guest_key: 'nobody', space_keys: ['unit-101'], ...stay }],
    })
    expect(body.results).toEqual([
      { collection: 'reservations', key: 'orphan', status: 'rejected', error: expect.objectContaining({ type: 'user_identity_not_found', status: 400 }) },
      { collection: 'properties', key: 'p1', status: 'rejected', error: expect.objectContaining({ type: 'push_data_kind_not_supported' }) },
    ])
  })

  test('delete_data of a holder cascades to its grants; of a customer removes its spaces, holders and grants', async () => {
    await push({
      spaces: [{ space_key: 'unit-105', name: 'Unit 105' }],
      guests: [{ guest_key: 'g-105', name: 'Guest Hundred Five' }],
      reservations: [{ reservation_key: 'res-105', guest_key: 'g-105', space_keys: ['unit-101'], ...stay }],
    })
    expect((await seam.accessGrants.list({ access_grant_key: 'res-105' })).length).toBe(1)
    const del = (await seam.customers.deleteData({ guest_keys: ['g-105'] }).fetchResponse()) as any
    expect(del.results).toEqual([{ list: 'guest_keys', key: 'g-105', status: 'deleted', cascade: { deleted_access_grant_keys: ['res-105'] } }])
    expect(await seam.accessGrants.list({ access_grant_key: 'res-105' })).toEqual([])
    const gone = await seam.userIdentities.get({ user_identity_key: 'g-105' }).catch((e: any) => e)
    expect(gone.code).toBe('user_identity_not_found')

    const all = (await seam.customers.deleteData({ customer_keys: ['cust-1'] }).fetchResponse()) as any
    expect(all.results[0]).toMatchObject({ list: 'customer_keys', key: 'cust-1', status: 'deleted' })
    expect(all.results[0].cascade.deleted_space_keys).toEqual(expect.arrayContaining(['unit-102', 'unit-105']))
    expect(await seam.accessGrants.list({ customer_key: 'cust-1' })).toEqual([])
    expect((await seam.spaces.list({ customer_key: 'cust-1' })).length).toBe(0)
  })
})

describe('an item failing on store state is rejected alone', () => {
  test('a push whose grant key is already used by an API grant rejects that item and applies the rest', async () => {
    const s = await seam.spaces.create({ name: 'Unit 201', space_key: 'unit-201', device_ids: [dev['Front Door']!] })
    const u = await seam.userIdentities.create({ full_name: 'API Holder' })
    await seam.accessGrants.create({ user_identity_id: u.user_identity_id, space_ids: [s.space_id], ends_at: stay.ends_at, requested_access_methods: [{ mode: 'code' }], access_grant_key: 'taken-key' })
    const body = await push({
      guests: [{ guest_key: 'g-201', name: 'Guest Two Oh One' }],
      reservations: [
        { reservation_key: 'taken-key', guest_key: 'g-201', space_keys: ['unit-201'], ends_at: stay.ends_at },
        { reservation_key: 'free-key', guest_key: 'g-201', space_keys: ['unit-201'], ends_at: stay.ends_at },
      ],
    })
    expect(body.results).toEqual([
      { collection: 'guests', key: 'g-201', status: 'applied', outcome: 'created' },
      { collection: 'reservations', key: 'taken-key', status: 'rejected', error: expect.objectContaining({ type: 'access_grant_key_already_exists', status: 409 }) },
      { collection: 'reservations', key: 'free-key', status: 'applied', outcome: 'created' },
    ])
    expect((await seam.accessGrants.list({ access_grant_key: 'free-key' })).length).toBe(1)
    expect((await seam.accessGrants.list({ access_grant_key: 'taken-key' }))[0]!.user_identity_id).toBe(u.user_identity_id)
  })
})

describe('delete_data of a space', () => {
  test('pushed grants on it go back to waiting (and come back with the space); API grants lose it', async () => {
    const s = await seam.spaces.create({ name: 'Unit 301', space_key: 'unit-301', device_ids: [dev['Gym']!] })
    const api = await seam.userIdentities.create({ full_name: 'API Guest 301' })
    const apiGrant = await seam.accessGrants.create({ user_identity_id: api.user_identity_id, space_ids: [s.space_id], ends_at: stay.ends_at, requested_access_methods: [{ mode: 'code' }] })
    await push({ guests: [{ guest_key: 'g-301', name: 'Guest 301' }], reservations: [{ reservation_key: 'res-301', guest_key: 'g-301', space_keys: ['unit-301'], ends_at: stay.ends_at }] })
    expect((await seam.accessCodes.list({ device_id: dev['Gym']! })).length).toBe(2)

    const del = (await seam.customers.deleteData({ space_keys: ['unit-301'] }).fetchResponse()) as any
    expect(del.results).toEqual([{ list: 'space_keys', key: 'unit-301', status: 'deleted', cascade: { drafted_access_grant_keys: ['res-301'] } }])
    expect((await seam.spaces.get({ space_key: 'unit-301' }).catch((e: any) => e)).code).toBe('space_not_found')
    expect(await seam.accessGrants.list({ access_grant_key: 'res-301' })).toEqual([])
    const left = await seam.accessGrants.get({ access_grant_id: apiGrant.access_grant_id })
    expect(grantSchema.parse(left).space_ids).toEqual([])
    expect((await seam.accessCodes.list({ device_id: dev['Gym']! })).length).toBe(0)

    // The space comes back with doors: the parked reservation is a grant again.
    await seam.spaces.create({ name: 'Unit 301', space_key: 'unit-301', device_ids: [dev['Gym']!] })
    expect((await seam.accessGrants.list({ access_grant_key: 'res-301' })).length).toBe(1)
    expect((await seam.accessCodes.list({ device_id: dev['Gym']! })).length).toBe(1)
  })
})
