// The events a lock can truthfully tell, end to end in the lab: SDK → daemon → driver → simulated lock, and
// the events read back through events.list. Each test asserts when an event comes and what it carries, and
// that it does not come when it is not true (once per request, not for a refusal of someone else's code …).
import { afterAll, beforeAll, expect, test } from 'vitest'
import { SeamHttp } from '@seamapi/http'
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js'
import { eventually } from '../helpers/eventually.js'
import { labClient } from '../helpers/lab-client.js'

let t: TestDaemon
let seam: SeamHttp
let lab: ReturnType<typeof labClient>

beforeAll(async () => {
  t = await startTestDaemon({ daemon: { log: (await import('../../src/log.js')).createLogger('warn') } })
  seam = SeamHttp.fromApiKey(t.apiKey, { endpoint: t.url })
  lab = labClient(t.url, t.apiKey)
})
afterAll(async () => t?.stop())

const SINCE = '2000-01-01T00:00:00Z'
const deviceNamed = async (name: string) => (await seam.devices.get({ name })).device_id
const online = async (deviceId: string) =>
  eventually(async () => expect((await seam.devices.get({ device_id: deviceId })).properties.online).toBe(true), 20_000)
const eventsOf = async (type: string, filter: Record<string, string> = {}): Promise<any[]> =>
  (await seam.events.list({ since: SINCE, event_type: type, limit: 10_000, ...filter } as any)) as any[]
const setOnLock = async (accessCodeId: string) =>
  eventually(async () => expect((await seam.accessCodes.get({ access_code_id: accessCodeId })).status).toBe('set'), 20_000)

test('a keypad code opens the lock: lock.unlocked says keycode and which code; a wrong PIN: lock.access_denied', async () => {
  const door = await deviceNamed('Front Door')
  await online(door)
  const code = await seam.accessCodes.create({ device_id: door, code: '481516', name: 'Keypad guest' })
  await setOnLock(code.access_code_id)
  const [set] = await eventsOf('access_code.set_on_device', { access_code_id: code.access_code_id })
  expect(set).toMatchObject({ device_id: door, code: '481516' })

  expect((await lab('locks/enter_code', { device_id: door, code: '481516' })).result.granted).toBe(true)
  await eventually(async () => {
    const unlocked = (await eventsOf('lock.unlocked', { device_id: door })).filter((e) => e.method === 'keycode')
    expect(unlocked.at(-1)).toMatchObject({ access_code_id: code.access_code_id, access_code_is_managed: true, device_id: door })
  }, 10_000)

  const deniedBefore = (await eventsOf('lock.access_denied', { device_id: door })).length
  expect((await lab('locks/enter_code', { device_id: door, code: '999111' })).result.granted).toBe(false)
  await eventually(async () => {
    const denied = await eventsOf('lock.access_denied', { device_id: door })
    expect(denied).toHaveLength(deniedBefore + 1)
    expect(denied.at(-1)).toMatchObject({ reason: { reason_code: 'unknown_code' } })
    expect(denied.at(-1).access_code_id).toBeUndefined()
  }, 10_000)
  await seam.accessCodes.delete({ access_code_id: code.access_code_id })
})

test('access_code.changed lists what changed; the new PIN is set on the lock again', async () => {
  const door = await deviceNamed('Front Door')
  const code = await seam.accessCodes.create({ device_id: door, code: '602214', name: 'Before' })
  await setOnLock(code.access_code_id)
  await seam.accessCodes.update({ access_code_id: code.access_code_id, name: 'After', code: '602215' })
  const [changed] = await eventsOf('access_code.changed', { access_code_id: code.access_code_id })
  expect(changed.changed_properties).toEqual([
    { property: 'name', from: 'Before', to: 'After' },
    { property: 'code', from: '602214', to: '602215' },
  ])
  await eventually(async () => {
    const sets = await eventsOf('access_code.set_on_device', { access_code_id: code.access_code_id })
    expect(sets.map((e) => e.code)).toEqual(['602214', '602215'])
  }, 20_000)
  await seam.accessCodes.delete({ access_code_id: code.access_code_id })
  await eventually(async () => expect(await eventsOf('access_code.removed_from_device', { access_code_id: code.access_code_id })).toHaveLength(1), 20_000)
})

