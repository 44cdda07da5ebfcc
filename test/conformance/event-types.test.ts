// Every event type lockstep can tell, checked against @seamapi/types' seam_event schema: the lab is driven
// so each one happens (codes on the Zigbee locks, keypad use, a lock going offline, the lab clock moved past
// the delay threshold, access grants with code and card methods, a card encoded and re-encoded), the events
// are collected through the SDK's events.list and each is parsed with the schema. Types that cannot happen
// on this box, or that the lab cannot drive, are listed below with the reason.
import { afterAll, beforeAll, expect, test } from 'vitest'
import { SeamHttp } from '@seamapi/http'
import { schemas } from 'seam-schemas'
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js'
import { eventually } from '../helpers/eventually.js'
import { labClient } from '../helpers/lab-client.js'

/** Driven below; each must be emitted and valid. */
const DRIVEN = [
  'device.added', 'device.connected', 'device.disconnected', 'device.battery_status_changed', 'device.low_battery',
  'lock.locked', 'lock.unlocked', 'lock.access_denied',
  'action_attempt.unlock_door.succeeded', 'action_attempt.lock_door.succeeded',
  'access_code.created', 'access_code.changed', 'access_code.name_changed', 'access_code.code_changed', 'access_code.time_frame_changed',
  'access_code.set_on_device', 'access_code.removed_from_device', 'access_code.deleted',
  'access_code.failed_to_set_on_device', 'access_code.delay_in_setting_on_device', 'access_code.delay_in_removing_from_device',
  'access_code.modified_external_to_seam', 'access_code.deleted_external_to_seam',
  'access_code.unmanaged.created', 'access_code.unmanaged.converted_to_managed', 'access_code.unmanaged.removed',
  'access_grant.created', 'access_grant.deleted', 'access_grant.access_times_changed',
  'access_grant.access_granted_to_door', 'access_grant.access_granted_to_all_doors',
  'access_method.created', 'access_method.issued', 'access_method.reissued', 'access_method.deleted', 'access_method.revoked', 'access_method.card_encoding_required',
  'acs_credential.issued', 'acs_credential.deleted',
]

/**
 * Emitted by lockstep but not driven here, each schema-checked elsewhere:
 * - access_code.failed_to_remove_from_device: needs a lock that refuses a clear; no lab route makes one refuse
 *   (test/unit/event-shapes.test.ts).
 * - access_grant.could_not_create_requested_access_methods: test/conformance/access-grants.test.ts.
 *
 * Never emitted, because lockstep cannot know it truthfully:
 * - access_code.scheduled_on_device: no lock here stores a schedule; lockstep writes a code at its start.
 * - access_code.backup_access_code_pulled, .unmanaged.failed_to_convert_to_managed (converting only changes the
 *   record), access_code.mutations_requested: no backup pools, no mutation queue.
 * - access_method.delay_in_issuing, .failed_to_issue: a code method's codes report their own delay and failure
 *   (access_code.*); a card is issued by the encoder at once or the attempt fails.
 * - access_grant.access_to_door_lost: an offline card lock keeps opening for a card until the card expires or a
 *   newer card overrides it, which the lock never reports to the box.
 * - acs_credential.invalidated: the same (an override happens at the door, unseen); acs_credential.reissued:
 *   every encoding makes a new credential (acs_credential.issued).
 * - device.tampered, device.removed, device.deleted, device.name_changed and the rest of device.*: no lock
 *   driver here reports tampering, and locks come from config.
 */

let t: TestDaemon
let seam: SeamHttp
let lab: ReturnType<typeof labClient>
const WAIT = { waitForActionAttempt: { pollingInterval: 100, timeout: 20_000 } } as const

beforeAll(async () => {
  t = await startTestDaemon({ daemon: { encoderCardWaitMs: 1500 } })
  seam = SeamHttp.fromApiKey(t.apiKey, { endpoint: t.url })
  lab = labClient(t.url, t.apiKey)
})
afterAll(async () => t?.stop())

