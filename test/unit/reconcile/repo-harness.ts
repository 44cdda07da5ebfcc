// One face over both ReconcileRepos for the reconciler contract suite: the in-memory reference
// (test/helpers/memory-repo.ts) and the SQLite store's repository on ':memory:'. Each harness does what
// the API side would (create, update, delete codes) and reads back what the reconciler left behind.
import type { ManualClock } from '../../../src/kernel/clock.js'
import { seededRandom } from '../../../src/kernel/ids.js'
import type { ReconcileRepo } from '../../../src/reconcile/repo.js'
import { SqliteReconcileRepo } from '../../../src/store/reconcile-repo.js'
import { Store } from '../../../src/store/store.js'
import { defaultConstraints } from '../../helpers/fake-lock-driver.js'
import { MemoryRepo } from '../../helpers/memory-repo.js'
import { createCode, deleteCode, updateCode } from '../../../src/app/access-codes.js'

export interface CodeFields {
  code: string
  name?: string
  startsAt?: number | null
  endsAt?: number | null
  allowExternalModification?: boolean
}

export interface CodeView {
  status: string
  slot: number | null
  code: string | null
  errors: string[]
  warnings: string[]
}

export interface RepoHarness {
  repo: ReconcileRepo
  /** A lock with `slots` slots; returns its device id. */
  addDevice(slots: number): string
  putCode(deviceId: string, fields: CodeFields): string
  updateCode(accessCodeId: string, fields: Partial<CodeFields>): void
  deleteCode(accessCodeId: string): void
  /** undefined once the code is forgotten (off the lock after a delete). */
  code(accessCodeId: string): CodeView | undefined
  eventTypes(accessCodeId?: string): string[]
  isDirty(deviceId: string): boolean
  deviceErrors(deviceId: string): string[]
  unmanaged(deviceId: string): { slot: number | null; code: string | null }[]
}

/** The events the reconciler is responsible for (the API side's created/deleted differ per repo). */
const RECONCILER_EVENTS = new Set([
  'access_code.set_on_device', 'access_code.removed_from_device', 'access_code.failed_to_set_on_device', 'access_code.failed_to_remove_from_device',
  'access_code.modified_external_to_seam', 'access_code.deleted_external_to_seam', 'access_code.unmanaged.created', 'access_code.unmanaged.removed',
  'lock.locked', 'lock.unlocked', 'lock.access_denied',
])
const reconcilerEvents = (types: string[]) => types.filter((t) => RECONCILER_EVENTS.has(t))

export type HarnessFactory = (clock: ManualClock) => RepoHarness

export const memoryHarness: HarnessFactory = (clock) => {
  const repo = new MemoryRepo()
  let devices = 0
  let codes = 0
  return {
    repo,
    addDevice: () => `dev${++devices}`,
    putCode(deviceId, f) {
      const id = `ac${++codes}`
      repo.putCode(deviceId, { accessCodeId: id, code: f.code, name: f.name ?? 'code', startsAt: f.startsAt ?? null, endsAt: f.endsAt ?? null, allowExternalModification: f.allowExternalModification ?? false }, clock.now())
      return id
    },
    updateCode(id, f) {
      const c = repo.codes.get(id)!
      repo.putCode(c.deviceId, { accessCodeId: id, code: f.code ?? c.code, ...(f.name !== undefined ? { name: f.name } : {}), ...(f.startsAt !== undefined ? { startsAt: f.startsAt } : {}), ...(f.endsAt !== undefined ? { endsAt: f.endsAt } : {}) }, clock.now())
    },
    deleteCode: (id) => repo.deleteCode(id, clock.now()),
    code(id) {
      const c = repo.codes.get(id)
      return c && { status: c.status, slot: c.slot, code: c.code, errors: c.errors.map((e) => e.code), warnings: c.warnings.map((w) => w.code) }
    },
    eventTypes: (id) => reconcilerEvents(repo.eventTypes(id === undefined ? undefined : { accessCodeId: id })),
    isDirty: (deviceId) => repo.isDirty(deviceId),
    deviceErrors: (deviceId) => repo.deviceErrors(deviceId),
    unmanaged: (deviceId) => repo.unmanaged(deviceId).map((u) => ({ slot: u.slot, code: u.code })),
  }
}

export const sqliteHarness: HarnessFactory = (clock) => {
  const store = Store.open(':memory:', clock, seededRandom('contract'))
  const repo = new SqliteReconcileRepo(store)
  let devices = 0
  const RECONCILER_ERRORS = new Set(['device_offline', 'device_disconnected'])
  return {
    repo,
    addDevice(slots) {
      const n = ++devices
      const { device } = store.tx(() =>
        store.devices.upsert({ nativeId: `lock-${n}`, driver: 'fake', displayName: `Door ${n}`, manufacturer: 'Acme', model: 'K1', deviceType: 'yale_lock', constraints: defaultConstraints(slots), online: true }),
      )
      return device.deviceId
    },
    putCode(deviceId, f) {
      return store.tx(() =>
        createCode(store, {
          deviceId, name: f.name ?? 'code', code: f.code, startsAt: f.startsAt ?? null, endsAt: f.endsAt ?? null,
          allowExternalModification: f.allowExternalModification ?? false, isOneTimeUse: false, commonCodeKey: null, preferredCodeLength: null,
        }),
      ).accessCodeId
    },
    updateCode(id, f) {
      store.tx(() => updateCode(store, id, { ...f }))
    },
    deleteCode(id) {
      store.tx(() => deleteCode(store, id, true))
    },
    code(id) {
      const c = store.accessCodes.find(id, { includeDeleted: true })
      if (!c || (c.deletedAt !== null && c.status !== 'removing')) return undefined
      return { status: c.status, slot: c.slot, code: c.code, errors: c.errors.flatMap((e) => (e.error_code ? [e.error_code] : [])), warnings: c.warnings.flatMap((w) => (w.warning_code ? [w.warning_code] : [])) }
    },
    eventTypes: (id) => reconcilerEvents(store.events.list(id === undefined ? {} : { accessCodeIds: [id] }).map((e) => String(e.body.event_type))),
    isDirty: (deviceId) => store.dirtyDevices.dirty().some((w) => w.deviceId === deviceId),
    deviceErrors: (deviceId) => store.devices.get(deviceId).errors.flatMap((e) => (RECONCILER_ERRORS.has(String(e.error_code)) ? [String(e.error_code)] : [])),
    unmanaged: (deviceId) => store.accessCodes.onDevice(deviceId).filter((c) => !c.isManaged).map((c) => ({ slot: c.slot, code: c.code })),
  }
}
