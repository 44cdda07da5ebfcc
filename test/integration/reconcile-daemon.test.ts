// The daemon's reconciler over a fake lock driver: API changes reach the lock and are read back.
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { SeamActionAttemptFailedError, SeamHttp } from '@seamapi/http'
import { schemas } from 'seam-schemas'
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js'
import { defaultConstraints, FakeLockDriver, type FakeLock } from '../helpers/fake-lock-driver.js'
import { eventually } from '../helpers/eventually.js'

let t: TestDaemon
let seam: SeamHttp
let driver: FakeLockDriver
let lock: FakeLock
let deviceId: string

beforeAll(async () => {
  driver = new FakeLockDriver()
  lock = driver.add('door-1', 6)
  // Only the fake driver runs: the lab's Zigbee locks stay registered from config with no driver behind them.
  t = await startTestDaemon({ daemon: { lockDrivers: [driver] } })
  seam = SeamHttp.fromApiKey(t.apiKey, { endpoint: t.url })
  driver.sink!({
    type: 'discovered',
    device: { nativeId: 'door-1', driver: 'fake', displayName: 'Door 1', manufacturer: 'Acme', model: 'K1', deviceType: 'yale_lock', constraints: defaultConstraints(6), online: true },
  })
  deviceId = (await seam.devices.get({ name: 'Door 1' })).device_id
})
afterAll(async () => t?.stop())

const status = async (id: string) => (await seam.accessCodes.get({ access_code_id: id })).status

describe('reconciler in the daemon', () => {
  test('a created code reaches the lock and becomes set; deleting clears it', async () => {
    const code = await seam.accessCodes.create({ device_id: deviceId, code: '4826', name: 'Guest' })
    await eventually(async () => expect(await status(code.access_code_id)).toBe('set'))
    expect(lock.pins()).toContain('4826')
    await seam.accessCodes.delete({ access_code_id: code.access_code_id })
    await eventually(() => expect(lock.pins()).not.toContain('4826'))
    const types = (await seam.events.list({ access_code_id: code.access_code_id, since: '2000-01-01T00:00:00Z' })).map((e) => e.event_type)
    expect(types).toEqual(expect.arrayContaining(['access_code.created', 'access_code.set_on_device', 'access_code.deleted', 'access_code.removed_from_device']))
  })

  test('an external change is restored by default, with the conflicting_external_modification error until in step', async () => {
    const code = await seam.accessCodes.create({ device_id: deviceId, code: '5937', name: 'Restore me' })
    await eventually(async () => expect(await status(code.access_code_id)).toBe('set'))
    const slot = [...lock.slots.entries()].find(([, v]) => v?.code === '5937')![0]
    lock.set(slot, '1111')
    driver.sink!({ type: 'slotChanged', nativeId: 'door-1', slot, code: '1111', source: 'keypad' })
    await eventually(() => expect(lock.code(slot)).toBe('5937'))
    const events = await seam.events.list({ access_code_id: code.access_code_id, since: '2000-01-01T00:00:00Z' })
    expect(events.map((e) => e.event_type)).toContain('access_code.modified_external_to_seam')
    await eventually(async () => expect(await status(code.access_code_id)).toBe('set'))
  })

  test('with allow_external_modification the lock value is adopted, with a warning', async () => {
    const code = await seam.accessCodes.create({ device_id: deviceId, code: '6048', name: 'Adopt me', allow_external_modification: true })
    await eventually(async () => expect(await status(code.access_code_id)).toBe('set'))
    const slot = [...lock.slots.entries()].find(([, v]) => v?.code === '6048')![0]
    lock.set(slot, '7159')
    driver.sink!({ type: 'slotChanged', nativeId: 'door-1', slot, code: '7159', source: 'app' })
    await eventually(async () => {
      const c = await seam.accessCodes.get({ access_code_id: code.access_code_id })
      expect(c.code).toBe('7159')
      expect(c.warnings.map((w) => w.warning_code)).toContain('external_modification_in_effect')
    })
    expect(lock.code(slot)).toBe('7159')
  })

  test('a code that appears in a free slot becomes an unmanaged code; converted, then deleted from the lock', async () => {
    const free = [...lock.slots.entries()].find(([, v]) => v === null)![0]
    lock.set(free, '8260', 'Owner')
    driver.sink!({ type: 'slotChanged', nativeId: 'door-1', slot: free, code: '8260', source: 'keypad' })
    let unmanagedId = ''
    await eventually(async () => {
      const list = await seam.accessCodes.unmanaged.list({ device_id: deviceId })
      const found = list.find((c) => c.code === '8260')
      expect(found).toBeDefined()
      unmanagedId = found!.access_code_id
    })
    await seam.accessCodes.unmanaged.convertToManaged({ access_code_id: unmanagedId })
    expect((await seam.accessCodes.get({ access_code_id: unmanagedId })).status).toBe('set')
    await seam.accessCodes.delete({ access_code_id: unmanagedId })
    await eventually(() => expect(lock.code(free)).toBeNull())
  })

  test('offline sets device_offline and codes wait; back online they converge', async () => {
    driver.sink!({ type: 'offline', nativeId: 'door-1' })
    await eventually(async () => expect((await seam.devices.get({ device_id: deviceId })).errors.map((e) => e.error_code)).toContain('device_offline'))
    lock.down = true
    const code = await seam.accessCodes.create({ device_id: deviceId, code: '9371', name: 'Later' })
    await new Promise((r) => setTimeout(r, 200))
    expect(await status(code.access_code_id)).toBe('setting')
    lock.down = false
    driver.sink!({ type: 'online', nativeId: 'door-1' })
    await eventually(async () => expect(await status(code.access_code_id)).toBe('set'))
    expect((await seam.devices.get({ device_id: deviceId })).errors).toEqual([])
  })

  test('a lock action on a device whose driver is not running fails as an action attempt', async () => {
    const zigbee = await seam.devices.get({ name: 'Front Door' })
    const err = await seam.locks.unlockDoor({ device_id: zigbee.device_id }, { waitForActionAttempt: { pollingInterval: 50, timeout: 5000 } }).catch((e: any) => e)
    expect(err).toBeInstanceOf(SeamActionAttemptFailedError)
    expect(err.code).toBe('device_not_supported')
    schemas.action_attempt.parse(err.actionAttempt)
  })

  test('every event in the log is a valid Seam event', async () => {
    const events = (await seam.events.list({ since: '2000-01-01T00:00:00Z', limit: 10_000 })) as unknown[]
    for (const e of events) schemas.seam_event.parse(e)
    for (const c of await seam.accessCodes.list({ device_id: deviceId })) schemas.access_code.parse(c)
  })
})
