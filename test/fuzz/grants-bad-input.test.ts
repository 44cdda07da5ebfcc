// Random bodies and query strings on the user identity, access grant, access method and customers routes:
// 200 or a clear 4xx in Seam's envelope, never a 500, and a refused request changes nothing in the store.
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import fc from 'fast-check'
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js'
import { expectClearAnswer, labStarted, storeSnapshot } from '../helpers/refusal.js'
import { createGrant } from '../../src/app/grant-provisioning.js'

let t: TestDaemon
const ids: Record<string, string> = {}

/**
 * A room, a guest and a stay with a code and a card. The random requests below may legitimately delete
 * what they can name, so the explicit-refusal test makes its own, under names the fuzzer never uses.
 */
function fixture(tag: string): Record<string, string> {
  const s = t.daemon.store
  const deviceId = s.devices.list()[0]!.deviceId
  const entranceId = s.acs.entrances()[0]!.acsEntranceId
  return s.tx(() => {
    const space = s.spaces.create({ name: `${tag} room`, spaceKey: `${tag}-room`, deviceIds: [deviceId], acsEntranceIds: [entranceId] })
    const u = s.userIdentities.create({ fullName: `${tag} Guest`, emailAddress: `${tag}@example.com`, userIdentityKey: `${tag}-guest` }, { allowSharedEmails: false })
    const g = createGrant(s, {
      userIdentityId: u.userIdentityId, requested: [{ mode: 'code' }, { mode: 'card' }], targets: { spaceIds: [space.spaceId] },
      window: { startsAt: Date.now(), endsAt: Date.parse('2031-01-01T00:00:00Z') }, name: tag, accessGrantKey: `${tag}-grant`, reservationKey: `${tag}-stay`,
      reservationKeyRequiredForGuestCards: false,
    })
    return { deviceId, entranceId, spaceId: space.spaceId, userId: u.userIdentityId, grantId: g.accessGrantId, methodId: s.accessGrants.methodsOf(g.accessGrantId)[0]!.accessMethodId }
  })
}

beforeAll(async () => {
  // No drivers: the only writer is the API, so a refused request must leave the store exactly as it was.
  t = await startTestDaemon({ daemon: { lockDrivers: [] } })
  await labStarted(t)
  Object.assign(ids, fixture('fuzz'))
})
afterAll(async () => t?.stop())


const fields = [
  'user_identity_id', 'user_identity_key', 'user_identity', 'full_name', 'email_address', 'phone_number', 'access_grant_id', 'access_grant_key',
  'access_grant_ids', 'reservation_key', 'requested_access_methods', 'space_ids', 'space_keys', 'device_ids', 'acs_entrance_ids', 'starts_at',
  'ends_at', 'name', 'access_method_id', 'access_code_id', 'space_id', 'device_id', 'acs_entrance_id', 'limit', 'page_cursor', 'search',
  'customer_key', 'customer_keys', 'reservations', 'guests', 'spaces', 'access_grants', 'reservation_keys', 'access_grant_keys', 'guest_keys',
  'space_keys', 'kind', 'user_identity_ids', 'created_before',
]
const value = fc.oneof(
  fc.constantFrom('userId', 'grantId', 'methodId', 'spaceId', 'deviceId', 'entranceId').map((k) => ids[k]!),
  fc.constantFrom('', 'fuzz-stay', 'fuzz-grant', 'fuzz-room', 'fuzz-guest', 'fuzz@example.com', '2031-05-10T15:00:00Z', '2020-01-01', 'not-a-uuid',
    '00000000-0000-4000-8000-000000000000', 'code', 'card', 'mobile_key', 'push_data'),
  fc.constant([{ mode: 'code' }]), fc.constant([{ mode: 'card' }]), fc.constant([{ mode: 'mobile_key' }]), fc.constant([{ mode: 'code', code: '12' }]),
  fc.constant([{ reservation_key: 'r', guest_key: 'fuzz-guest', space_keys: ['fuzz-room'] }]), fc.constant([{ guest_key: 'g', name: 'G', email_address: 'fuzz@example.com' }]),
  fc.string(), fc.integer(), fc.double(), fc.boolean(), fc.constant(null),
  fc.array(fc.oneof(fc.string(), fc.integer(), fc.constant(null)), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.string(), { maxKeys: 2 }),
)
const body = fc.dictionary(fc.oneof(fc.constantFrom(...fields), fc.string({ maxLength: 8 })), value, { maxKeys: 6 })

