// The SQLite repo against races the in-memory reference cannot show: a verdict from a pass that began
// before an API delete must not resurrect the code or orphan its slot.
import { expect, test } from 'vitest'
import { ManualClock } from '../../src/kernel/clock.js'
import { seededRandom } from '../../src/kernel/ids.js'
import { Store } from '../../src/store/store.js'
import { SqliteReconcileRepo } from '../../src/store/reconcile-repo.js'
import { defaultConstraints } from '../helpers/fake-lock-driver.js'
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