test('an offline lock: delay_in_setting_on_device once after the threshold, warning until set; the same for removing', async () => {
  const door = await deviceNamed('Back Door')
  await online(door)
  await lab('devices/set_online', { device_id: door, online: false })
  await eventually(async () => expect(await eventsOf('device.disconnected', { device_id: door })).toHaveLength(1), 20_000)
  const code = await seam.accessCodes.create({ device_id: door, code: '731902', name: 'Late' })
  const warningsOf = async () => (await seam.accessCodes.get({ access_code_id: code.access_code_id })).warnings.map((w) => w.warning_code)

  await lab('clock/advance', { seconds: 200 })
  expect(await warningsOf()).not.toContain('delay_in_setting_on_device')
  await lab('clock/advance', { seconds: 101 })
  await eventually(async () => expect(await warningsOf()).toContain('delay_in_setting_on_device'), 10_000)
  await lab('clock/advance', { seconds: 600 })
  const delayed = await eventsOf('access_code.delay_in_setting_on_device', { access_code_id: code.access_code_id })
  expect(delayed).toHaveLength(1)
  expect(delayed[0].device_errors.map((e: any) => e.error_code)).toContain('device_offline')
  expect(delayed[0].access_code_warnings.map((w: any) => w.warning_code)).toContain('delay_in_setting_on_device')

  await lab('devices/set_online', { device_id: door, online: true })
  await setOnLock(code.access_code_id)
  expect(await warningsOf()).not.toContain('delay_in_setting_on_device')
  expect(await eventsOf('device.connected', { device_id: door })).not.toHaveLength(0)

  await lab('devices/set_online', { device_id: door, online: false })
  await eventually(async () => expect(await eventsOf('device.disconnected', { device_id: door })).toHaveLength(2), 20_000)
  await seam.accessCodes.delete({ access_code_id: code.access_code_id })
  await lab('clock/advance', { seconds: 301 })
  await eventually(async () => expect(await eventsOf('access_code.delay_in_removing_from_device', { access_code_id: code.access_code_id })).toHaveLength(1), 10_000)
  expect(await eventsOf('access_code.removed_from_device', { access_code_id: code.access_code_id })).toHaveLength(0)
  await lab('devices/set_online', { device_id: door, online: true })
  await eventually(async () => expect(await eventsOf('access_code.removed_from_device', { access_code_id: code.access_code_id })).toHaveLength(1), 20_000)
  expect(await eventsOf('access_code.delay_in_setting_on_device', { access_code_id: code.access_code_id })).toHaveLength(1)
  expect(await eventsOf('access_code.delay_in_removing_from_device', { access_code_id: code.access_code_id })).toHaveLength(1)
})

test('a PIN programmed at the keypad while lockstep could not see it: the managed code with that PIN fails to set', async () => {
  const door = await deviceNamed('Gym')
  await online(door)
  await lab('devices/set_online', { device_id: door, online: false })
  await eventually(async () => expect(await eventsOf('device.disconnected', { device_id: door })).toHaveLength(1), 20_000)
  const code = await seam.accessCodes.create({ device_id: door, code: '550123', name: 'Clash' })
  // The slot lockstep will pick (the lowest free one) now holds the same PIN, set by hand.
  const free = (await lab('locks/slots', { device_id: door })).slots.find((s: any) => s.code === null).slot
  await lab('locks/program_code', { device_id: door, slot: free, code: '550123' })
  await lab('devices/set_online', { device_id: door, online: true })
  await eventually(async () => {
    const [failed] = await eventsOf('access_code.failed_to_set_on_device', { access_code_id: code.access_code_id })
    expect(failed.access_code_errors.map((e: any) => e.error_code)).toContain('duplicate_code_on_device')
  }, 20_000)
  // The hand-set PIN is an unmanaged code the box now knows.
  let unmanaged = ''
  await eventually(async () => {
    const created = await eventsOf('access_code.unmanaged.created', { device_id: door })
    expect(created).toHaveLength(1)
    unmanaged = created[0].access_code_id
  }, 10_000)
  expect(await eventsOf('access_code.set_on_device', { access_code_id: code.access_code_id })).toHaveLength(0)
  await seam.accessCodes.delete({ access_code_id: code.access_code_id })

  // Taken over: converted_to_managed; the slot cleared at the keypad afterwards is the owner's change.
  await seam.accessCodes.unmanaged.convertToManaged({ access_code_id: unmanaged })
  expect(await eventsOf('access_code.unmanaged.converted_to_managed', { access_code_id: unmanaged })).toHaveLength(1)
  await lab('locks/program_code', { device_id: door, slot: free, code: null })
  await eventually(async () => expect(await eventsOf('access_code.modified_external_to_seam', { access_code_id: unmanaged })).toHaveLength(1), 20_000)
  await seam.accessCodes.delete({ access_code_id: unmanaged })
})

