// lockstep against the real zwave-js driver and @zwave-js/server, over zwave-js's own mock controller and
// mock lock (the lab's Side Gate, a Schlage BE469 with 30 slots). The Seam SDK drives the API; the lab routes
// drive the lock's side (keypad, programming, radio range); the mock node's own state is the proof.
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { SeamHttp } from '@seamapi/http'
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js'
import { eventually } from '../helpers/eventually.js'
import { labClient } from '../helpers/lab-client.js'
import type { ZwaveLockLab } from '../../simulators/zwave-lock/index.js'
import type { SimulatedZwaveLock } from '../../simulators/zwave-lock/lock.js'

let t: TestDaemon
let seam: SeamHttp
let lab: ReturnType<typeof labClient>
let stack: ZwaveLockLab
let lock: SimulatedZwaveLock
let deviceId: string

const since = '2000-01-01T00:00:00Z'
const statusOf = async (id: string) => (await seam.accessCodes.get({ access_code_id: id })).status
const onLock = async () => (await lab<{ slots: { slot: number; code: string | null }[] }>('locks/slots', { device_id: deviceId })).slots
const enter = async (code: string) => (await lab<{ result: { granted: boolean } }>('locks/enter_code', { device_id: deviceId, code })).result.granted
const eventsOf = async (type: string) =>
  (await seam.events.list({ device_id: deviceId, since })).filter((e) => e.event_type === type) as unknown as Record<string, unknown>[]

beforeAll(async () => {
  t = await startTestDaemon({
    zwave: true,
    // Only the Z-Wave lock: this file is about it, and the machine is shared.
    patch: (c) => ({ ...c, locks: c.locks.filter((l) => l.driver === 'zwave-js'), entrances: [], encoders: [], reconcile: { ...c.reconcile, resync_seconds: 2 } }),
  })
  seam = SeamHttp.fromApiKey(t.apiKey, { endpoint: t.url })
  lab = labClient(t.url, t.apiKey)
  deviceId = (await seam.devices.get({ name: 'Side Gate' })).device_id
  stack = await t.daemon.lab!.zwave!.stack
  lock = stack.locks.get('Side Gate')!
  await eventually(async () => expect((await seam.devices.get({ device_id: deviceId })).properties.online).toBe(true), 60_000, 100)
}, 90_000)

afterAll(async () => t?.stop(), 30_000)