const SINCE = '2000-01-01T00:00:00Z'
const all = async (): Promise<any[]> => (await seam.events.list({ since: SINCE, limit: 10_000 })) as any[]
const ofType = async (type: string): Promise<any[]> => (await seam.events.list({ since: SINCE, event_type: type, limit: 10_000 } as any)) as any[]
const deviceNamed = async (name: string) => (await seam.devices.get({ name })).device_id
const statusIs = (id: string, status: string) =>
  eventually(async () => expect((await seam.accessCodes.get({ access_code_id: id })).status).toBe(status), 20_000, 100)
const happened = (type: string, n = 1) => eventually(async () => expect((await ofType(type)).length).toBeGreaterThanOrEqual(n), 20_000, 100)
const labNow = async () => Date.parse((await lab('clock/get')).clock.now)
const iso = (ms: number) => new Date(ms).toISOString()

test('access codes, keypad, availability and delays on the Zigbee locks', async () => {
  const front = await deviceNamed('Front Door')
  const back = await deviceNamed('Back Door')
  await eventually(async () => expect((await seam.devices.get({ device_id: front })).properties.online).toBe(true), 20_000)

  const code = await seam.accessCodes.create({ device_id: front, code: '246801', name: 'One' })
  await statusIs(code.access_code_id, 'set')
  await lab('locks/enter_code', { device_id: front, code: '246801' })
  await lab('locks/enter_code', { device_id: front, code: '000999' })
  await seam.locks.lockDoor({ device_id: front }, WAIT)
  const unlock = await seam.locks.unlockDoor({ device_id: front }, WAIT)
  await eventually(async () => {
    const remote = (await ofType('lock.unlocked')).filter((e) => e.method === 'remote')
    expect(remote.at(-1)?.action_attempt_id).toBe(unlock.action_attempt_id)
  }, 10_000, 100)
  const now = await labNow()
  await seam.accessCodes.update({ access_code_id: code.access_code_id, name: 'Two', code: '246803', starts_at: iso(now - 60_000), ends_at: iso(now + 86_400_000) })
  await statusIs(code.access_code_id, 'set')
  const slot = (await lab('locks/slots', { device_id: front })).slots.find((s: any) => s.code === '246803').slot
  await lab('locks/program_code', { device_id: front, slot, code: '135799' })
  await happened('access_code.modified_external_to_seam')
  await seam.accessCodes.delete({ access_code_id: code.access_code_id })
  await happened('access_code.removed_from_device')

  // The owner removes a code lockstep was told to let them change.
  const loose = await seam.accessCodes.create({ device_id: front, code: '864200', name: 'Loose', allow_external_modification: true })
  await statusIs(loose.access_code_id, 'set')
  const looseSlot = (await lab('locks/slots', { device_id: front })).slots.find((s: any) => s.code === '864200').slot
  await lab('locks/program_code', { device_id: front, slot: looseSlot, code: null })
  await happened('access_code.deleted_external_to_seam')

  // Unmanaged: added at the keypad, one converted, one removed at the keypad.
  const free = (await lab('locks/slots', { device_id: front })).slots.filter((s: any) => s.code === null).map((s: any) => s.slot).slice(-2)
  await lab('locks/program_code', { device_id: front, slot: free[0], code: '777001' })
  await lab('locks/program_code', { device_id: front, slot: free[1], code: '777002' })
  await happened('access_code.unmanaged.created', 2)
  const unmanaged = await seam.accessCodes.unmanaged.list({ device_id: front })
  await seam.accessCodes.unmanaged.convertToManaged({ access_code_id: unmanaged.find((c) => c.code === '777001')!.access_code_id })
  await lab('locks/program_code', { device_id: front, slot: free[1], code: null })
  await happened('access_code.unmanaged.removed')

  // The batteries run down, and are replaced.
  await lab('devices/set_battery', { device_id: front, battery_level: 0.1 })
  await happened('device.low_battery')
  await lab('devices/set_battery', { device_id: front, battery_level: 1 })
  await eventually(async () => expect((await ofType('device.battery_status_changed')).filter((e) => e.device_id === front).map((e) => e.battery_status).slice(-2)).toEqual(['low', 'full']), 10_000, 100)

  // Offline: delays, then a clash with a PIN set by hand meanwhile.
  await lab('devices/set_online', { device_id: back, online: false })
  await happened('device.disconnected')
  const late = await seam.accessCodes.create({ device_id: back, code: '975310', name: 'Late' })
  const clash = await seam.accessCodes.create({ device_id: back, code: '975311', name: 'Clash' })
  const backSlots = (await lab('locks/slots', { device_id: back })).slots.filter((s: any) => s.code === null).map((s: any) => s.slot)
  // The lowest free slot, which lockstep reads before using it, now holds the clash PIN, set by hand.
  await lab('locks/program_code', { device_id: back, slot: backSlots[0], code: '975311' })
  await lab('clock/advance', { seconds: 301 })
  await happened('access_code.delay_in_setting_on_device', 2)
  await lab('devices/set_online', { device_id: back, online: true })
  await statusIs(late.access_code_id, 'set')
  await happened('access_code.failed_to_set_on_device')
  await seam.accessCodes.delete({ access_code_id: clash.access_code_id })
  await lab('devices/set_online', { device_id: back, online: false })
  await happened('device.disconnected', 2)
  await seam.accessCodes.delete({ access_code_id: late.access_code_id })
  await lab('clock/advance', { seconds: 301 })
  await happened('access_code.delay_in_removing_from_device')
  await lab('devices/set_online', { device_id: back, online: true })
  await happened('access_code.removed_from_device', 2)
}, 120_000)

