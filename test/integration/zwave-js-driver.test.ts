// ZwaveJsDriver alone against the real zwave-js + zwave-js-server on zwave-js's mock lock: what it reports,
// what it reads from memory and what it asks the lock, and how it treats a lost session.
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { UserCodeCCGet } from '@zwave-js/cc/UserCodeCC'
import { ZwaveJsDriver } from '../../adapters/zwave-js/index.js'
import type { DeviceEvent } from '../../src/ports/device-events.js'
import { RejectedByDeviceError } from '../../src/ports/errors.js'
import { startZwaveLockLab, type ZwaveLockLab } from '../../simulators/zwave-lock/index.js'
import type { SimulatedZwaveLock } from '../../simulators/zwave-lock/lock.js'
import { eventually } from '../helpers/eventually.js'

let stack: ZwaveLockLab
let lock: SimulatedZwaveLock
let driver: ZwaveJsDriver
const events: DeviceEvent[] = []
let getsSeen = 0
const ID = '9'

beforeAll(async () => {
  stack = await startZwaveLockLab({
    locks: [
      { name: 'L', nodeId: 9, slots: 10 },
      // A Kwikset 910 (its zwave-js device file maps its V1 alarms to Access Control notifications).
      { name: 'K', nodeId: 10, slots: 30, manufacturerId: 0x0090, productType: 0x0003, productId: 0x0238, legacyAlarms: true },
    ],
  })
  lock = stack.locks.get('L')!
  lock.node.defineBehavior({
    handleCC(_c, _s, cc) {
      if (cc instanceof UserCodeCCGet) getsSeen++
      return undefined
    },
  })
  driver = new ZwaveJsDriver({ url: stack.url, reconnectMs: 100, maxReconnectMs: 400 })
  await driver.start((e) => events.push(e))
  await eventually(() => expect(events.filter((e) => e.type === 'discovered').length).toBe(2), 30_000, 50)
}, 60_000)

afterAll(async () => {
  await driver?.stop()
  await stack?.stop()
}, 30_000)

const of = <T extends DeviceEvent['type']>(type: T, nativeId = ID) =>
  events.filter((e): e is Extract<DeviceEvent, { type: T }> => e.type === type && ('nativeId' in e ? e.nativeId : e.device.nativeId) === nativeId)

