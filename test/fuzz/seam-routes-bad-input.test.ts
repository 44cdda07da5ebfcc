// Random bodies and queries on the routes of issue 15 §2/§3: 200 or a clear 4xx in Seam's envelope, never a
// 500, and a refused request changes nothing in the store.
import { afterAll, beforeAll, describe, test } from 'vitest'
import fc from 'fast-check'
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js'
import { expectClearAnswer } from '../helpers/refusal.js'
import { createCode } from '../../src/app/access-codes.js'

let t: TestDaemon
let deviceId: string
let codeId: string
let identityId: string

beforeAll(async () => {
  // No drivers: the only writer is the API.
  t = await startTestDaemon({ daemon: { lockDrivers: [] } })
  const store = t.daemon.store
  deviceId = store.devices.list()[0]!.deviceId
  codeId = store.tx(() => createCode(store, {
    deviceId, name: 'seed', code: '2468', startsAt: null, endsAt: null, allowExternalModification: false, isOneTimeUse: false,
    commonCodeKey: 'seed-key', preferredCodeLength: null, useBackupPool: true,
  })).accessCodeId
  identityId = store.tx(() => store.userIdentities.create({ fullName: 'Fuzz', emailAddress: null, phoneNumber: null, userIdentityKey: null }, { allowSharedEmails: false })).userIdentityId
})
afterAll(async () => t?.stop())

const fields = [
  'device_id', 'access_code_id', 'user_identity_id', 'connected_account_id', 'acs_credential_id', 'action_attempt_ids', 'space_ids',
  'space_keys', 'access_grant_ids', 'include', 'exclude', 'custom_metadata', 'name', 'is_managed', 'common_code_key', 'starts_at',
  'ends_at', 'supported_code_lengths', 'min_code_length', 'max_code_length', 'requested_access_methods', 'backup_access_code_pool_enabled',
  'force', 'email', 'customer_key', 'search', 'limit', 'page_cursor',
]
const value = fc.oneof(
  fc.constantFrom(() => deviceId, () => codeId, () => identityId).map((f) => f()),
  fc.constantFrom('', '4', '1234', 'seed-key', '2026-01-01T00:00:00Z', 'not-a-uuid', '00000000-0000-4000-8000-000000000000', 'devices', 'code'),
  fc.string(), fc.integer({ min: -2, max: 30 }), fc.boolean(), fc.constant(null),
  fc.array(fc.oneof(fc.integer({ min: 0, max: 25 }), fc.constantFrom('devices', 'spaces'), fc.constant({ mode: 'code' })), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.oneof(fc.string(), fc.boolean(), fc.constant(null)), { maxKeys: 2 }),
)
const body = fc.dictionary(fc.oneof(fc.constantFrom(...fields), fc.string({ maxLength: 8 })), value, { maxKeys: 5 })

const routes = [
  '/workspaces/get', '/connected_accounts/list', '/connected_accounts/get', '/action_attempts/list', '/acs/credentials/list',
  '/acs/credentials/get', '/acs/credentials/delete', '/devices/update', '/user_identities/list_accessible_devices',
  '/user_identities/list_accessible_entrances', '/user_identities/grant_access_to_device', '/user_identities/revoke_access_to_device',
  '/access_grants/request_access_methods', '/spaces/get_related', '/access_grants/get_related', '/access_codes/update_multiple',
  '/access_codes/unmanaged/update', '/access_codes/report_device_constraints', '/access_codes/pull_backup_access_code',
]

describe('bad input on the §2/§3 routes never breaks the daemon', () => {
  test.each(routes)('POST %s with random JSON bodies', async (url) => {
    await fc.assert(fc.asyncProperty(body, (payload) => expectClearAnswer(t, { method: 'POST', url, payload })), { numRuns: 60 })
  })
  test('GET/DELETE query strings with random keys and values', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...routes), fc.constantFrom('GET', 'DELETE'), fc.array(fc.tuple(fc.oneof(fc.constantFrom(...fields), fc.string({ maxLength: 6 })), fc.string({ maxLength: 30 })), { maxLength: 5 }), async (url, method, pairs) => {
        const qs = new URLSearchParams(pairs).toString()
        await expectClearAnswer(t, { method, url: `${url}${qs ? '?' + qs : ''}` })
      }),
      { numRuns: 400 },
    )
  })
})