test('an unmanaged code added and removed at the keypad: unmanaged.created, then unmanaged.removed', async () => {
  const door = await deviceNamed('Front Door')
  await online(door)
  const free = (await lab('locks/slots', { device_id: door })).slots.filter((s: any) => s.code === null).at(-1).slot
  await lab('locks/program_code', { device_id: door, slot: free, code: '771234' })
  let id = ''
  await eventually(async () => {
    const mine = (await seam.accessCodes.unmanaged.list({ device_id: door })).find((c) => c.code === '771234')
    expect(mine).toBeDefined()
    id = mine!.access_code_id
  }, 20_000)
  expect(await eventsOf('access_code.unmanaged.created', { access_code_id: id })).toHaveLength(1)
  // Opening with it names the unmanaged code.
  await lab('locks/enter_code', { device_id: door, code: '771234' })
  await eventually(async () => {
    const unlocked = (await eventsOf('lock.unlocked', { device_id: door })).at(-1)
    expect(unlocked).toMatchObject({ method: 'keycode', access_code_id: id, access_code_is_managed: false })
  }, 10_000)
  await lab('locks/program_code', { device_id: door, slot: free, code: null })
  await eventually(async () => expect(await eventsOf('access_code.unmanaged.removed', { access_code_id: id })).toHaveLength(1), 20_000)
})

test('a code access grant: issued once its code is set, all doors reached; deleted → the method is revoked once the code is off the lock', async () => {
  const door = await deviceNamed('Front Door')
  const user = await seam.userIdentities.create({ full_name: 'Grant Guest', email_address: 'grant.guest@example.com' })
  const grant = await seam.accessGrants.create({ user_identity_id: user.user_identity_id, device_ids: [door], requested_access_methods: [{ mode: 'code' }] })
  const forGrant = async (type: string) => (await eventsOf(type)).filter((e) => e.access_grant_id === grant.access_grant_id || e.access_grant_ids?.includes(grant.access_grant_id))
  const [method] = await seam.accessMethods.list({ access_grant_id: grant.access_grant_id })
  await eventually(async () => expect(await forGrant('access_method.issued')).toHaveLength(1), 20_000)
  await eventually(async () => expect(await forGrant('access_grant.access_granted_to_all_doors')).toHaveLength(1), 10_000)
  // The grant's code is the last one made on the door (the tests here run one after another).
  const codeId = (await eventsOf('access_code.created', { device_id: door })).at(-1).access_code_id
  expect(await forGrant('access_method.revoked')).toHaveLength(0)

  await seam.accessGrants.delete({ access_grant_id: grant.access_grant_id })
  await eventually(async () => expect(await forGrant('access_method.revoked')).toHaveLength(1), 20_000)
  const [removed] = await eventsOf('access_code.removed_from_device', { access_code_id: codeId })
  const [revoked] = await forGrant('access_method.revoked')
  expect(revoked.access_method_id).toBe(method!.access_method_id)
  expect(Date.parse(revoked.created_at)).toBeGreaterThanOrEqual(Date.parse(removed.created_at))
  expect(await forGrant('access_method.deleted')).toHaveLength(1)
})

test('a battery running down: battery_status_changed, low_battery once on entering low; replaced: back to full', async () => {
  const door = await deviceNamed('Gym')
  await online(door)
  const ofDoor = async (type: string) => eventsOf(type, { device_id: door })
  const lowBefore = (await ofDoor('device.low_battery')).length
  await lab('devices/set_battery', { device_id: door, battery_level: 0.2 })
  await eventually(async () => expect((await ofDoor('device.low_battery')).length).toBe(lowBefore + 1), 10_000)
  await lab('devices/set_battery', { device_id: door, battery_level: 0.02 })
  await eventually(async () => expect((await ofDoor('device.battery_status_changed')).at(-1)).toMatchObject({ battery_status: 'critical', battery_level: 0.02 }), 10_000)
  expect((await ofDoor('device.low_battery')).length).toBe(lowBefore + 1)
  await lab('devices/set_battery', { device_id: door, battery_level: 1 })
  await eventually(async () => expect((await ofDoor('device.battery_status_changed')).at(-1)).toMatchObject({ battery_status: 'full' }), 10_000)
  expect((await seam.devices.get({ device_id: door })).properties.battery_level).toBe(1)
})