describe('Side Gate (Schlage BE469) through zwave-js-server', () => {
  test('discovered from the node: Schlage, 30 slots, online', async () => {
    const d = await seam.devices.get({ device_id: deviceId })
    expect(d.device_type).toBe('schlage_lock')
    expect(d.properties.online).toBe(true)
    expect(t.daemon.drivers.get('zwave-js')!.constraints('5')).toMatchObject({ slotCount: 30, firstSlot: 1, minLength: 4, maxLength: 8 })
  })

  test('create → set: the PIN is in exactly one slot of the mock node', async () => {
    const code = await seam.accessCodes.create({ device_id: deviceId, code: '482613', name: 'Anna Smith' })
    await eventually(async () => expect(await statusOf(code.access_code_id)).toBe('set'), 20_000, 50)
    const held = lock.slots().filter((s) => s.code === '482613')
    expect(held).toHaveLength(1)
    expect((await onLock()).find((s) => s.slot === held[0]!.slot)?.code).toBe('482613')
    await seam.accessCodes.delete({ access_code_id: code.access_code_id })
    await eventually(() => expect(lock.slots().map((s) => s.code)).not.toContain('482613'), 20_000, 50)
  }, 60_000)

  test('keypad use → lock.unlocked with the access_code_id; a wrong PIN → lock.access_denied', async () => {
    const code = await seam.accessCodes.create({ device_id: deviceId, code: '735190', name: 'Keypad user' })
    await eventually(async () => expect(await statusOf(code.access_code_id)).toBe('set'), 20_000, 50)
    expect(await enter('735190')).toBe(true)
    await eventually(async () => {
      const unlocked = await eventsOf('lock.unlocked')
      expect(unlocked.find((e) => e.access_code_id === code.access_code_id)).toMatchObject({ method: 'keycode' })
    }, 10_000, 50)
    expect((await seam.devices.get({ device_id: deviceId })).properties.locked).toBe(false)

    const deniedBefore = (await eventsOf('lock.access_denied')).length
    expect(await enter('000111')).toBe(false)
    await eventually(async () => expect((await eventsOf('lock.access_denied')).length).toBe(deniedBefore + 1), 10_000, 50)
    await seam.accessCodes.delete({ access_code_id: code.access_code_id })
  }, 60_000)

  test('a change at the keypad is restored by default', async () => {
    const code = await seam.accessCodes.create({ device_id: deviceId, code: '316427', name: 'Restore me' })
    await eventually(async () => expect(await statusOf(code.access_code_id)).toBe('set'), 20_000, 50)
    const slot = lock.slots().find((s) => s.code === '316427')!.slot
    await lab('locks/program_code', { device_id: deviceId, slot, code: '936147' })
    await eventually(() => expect(lock.code(slot)).toBe('316427'), 20_000, 50)
    await eventually(async () => {
      const types = (await seam.events.list({ access_code_id: code.access_code_id, since })).map((e) => e.event_type)
      expect(types).toContain('access_code.modified_external_to_seam')
    })
    expect(await enter('936147')).toBe(false)
    await seam.accessCodes.delete({ access_code_id: code.access_code_id })
  }, 60_000)

  test('a change at the keypad is adopted with allow_external_modification', async () => {
    const code = await seam.accessCodes.create({ device_id: deviceId, code: '527318', name: 'Adopt me', allow_external_modification: true })
    await eventually(async () => expect(await statusOf(code.access_code_id)).toBe('set'), 20_000, 50)
    const slot = lock.slots().find((s) => s.code === '527318')!.slot
    await lab('locks/program_code', { device_id: deviceId, slot, code: '604152' })
    await eventually(async () => expect((await seam.accessCodes.get({ access_code_id: code.access_code_id })).code).toBe('604152'), 20_000, 50)
    // Adopted, not restored: a later pass (resync every 2 s) leaves the lock's PIN alone.
    await eventually(async () => expect(await statusOf(code.access_code_id)).toBe('set'), 10_000, 50)
    expect(lock.code(slot)).toBe('604152')
    expect(await enter('604152')).toBe(true)
    await seam.accessCodes.delete({ access_code_id: code.access_code_id })
    await eventually(() => expect(lock.code(slot)).toBeNull(), 20_000, 50)
  }, 60_000)

  test('lock and unlock are action attempts the lock confirms', async () => {
    const wait = { waitForActionAttempt: { pollingInterval: 50, timeout: 15_000 } }
    const locked = await seam.locks.lockDoor({ device_id: deviceId }, wait)
    expect(locked).toMatchObject({ status: 'success', action_type: 'LOCK_DOOR' })
    expect(lock.isLocked()).toBe(true)
    await eventually(async () => expect((await seam.locks.get({ device_id: deviceId })).properties.locked).toBe(true))
    const unlocked = await seam.locks.unlockDoor({ device_id: deviceId }, wait)
    expect(unlocked).toMatchObject({ status: 'success', action_type: 'UNLOCK_DOOR' })
    expect(lock.isLocked()).toBe(false)
    await eventually(async () => expect((await seam.locks.get({ device_id: deviceId })).properties.locked).toBe(false))
  }, 60_000)

  test('out of range → device.disconnected, codes wait; back in range → converges', async () => {
    await lab('devices/set_online', { device_id: deviceId, online: false })
    // zwave-js learns it from the next frame that goes unanswered (the lab's ping, or this code's write: ZW0204).
    const code = await seam.accessCodes.create({ device_id: deviceId, code: '715926', name: 'While away' })
    await eventually(async () => expect((await eventsOf('device.disconnected')).length).toBeGreaterThan(0), 30_000, 100)
    await eventually(async () => expect((await seam.devices.get({ device_id: deviceId })).properties.online).toBe(false), 10_000, 50)
    expect(await statusOf(code.access_code_id)).toBe('setting')
    expect(lock.slots().map((s) => s.code)).not.toContain('715926')

    await lab('devices/set_online', { device_id: deviceId, online: true })
    await eventually(async () => expect(await statusOf(code.access_code_id)).toBe('set'), 30_000, 100)
    expect((await eventsOf('device.connected')).length).toBeGreaterThan(0)
    expect(lock.slots().filter((s) => s.code === '715926')).toHaveLength(1)
    expect(await enter('715926')).toBe(true)
    await seam.accessCodes.delete({ access_code_id: code.access_code_id })
    await eventually(() => expect(lock.slots().map((s) => s.code)).not.toContain('715926'), 20_000, 50)
  }, 90_000)

  test('zwave-js-server restarted mid-sync → converges, nothing duplicated', async () => {
    const pins = ['240816', '350927', '461038', '572149', '683250', '794361']
    const created = []
    for (const [i, pin] of pins.entries()) created.push(await seam.accessCodes.create({ device_id: deviceId, code: pin, name: `Restart ${i}` }))
    // Mid-sync: some PINs written, not all.
    const written = () => lock.slots().filter((s) => s.code !== null && pins.includes(s.code)).length
    await eventually(() => expect(written()).toBeGreaterThan(0), 20_000, 5)
    await stack.stopServer()
    expect(written()).toBeLessThan(pins.length)
    const driver = t.daemon.drivers.get('zwave-js') as unknown as { isConnected(): boolean }
    await eventually(() => expect(driver.isConnected()).toBe(false), 10_000, 20)
    await stack.startServer()
    for (const c of created) await eventually(async () => expect(await statusOf(c.access_code_id)).toBe('set'), 45_000, 100)
    for (const pin of pins) expect(lock.slots().filter((s) => s.code === pin)).toHaveLength(1)
    const held = lock.slots().filter((s) => s.code !== null)
    expect(new Set(held.map((s) => s.code)).size).toBe(held.length)
    for (const c of created) await seam.accessCodes.delete({ access_code_id: c.access_code_id })
    await eventually(() => expect(lock.slots().filter((s) => s.code !== null)).toEqual([]), 30_000, 100)
  }, 120_000)

  test('30 codes fill the 30-slot lock; the 31st gets no_space_for_access_code_on_device', async () => {
    const created = []
    for (let i = 0; i < 30; i++) created.push(await seam.accessCodes.create({ device_id: deviceId, code: String(810_000 + i * 7), name: `Guest ${i}` }))
    for (const c of created) await eventually(async () => expect(await statusOf(c.access_code_id)).toBe('set'), 60_000, 100)
    expect(lock.slots().filter((s) => s.code !== null)).toHaveLength(30)
    const extra = await seam.accessCodes.create({ device_id: deviceId, code: '999111', name: 'One too many' })
    await eventually(async () => {
      const got = await seam.accessCodes.get({ access_code_id: extra.access_code_id })
      expect(got.errors.map((e) => e.error_code)).toContain('no_space_for_access_code_on_device')
    }, 30_000, 100)
    expect(lock.slots().map((s) => s.code)).not.toContain('999111')
    for (const c of created) expect(lock.slots().filter((s) => s.code === c.code)).toHaveLength(1)
  }, 120_000)
})
