// Spaces and the offline entrances/encoders from config, through the SDK, checked against Seam's schemas.
import { afterAll, beforeAll, expect, test } from 'vitest'
import { SeamHttp } from '@seamapi/http'
import { schemas } from 'seam-schemas'
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js'

const spaceSchema = schemas.batch.shape.spaces.unwrap().element
let t: TestDaemon
let seam: SeamHttp

beforeAll(async () => {
  t = await startTestDaemon()
  seam = SeamHttp.fromApiKey(t.apiKey, { endpoint: t.url })
})
afterAll(async () => t?.stop())

test('entrances and encoders come from config, with can_belong_to_reservation', async () => {
  const entrances = await seam.acs.entrances.list()
  expect(entrances.map((e) => e.display_name)).toEqual(['Room 101', 'Room 102', 'Room 103', 'Pool'])
  for (const e of entrances) schemas.acs_entrance.parse(e)
  expect(entrances.find((e) => e.display_name === 'Pool')!.can_belong_to_reservation).toBe(false)
  expect(entrances.find((e) => e.display_name === 'Room 101')!.can_belong_to_reservation).toBe(true)
  const [system] = await seam.acs.systems.list()
  schemas.acs_system.parse(system)
  const encoders = await seam.acs.encoders.list({ acs_system_id: system!.acs_system_id })
  expect(encoders.map((e) => schemas.acs_encoder.parse(e).display_name)).toEqual(['Front Desk Encoder'])
  const again = await seam.acs.entrances.get({ acs_entrance_id: entrances[0]!.acs_entrance_id })
  expect(again.acs_entrance_id).toBe(entrances[0]!.acs_entrance_id)
})

test('space lifecycle: create with doors, get by key, update, add/remove doors, delete', async () => {
  const [front, back] = await seam.devices.list()
  const [room101, , , pool] = await seam.acs.entrances.list()
  const space = await seam.spaces.create({ name: 'Suite 1', space_key: 'suite-1', device_ids: [front!.device_id], acs_entrance_ids: [room101!.acs_entrance_id] })
  expect(spaceSchema.parse(space)).toMatchObject({ name: 'Suite 1', space_key: 'suite-1', device_count: 1, acs_entrance_count: 1 })
  expect((await seam.spaces.get({ space_key: 'suite-1' })).space_id).toBe(space.space_id)

  await seam.spaces.addDevices({ space_id: space.space_id, device_ids: [back!.device_id] })
  await seam.spaces.addAcsEntrances({ space_id: space.space_id, acs_entrance_ids: [pool!.acs_entrance_id] })
  await seam.spaces.addDevices({ space_id: space.space_id, device_ids: [back!.device_id] }) // a retried PUT changes nothing
  let got = await seam.spaces.get({ space_id: space.space_id })
  expect(got).toMatchObject({ device_count: 2, acs_entrance_count: 2 })
  expect((await seam.devices.get({ device_id: back!.device_id })).space_ids).toEqual([space.space_id])

  await seam.spaces.removeDevices({ space_id: space.space_id, device_ids: [front!.device_id] })
  await seam.spaces.removeAcsEntrances({ space_id: space.space_id, acs_entrance_ids: [pool!.acs_entrance_id] })
  got = await seam.spaces.update({ space_id: space.space_id, name: 'Suite One' })
  expect(spaceSchema.parse(got)).toMatchObject({ name: 'Suite One', device_count: 1, acs_entrance_count: 1 })

  const dup = await seam.spaces.create({ name: 'Other', space_key: 'suite-1' }).catch((e: any) => e)
  expect(dup.statusCode).toBe(409)
  const badDevice = await seam.spaces.create({ name: 'X', device_ids: ['00000000-0000-4000-8000-000000000000'] }).catch((e: any) => e)
  expect(badDevice.code).toBe('device_not_found')
  expect((await seam.spaces.list()).map((s) => s.name)).toEqual(['Suite One'])

  await seam.spaces.delete({ space_id: space.space_id })
  await seam.spaces.delete({ space_id: space.space_id })
  const gone = await seam.spaces.get({ space_id: space.space_id }).catch((e: any) => e)
  expect(gone.code).toBe('space_not_found')
})