test('access grants with a code method and a card method', async () => {
  const front = await deviceNamed('Front Door')
  const room = (await seam.acs.entrances.list()).find((e) => e.display_name === 'Room 101')!.acs_entrance_id
  const encoder = (await seam.acs.encoders.list())[0]!.acs_encoder_id
  const now = await labNow()
  const user = await seam.userIdentities.create({ full_name: 'Event Guest', email_address: 'event.guest@example.com' })

  const codeGrant = await seam.accessGrants.create({
    user_identity_id: user.user_identity_id, device_ids: [front], requested_access_methods: [{ mode: 'code' }],
    starts_at: iso(now - 60_000), ends_at: iso(now + 2 * 86_400_000),
  })
  await happened('access_grant.access_granted_to_all_doors')

  const cardGrant = await seam.accessGrants.create({
    user_identity_id: user.user_identity_id, acs_entrance_ids: [room], requested_access_methods: [{ mode: 'card' }],
    starts_at: iso(now - 60_000), ends_at: iso(now + 86_400_000),
  })
  const method = (await seam.accessMethods.list({ access_grant_id: cardGrant.access_grant_id }))[0]!.access_method_id
  const encode = async () => {
    const card = (await lab('cards/create')).card.card_id
    await lab('encoders/place_card', { acs_encoder_id: encoder, card_id: card })
    try {
      await seam.accessMethods.encode({ access_method_id: method, acs_encoder_id: encoder }, WAIT)
    } finally {
      await lab('encoders/remove_card', { acs_encoder_id: encoder })
    }
  }
  await encode()
  await seam.accessGrants.update({ access_grant_id: cardGrant.access_grant_id, ends_at: iso(now + 3 * 86_400_000) })
  await encode()
  await seam.accessGrants.delete({ access_grant_id: cardGrant.access_grant_id })
  await seam.accessGrants.delete({ access_grant_id: codeGrant.access_grant_id })
  await happened('acs_credential.deleted', 2)
  await happened('access_method.revoked')
}, 120_000)

test('every event is a valid Seam event, and every driven type happened', async () => {
  await happened('access_code.removed_from_device', 3)
  const events = await all()
  const failures: string[] = []
  for (const e of events) {
    const r = schemas.seam_event.safeParse(e)
    if (!r.success) failures.push(`${e.event_type}: ${JSON.stringify(r.error.issues).slice(0, 400)}`)
  }
  expect(failures).toEqual([])
  const seen = new Set(events.map((e) => e.event_type))
  expect(DRIVEN.filter((type) => !seen.has(type))).toEqual([])
  // A delay is told once per request (each code here is requested once), whatever the lock did meanwhile.
  for (const type of ['access_code.delay_in_setting_on_device', 'access_code.delay_in_removing_from_device']) {
    const ids = events.filter((e) => e.event_type === type).map((e) => e.access_code_id)
    expect(ids.length, type).toBe(new Set(ids).size)
  }
  // Nothing lockstep-only leaks into the default list.
  expect([...seen].filter((type) => type.startsWith('lockstep.'))).toEqual([])
})
