// Issue 12, defect 1, through the daemon: a code 25 days ahead and a code-mode access grant a year ahead
// arm no timer Node cannot hold (no TimeoutOverflowWarning), and are set once the clock gets there.
// The wake-up counting on fake time is in test/unit/reconcile/far-future.test.ts.
import { afterAll, afterEach, beforeAll, beforeEach, expect, test } from 'vitest'
import { SeamHttp } from '@seamapi/http'
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js'
import { defaultConstraints, FakeLockDriver, type FakeLock } from '../helpers/fake-lock-driver.js'
import { eventually } from '../helpers/eventually.js'

const DAY = 86_400_000
let t: TestDaemon
let seam: SeamHttp
let driver: FakeLockDriver
let lock: FakeLock
let deviceId: string
let warnings: Error[] = []
const onWarning = (w: Error) => warnings.push(w)

beforeAll(async () => {
  driver = new FakeLockDriver()
  lock = driver.add('far-door', 6)
  t = await startTestDaemon({ daemon: { lockDrivers: [driver] } })
  seam = SeamHttp.fromApiKey(t.apiKey, { endpoint: t.url })
  driver.sink!({
    type: 'discovered',
    device: { nativeId: 'far-door', driver: 'fake', displayName: 'Far Door', manufacturer: 'Acme', model: 'K1', deviceType: 'yale_lock', constraints: defaultConstraints(6), online: true },
  })
  deviceId = (await seam.devices.get({ name: 'Far Door' })).device_id
})
afterAll(async () => t?.stop())
beforeEach(() => {
  warnings = []
  process.on('warning', onWarning)
})
afterEach(() => {
  process.off('warning', onWarning)
})

test('codes and a code grant far ahead: no timer overflow, set when their time comes', async () => {
  const now = t.daemon.clock.now()
  const code = await seam.accessCodes.create({
    device_id: deviceId, code: '4826', name: 'Next month',
    starts_at: new Date(now + 25 * DAY).toISOString(), ends_at: new Date(now + 27 * DAY).toISOString(),
  })
  const u = await seam.userIdentities.create({ full_name: 'Far Guest', email_address: 'far.guest@example.com' })
  const grant = await seam.accessGrants.create({
    user_identity_id: u.user_identity_id, device_ids: [deviceId], requested_access_methods: [{ mode: 'code', code: '5937' }],
    starts_at: new Date(now + 365 * DAY).toISOString(), ends_at: new Date(now + 366 * DAY).toISOString(),
  })
  // The passes that armed the wake-ups are done; a warning would be on its way (emitted on next tick).
  await t.daemon.reconciler.idle()
  await new Promise<void>((r) => setImmediate(r))
  expect(warnings.filter((w) => w.name === 'TimeoutOverflowWarning')).toEqual([])
  expect(lock.pins()).toEqual([])

  // The lab's clock moves every part at once; the capped wake-up is re-armed from the new time.
  t.daemon.clock.advance(25 * DAY)
  t.daemon.reconciler.poke(deviceId)
  await eventually(async () => expect((await seam.accessCodes.get({ access_code_id: code.access_code_id })).status).toBe('set'))
  expect(lock.pins()).toEqual(['4826'])
  t.daemon.clock.advance(340 * DAY)
  t.daemon.reconciler.poke(deviceId)
  // The grant's code is on, the first code (ended on day 27) is off.
  await eventually(() => expect(lock.pins()).toEqual(['5937']))
  const [method] = await seam.accessMethods.list({ access_grant_id: grant.access_grant_id })
  expect(method?.mode).toBe('code')
  await new Promise<void>((r) => setImmediate(r))
  expect(warnings.filter((w) => w.name === 'TimeoutOverflowWarning')).toEqual([])
})