describe('ZwaveJsDriver', () => {
  test('the first read asks the lock; the same read again comes from what the lock reported', async () => {
    const before = getsSeen
    const first = await driver.readSlots(ID)
    expect(first).toHaveLength(10)
    expect(first.every((r) => r.state === 'empty')).toBe(true)
    expect(getsSeen - before).toBe(10)
    await driver.readSlots(ID)
    expect(getsSeen - before).toBe(10)
    // Our own reads are not news.
    expect(of('slotChanged')).toEqual([])
  })

  test('a write is read back from the lock and is not reported as a change', async () => {
    const reading = await driver.writeSlot(ID, 2, '482613', 'A')
    expect(reading).toEqual({ slot: 2, state: 'occupied', code: '482613' })
    expect(lock.code(2)).toBe('482613')
    expect(of('slotChanged')).toEqual([])
  })

  test('slot 0 and slots past the end are refused before anything reaches the lock (clear(0) wipes a lock)', async () => {
    await expect(driver.clearSlot(ID, 0)).rejects.toBeInstanceOf(RejectedByDeviceError)
    await expect(driver.writeSlot(ID, 11, '1234', 'x')).rejects.toBeInstanceOf(RejectedByDeviceError)
    await expect(driver.writeSlot(ID, 3, '12', 'x')).rejects.toMatchObject({ reason: 'bad_format' })
    expect(lock.code(2)).toBe('482613')
  })

  test('programming at the lock → slotChanged from the keypad, and the next read asks the lock', async () => {
    await lock.programCode(4, '5555')
    await eventually(() => expect(of('slotChanged')).toContainEqual({ type: 'slotChanged', nativeId: ID, slot: 4, code: undefined, source: 'keypad' }))
    const before = getsSeen
    expect(await driver.readSlots(ID, [4])).toEqual([{ slot: 4, state: 'occupied', code: '5555' }])
    expect(getsSeen - before).toBe(1)
  })

  test('a lost session is a gap: eventsMissed, reconnect, and slots are asked again before they are trusted', async () => {
    await stack.stopServer()
    await eventually(() => expect(of('eventsMissed')).toEqual([{ type: 'eventsMissed', nativeId: ID }]))
    // Meanwhile someone changes slot 2 at the lock: its announcement reaches nobody.
    await lock.programCode(2, '7777')
    await stack.startServer()
    await eventually(() => expect(driver.isConnected()).toBe(true), 10_000, 20)
    const before = getsSeen
    expect(await driver.readSlots(ID, [2])).toEqual([{ slot: 2, state: 'occupied', code: '7777' }])
    expect(getsSeen - before).toBe(1)
  })

  test('keypad unlock → keypadUsed + lockStateChanged with the slot; a wrong code → keypadUsed denied', async () => {
    await lock.enterCode('5555')
    await eventually(() => expect(of('lockStateChanged')).toContainEqual({ type: 'lockStateChanged', nativeId: ID, locked: false, method: 'keycode', slot: 4 }))
    expect(of('keypadUsed')).toContainEqual({ type: 'keypadUsed', nativeId: ID, granted: true, slot: 4 })
    await lock.enterCode('0000')
    await eventually(() => expect(of('keypadUsed')).toContainEqual({ type: 'keypadUsed', nativeId: ID, granted: false }))
  })

  test('lock action: resolves when the lock reports the mode, reported as a remote operation', async () => {
    await driver.lockAction(ID, 'lock')
    expect(lock.isLocked()).toBe(true)
    expect(of('lockStateChanged').at(-1)).toEqual({ type: 'lockStateChanged', nativeId: ID, locked: true, method: 'remote' })
  })

  test('out of range: the write fails as transient, the node goes offline; back: online', async () => {
    await lock.setOnline(false)
    await expect(driver.writeSlot(ID, 5, '24681357', 'x')).rejects.toMatchObject({ name: 'TransientDeviceError' })
    await eventually(() => expect(of('offline')).toEqual([{ type: 'offline', nativeId: ID }]), 10_000)
    await expect(driver.readSlots(ID, [5])).rejects.toMatchObject({ name: 'TransientDeviceError' })
    await lock.setOnline(true)
    await eventually(() => expect(of('online')).toEqual([{ type: 'online', nativeId: ID }]), 10_000)
    expect(await driver.writeSlot(ID, 5, '24681357', 'x')).toEqual({ slot: 5, state: 'occupied', code: '24681357' })
  }, 30_000)

  test('a Kwikset 910 speaking V1 alarms: keypad unlock still arrives with its slot', async () => {
    const kwikset = stack.locks.get('K')!
    expect(of('discovered', '10')[0]!.device).toMatchObject({ manufacturer: 'Kwikset', deviceType: 'kwikset_lock' })
    await driver.writeSlot('10', 3, '2468', 'K')
    expect(kwikset.code(3)).toBe('2468')
    await kwikset.enterCode('2468')
    await eventually(() => expect(of('lockStateChanged', '10')).toContainEqual({ type: 'lockStateChanged', nativeId: '10', locked: false, method: 'keycode', slot: 3 }))
    expect(of('keypadUsed', '10')).toContainEqual({ type: 'keypadUsed', nativeId: '10', granted: true, slot: 3 })
    // What zwave-js leaves as bare V1 values: a code added at the keypad (112), wrong codes (161 tamper).
    await kwikset.programCode(6, '1357')
    await eventually(() => expect(of('slotChanged', '10')).toContainEqual({ type: 'slotChanged', nativeId: '10', slot: 6, code: undefined, source: 'keypad' }))
    await kwikset.enterCode('9999')
    await eventually(() => expect(of('keypadUsed', '10')).toContainEqual({ type: 'keypadUsed', nativeId: '10', granted: false }))
    // And a deletion at the keypad (33), which zwave-js maps to Access Control itself.
    await kwikset.programCode(6, null)
    await eventually(() => expect(of('slotChanged', '10')).toContainEqual({ type: 'slotChanged', nativeId: '10', slot: 6, code: null, source: 'keypad' }))
    expect(of('keypadUsed', '10').filter((e) => e.granted)).toHaveLength(1)
  })

  test('nodes: a driver told to manage some nodes leaves the others alone', async () => {
    const seen: DeviceEvent[] = []
    const only = new ZwaveJsDriver({ url: stack.url, nodes: [10] })
    await only.start((e) => seen.push(e))
    try {
      // start_listening lists node 9 before node 10: had 9 been taken, it would have been reported first.
      await eventually(() => expect(seen.filter((e) => e.type === 'discovered').map((e) => (e as { device: { nativeId: string } }).device.nativeId)).toEqual(['10']), 10_000)
      expect(only.deviceIds()).toEqual(['10'])
    } finally {
      await only.stop()
    }
  })
})