const routes = [
  '/user_identities/create', '/user_identities/get', '/user_identities/list', '/user_identities/update', '/user_identities/delete',
  '/access_grants/create', '/access_grants/get', '/access_grants/list', '/access_grants/update', '/access_grants/delete',
  '/access_methods/get', '/access_methods/list', '/access_methods/delete',
  '/customers/push_data', '/customers/delete_data', '/customers/automation_runs/list',
]

describe('bad input never breaks the grant routes', () => {
  test.each(routes)('POST %s with random JSON bodies', async (url) => {
    await fc.assert(
      fc.asyncProperty(body, (payload) => expectClearAnswer(t, { method: 'POST', url, payload })),
      { numRuns: 100 },
    )
  })

  test('GET/DELETE query strings with random keys and values', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...routes), fc.constantFrom('GET', 'DELETE'), fc.array(fc.tuple(fc.oneof(fc.constantFrom(...fields), fc.string({ maxLength: 6 })), fc.oneof(fc.string({ maxLength: 40 }), value.filter((v) => typeof v === 'string'))), { maxLength: 6 }), async (url, method, pairs) => {
        const qs = new URLSearchParams(pairs as [string, string][]).toString()
        await expectClearAnswer(t, { method, url: `${url}${qs ? '?' + qs : ''}` })
      }),
      { numRuns: 600 },
    )
  })

  test('explicit refusals leave the store unchanged', async () => {
    const ids = fixture('refusal')
    const cases: [string, Record<string, unknown>, number, string][] = [
      ['/access_grants/create', { user_identity_id: ids.userId, space_ids: [ids.spaceId], requested_access_methods: [{ mode: 'mobile_key' }] }, 400, 'access_method_mode_not_supported'],
      ['/access_grants/create', { user_identity_id: ids.userId, space_ids: [ids.spaceId], requested_access_methods: [] }, 400, 'invalid_input'],
      ['/access_grants/create', { user_identity_id: ids.userId, user_identity: { full_name: 'x' }, requested_access_methods: [{ mode: 'card' }] }, 400, 'invalid_input'],
      ['/access_grants/create', { user_identity_id: ids.userId, space_ids: [ids.spaceId], requested_access_methods: [{ mode: 'card' }], starts_at: '2031-01-02T00:00:00Z', ends_at: '2031-01-01T00:00:00Z' }, 400, 'invalid_input'],
      ['/access_grants/create', { user_identity: { full_name: 'New', email_address: 'refusal@example.com' }, space_ids: [ids.spaceId], requested_access_methods: [{ mode: 'card' }] }, 409, 'user_identity_email_or_phone_conflict'],
      ['/access_grants/create', { user_identity_id: ids.userId, space_ids: [ids.spaceId], requested_access_methods: [{ mode: 'card' }], access_grant_key: 'refusal-grant' }, 409, 'access_grant_key_already_exists'],
      ['/access_grants/update', { access_grant_id: ids.grantId, starts_at: '2035-01-01T00:00:00Z' }, 400, 'invalid_input'],
      ['/access_grants/delete', { access_grant_id: '00000000-0000-4000-8000-000000000000' }, 404, 'access_grant_not_found'],
      ['/access_methods/list', {}, 400, 'invalid_input'],
      ['/access_methods/delete', { access_method_id: ids.methodId, reservation_key: 'refusal-stay' }, 400, 'invalid_input'],
      ['/customers/push_data', { reservations: [] }, 400, 'invalid_input'],
      ['/user_identities/create', { email_address: 'not-an-email' }, 400, 'invalid_input'],
    ]
    for (const [url, payload, status, type] of cases) {
      const before = storeSnapshot(t.daemon.store)
      const res = await t.daemon.app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${t.apiKey}`, 'content-type': 'application/json' }, payload: JSON.stringify(payload) })
      expect([url, res.statusCode, res.json().error?.type]).toEqual([url, status, type])
      expect(storeSnapshot(t.daemon.store)).toBe(before)
    }
  })
})
