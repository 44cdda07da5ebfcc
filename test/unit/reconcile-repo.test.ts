// The SQLite repo against races the in-memory reference cannot show: a verdict from a pass that began
// before an API delete must not resurrect the code or orphan its slot.
import { expect, test } from 'vitest'
import { ManualClock } from '../../src/kernel/clock.js'
import { seededRandom } from '../../src/kernel/ids.js'
import { Store } from '../../src/store/store.js'
import { SqliteReconcileRepo } from '../../src/store/reconcile-repo.js'
import { Reconciler } from '../../src/reconcile/reconciler.js'
import { defaultConstraints, FakeLockDriver } from '../helpers/fake-lock-driver.js'
import { FakeTimers } from '../helpers/fake-timers.js'
import { createCode, deleteCode } from '../../src/app/access-codes.js'

function setup() {
  const store = Store.open(':memory:', new ManualClock(), seededRandom('repo'))
  const repo = new SqliteReconcileRepo(store)
  const { device } = store.tx(() => store.devices.upsert({ nativeId: 'n', driver: 'fake', displayName: 'D', manufacturer: 'A', model: 'M', deviceType: 'yale_lock', constraints: defaultConstraints(4), online: true }))
  const code = store.tx(() => createCode(store, { deviceId: device.deviceId, name: 'G', code: '4826', startsAt: null, endsAt: null, allowExternalModification: false, isOneTimeUse: false, commonCodeKey: null, preferredCodeLength: null }))
  return { store, repo, deviceId: device.deviceId, codeId: code.accessCodeId }
}

test('a late `set` verdict for a code deleted mid-pass keeps it removing and owned', async () => {
  const { store, repo, deviceId, codeId } = setup()
  await repo.assignSlots(deviceId, [{ accessCodeId: codeId, slot: 1 }], 0)
  store.tx(() => deleteCode(store, codeId, true)) // the API delete lands while the pass is writing
  await repo.applyVerdicts(deviceId, { verdicts: [{ accessCodeId: codeId, kind: 'set', slot: 1, confirmedCode: '4826', errors: [], warnings: [] }], unmanaged: [] }, 0)
  const desired = await repo.desiredFor(deviceId)
  expect(desired.codes).toEqual([expect.objectContaining({ accessCodeId: codeId, removing: true, slot: 1, confirmedCode: '4826' })])
  await repo.applyVerdicts(deviceId, { verdicts: [{ accessCodeId: codeId, kind: 'gone', slot: null, errors: [], warnings: [] }], unmanaged: [] }, 0)
  expect((await repo.desiredFor(deviceId)).codes).toEqual([])
  expect(store.accessCodes.find(codeId, { includeDeleted: true })?.status).toBe('unset')
})

test('work is cleared only at the revision the pass saw', async () => {
  const { store, repo, deviceId } = setup()
  const { revision } = await repo.desiredFor(deviceId)
  store.tx(() => createCode(store, { deviceId, name: 'H', code: '5937', startsAt: null, endsAt: null, allowExternalModification: false, isOneTimeUse: false, commonCodeKey: null, preferredCodeLength: null }))
  await repo.markClean(deviceId, revision)
  expect(await repo.dirtyDevices()).toEqual([deviceId])
  await repo.markClean(deviceId, (await repo.desiredFor(deviceId)).revision)
  expect(await repo.dirtyDevices()).toEqual([])
})

