// Every event type the store and the reconciler's repo append is checked against Seam's event schema,
// including the rare ones (failures, disconnects) an end-to-end run may not produce.
import { expect, test } from 'vitest'
import { schemas } from 'seam-schemas'
import { ManualClock } from '../../src/kernel/clock.js'
import { seededRandom } from '../../src/kernel/ids.js'
import { Store } from '../../src/store/store.js'
import { SqliteReconcileRepo } from '../../src/store/reconcile-repo.js'
import { defaultConstraints } from '../helpers/fake-lock-driver.js'
import { createCode, deleteCode, updateCode } from '../../src/app/access-codes.js'

test('events from device, code and reconciler changes are valid Seam events', async () => {
  const store = Store.open(':memory:', new ManualClock(), seededRandom('events'))
  const repo = new SqliteReconcileRepo(store)
  const { device } = store.tx(() => store.devices.upsert({
    nativeId: 'n1', driver: 'fake', displayName: 'Door', manufacturer: 'Acme', model: 'K', deviceType: 'yale_lock', constraints: defaultConstraints(4), online: false,
  }))
  store.tx(() => store.devices.setOnline(device.deviceId, true))
  store.tx(() => store.devices.setOnline(device.deviceId, false))
  const code = store.tx(() => createCode(store, {
    deviceId: device.deviceId, name: 'A', code: '4826', startsAt: null, endsAt: null, allowExternalModification: false, isOneTimeUse: false, commonCodeKey: null, preferredCodeLength: null,
  }))
  store.tx(() => updateCode(store, code.accessCodeId, { name: 'B', code: '5937', startsAt: Date.parse('2026-02-01T00:00:00Z'), endsAt: Date.parse('2026-03-01T00:00:00Z') }))
  await repo.applyVerdicts(device.deviceId, { verdicts: [{ accessCodeId: code.accessCodeId, kind: 'failed', slot: 1, errors: [{ code: 'failed_to_set_on_device', message: 'refused' }], warnings: [] }], unmanaged: [{ slot: 2, code: '1111', name: null }] }, 0)
  await repo.applyVerdicts(device.deviceId, { verdicts: [{ accessCodeId: code.accessCodeId, kind: 'set', slot: 1, confirmedCode: '5937', errors: [], warnings: [] }], unmanaged: [] }, 0)
  await repo.applyVerdicts(device.deviceId, {
    verdicts: [{ accessCodeId: code.accessCodeId, kind: 'externally_modified', slot: 1, external: { changeType: 'modified', modifiedFields: [{ field: 'code', from: '5937', to: '0000' }], resolution: 'restore' }, errors: [{ code: 'conflicting_external_modification', message: 'changed at the lock', change_type: 'modified', modified_fields: [{ field: 'code', from: '5937', to: '0000' }] }], warnings: [] }],
    unmanaged: [],
  }, 0)
  for (const type of ['lock.locked', 'lock.unlocked'] as const) await repo.recordActivity(device.deviceId, { type, method: 'keycode', accessCodeId: code.accessCodeId }, 0)
  await repo.recordActivity(device.deviceId, { type: 'lock.access_denied' }, 0)
  store.tx(() => deleteCode(store, code.accessCodeId, true))
  await repo.applyVerdicts(device.deviceId, { verdicts: [{ accessCodeId: code.accessCodeId, kind: 'failed', slot: 1, errors: [{ code: 'failed_to_remove_from_device', message: 'no' }], warnings: [] }], unmanaged: [] }, 0)
  await repo.applyVerdicts(device.deviceId, { verdicts: [{ accessCodeId: code.accessCodeId, kind: 'gone', slot: null, errors: [], warnings: [] }], unmanaged: [] }, 0)

  const events = store.events.list({})
  const types = new Set(events.map((e) => e.body.event_type))
  for (const t of ['device.added', 'device.connected', 'device.disconnected', 'access_code.created', 'access_code.name_changed', 'access_code.code_changed',
    'access_code.time_frame_changed', 'access_code.failed_to_set_on_device', 'access_code.unmanaged.created', 'access_code.unmanaged.removed',
    'access_code.set_on_device', 'access_code.modified_external_to_seam', 'lock.locked', 'lock.unlocked', 'lock.access_denied', 'access_code.deleted',
    'access_code.failed_to_remove_from_device', 'access_code.removed_from_device']) expect(types).toContain(t)
  for (const e of events) {
    const r = schemas.seam_event.safeParse(e.body)
    expect(r.success, `${e.body.event_type}: ${JSON.stringify(r.error?.issues)}`).toBe(true)
  }
  expect(store.accessCodes.find(code.accessCodeId)).toBeUndefined()
  store.close()
})