test('a transaction marks its device once however many codes it creates; each transaction marks again', async () => {
  const { store, repo, deviceId } = setup()
  const create = (code: string) =>
    createCode(store, { deviceId, name: `G${code}`, code, startsAt: null, endsAt: null, allowExternalModification: false, isOneTimeUse: false, commonCodeKey: null, preferredCodeLength: null })
  const woken: string[] = []
  store.dirtyDevices.subscribe((id) => woken.push(id))
  const before = (await repo.desiredFor(deviceId)).revision
  store.tx(() => ['1111', '2222', '3333'].forEach(create))
  const after = (await repo.desiredFor(deviceId)).revision
  expect(after).toBe(before + 1)
  expect(woken).toEqual([deviceId])
  await repo.markClean(deviceId, before) // a pass that began before the push is stale
  expect(await repo.dirtyDevices()).toEqual([deviceId])
  store.tx(() => create('4444'))
  expect((await repo.desiredFor(deviceId)).revision).toBe(after + 1)
  // Outside a transaction every mark counts.
  create('5555')
  create('6666')
  expect((await repo.desiredFor(deviceId)).revision).toBe(after + 3)
})

test('the last full read and the unmanaged codes known since survive in the store', async () => {
  const { store, repo, deviceId } = setup()
  expect(await repo.lastFullScan(deviceId)).toBeNull()
  await repo.recordFullScan(deviceId, 1_000)
  await repo.applyVerdicts(deviceId, { verdicts: [], unmanaged: [{ slot: 3, code: '9999', name: 'Owner' }] }, 1_000)
  const again = new SqliteReconcileRepo(store) // what a restarted daemon opens
  expect(await again.lastFullScan(deviceId)).toEqual({ at: 1_000, unmanaged: [{ slot: 3, code: '9999', name: 'Owner' }] })
})

// Issue 12, defect 3: a converged, idle site writes nothing. total_changes() counts every row an
// INSERT/UPDATE/DELETE touched, even one rewritten with the same values.
test('resync passes over a converged device change no row', async () => {
  const clock = new ManualClock(Date.parse('2026-03-01T12:00:00Z'))
  const store = Store.open(':memory:', clock, seededRandom('idle'))
  const repo = new SqliteReconcileRepo(store)
  const driver = new FakeLockDriver()
  const lock = driver.add('n', 3)
  const { device } = store.tx(() => store.devices.upsert({ nativeId: 'n', driver: 'fake', displayName: 'D', manufacturer: 'A', model: 'M', deviceType: 'yale_lock', constraints: defaultConstraints(3), online: true }))
  const deviceId = device.deviceId
  lock.set(3, '9999') // an unmanaged code the owner set
  const create = (code: string, startsAt: number | null = null) =>
    store.tx(() => createCode(store, { deviceId, name: `G${code}`, code, startsAt, endsAt: startsAt === null ? null : startsAt + 3_600_000, allowExternalModification: false, isOneTimeUse: false, commonCodeKey: null, preferredCodeLength: null }))
  create('1111')
  create('2222')
  create('3333') // two free slots for three codes: one carries an error, pass after pass
  create('4444', clock.now() + 90 * 24 * 3_600_000) // months ahead
  const r = new Reconciler({ repo, route: (id) => (id === deviceId ? { driver, nativeId: 'n' } : undefined), clock, random: seededRandom('idle'), timers: new FakeTimers(clock) })
  r.poke(deviceId)
  await r.idle()
  r.poke(deviceId) // one more pass to settle whatever the first one left
  await r.idle()
  const errors = store.accessCodes.onDevice(deviceId).flatMap((c) => c.errors.map((e) => e.error_code))
  expect(errors).toEqual(['no_space_for_access_code_on_device'])
  expect(lock.pins()).toHaveLength(3)
  const changes = () => (store.db.prepare('SELECT total_changes() AS n').get() as { n: number }).n
  const before = changes()
  const eventsBefore = store.events.list({}).length
  const callsBefore = lock.calls.length
  for (let i = 0; i < 5; i++) {
    clock.advance(20_000)
    r.poke(deviceId) // what the daemon's resync does
    await r.idle()
  }
  expect(lock.calls.slice(callsBefore).filter((c) => c !== 'read')).toEqual([]) // nothing written to the lock either…
  expect(changes() - before).toBe(0) // …nor to the store
  expect(store.events.list({}).length).toBe(eventsBefore)
  await r.stop()
})
