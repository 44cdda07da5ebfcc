// Driver ↔ simulated lock over the fake radio: pairing, the keypad-code lifecycle, lock actions, and an
// owner's change in the Nuki app seen through readSlots and slotChanged.
import { stat, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { RejectedByDeviceError } from '../../src/ports/errors.js'
import type { SlotReading } from '../../src/ports/lock-driver.js'
import { NATIVE_ID, startHarness, startPaired, type Harness } from './nuki-harness.js'
import { FakeBleMedium } from '../../simulators/ble-medium/medium.js'
import { eventually } from '../helpers/eventually.js'

let h: Harness | undefined
afterEach(async () => {
  await h?.close()
  h = undefined
})

const occupied = (r: SlotReading[]) => r.filter((s) => s.state === 'occupied')

describe('Nuki driver with the simulated lock', () => {
  it('pairs with a lock in pairing mode, stores the key 0600, and announces it', async () => {
    h = await startPaired()
    const d = h.events.find((e) => e.type === 'discovered')
    expect(d).toMatchObject({
      type: 'discovered',
      device: { nativeId: NATIVE_ID, deviceType: 'nuki_lock', manufacturer: 'Nuki', locked: true, online: true },
    })
    expect(h.lock.authorizationNames()).toEqual(['lockstep'])
    const file = join(h.dataDir, `nuki-${NATIVE_ID}.json`)
    expect((await stat(file)).mode & 0o777).toBe(0o600)
    expect(JSON.parse(await readFile(file, 'utf8'))).toMatchObject({ authorizationId: 1 })
  })

  it('does not pair with a lock outside pairing mode', async () => {
    h = await startHarness({ lock: { pairingMode: false } })
    await new Promise((r) => setTimeout(r, 100))
    expect(h.lock.authorizationNames()).toEqual([])
    expect(h.events).toEqual([])
    await expect(h.driver.readSlots(NATIVE_ID)).rejects.toThrow(/not discovered or not paired/)
  })

  it('reuses the stored key after a restart, without pairing again', async () => {
    h = await startPaired()
    const dataDir = h.dataDir
    await h.driver.writeSlot(NATIVE_ID, 1, '654321', 'Guest')
    await h.driver.stop()
    const { NukiBleDriver } = await import('../../adapters/nuki-ble/driver.js')
    const again = new NukiBleDriver({ bindings: h.medium, dataDir, securityPin: 1234, commandTimeoutMs: 1000, connectTimeoutMs: 1000 })
    const seen: string[] = []
    await again.start((e) => seen.push(e.type))
    await eventually(() => expect(seen).toContain('discovered'))
    expect(occupied(await again.readSlots(NATIVE_ID))).toEqual([{ slot: 1, state: 'occupied', code: '654321', name: 'Guest' }])
    expect(h.lock.authorizationNames()).toHaveLength(1)
    await again.stop()
  })

  it('adds, lists, updates and removes keypad codes through slots', async () => {
    h = await startPaired()
    expect(occupied(await h.driver.readSlots(NATIVE_ID))).toEqual([])

    await h.driver.writeSlot(NATIVE_ID, 5, '654321', 'Anna Smith')
    await h.driver.writeSlot(NATIVE_ID, 2, '135799', 'Ben')
    let slots = await h.driver.readSlots(NATIVE_ID)
    expect(slots).toHaveLength(100)
    expect(occupied(slots)).toEqual([
      { slot: 2, state: 'occupied', code: '135799', name: 'Ben' },
      { slot: 5, state: 'occupied', code: '654321', name: 'Anna Smith' },
    ])
    // The lock assigned its own code ids; the driver keeps slots stable anyway.
    expect(h.lock.slots().filter((s) => s.code).map((s) => s.code)).toEqual(['654321', '135799'])

    await h.driver.writeSlot(NATIVE_ID, 5, '777888', 'Anna Smith')
    expect(occupied(await h.driver.readSlots(NATIVE_ID)).find((s) => s.slot === 5)).toMatchObject({ code: '777888' })
    expect(h.lock.enterCode('654321')).toEqual({ granted: false, reason: 'unknown_code' })
    expect(h.lock.enterCode('777888')).toEqual({ granted: true, reason: 'granted' })

    await h.driver.clearSlot(NATIVE_ID, 5)
    await h.driver.clearSlot(NATIVE_ID, 5) // already empty: still fine
    expect(occupied(await h.driver.readSlots(NATIVE_ID)).map((s) => s.slot)).toEqual([2])
    expect(h.lock.slots().filter((s) => s.code)).toEqual([{ slot: 2, code: '135799' }])
    // No slotChanged for lockstep's own writes.
    expect(h.events.filter((e) => e.type === 'slotChanged')).toEqual([])
  })

  it('maps device refusals: duplicate code, full lock, bad format', async () => {
    h = await startPaired({ lock: { keypadCapacity: 2 } })
    await h.driver.writeSlot(NATIVE_ID, 1, '111111', 'a')
    await expect(h.driver.writeSlot(NATIVE_ID, 2, '111111', 'b')).rejects.toMatchObject({ reason: 'duplicate_code' })
    await h.driver.writeSlot(NATIVE_ID, 2, '222222', 'b')
    const full = await h.driver.writeSlot(NATIVE_ID, 3, '333333', 'c').catch((e: unknown) => e)
    expect(full).toBeInstanceOf(RejectedByDeviceError)
    expect(full).toMatchObject({ reason: 'no_space' })
    for (const bad of ['123456', '012345', '105555', '12345', 'abcdef']) {
      await expect(h.driver.writeSlot(NATIVE_ID, 3, bad, 'x')).rejects.toMatchObject({ reason: 'bad_format' })
    }
    expect(h.driver.constraints(NATIVE_ID)).toMatchObject({ minLength: 6, maxLength: 6, alphabet: '123456789', noLeadingZero: true })
  })

  it('rejects keypad commands with a wrong security PIN without changing anything', async () => {
    h = await startPaired({ driver: { securityPin: 4321 } })
    await expect(h.driver.writeSlot(NATIVE_ID, 1, '654321', 'x')).rejects.toMatchObject({ reason: 'other' })
    expect(h.lock.slots().filter((s) => s.code)).toEqual([])
  })

  it('unlocks and locks, reporting the state the lock read back', async () => {
    h = await startPaired({ lock: { motorMs: 20 } })
    await h.driver.lockAction(NATIVE_ID, 'unlock')
    expect(h.lock.isLocked()).toBe(false)
    await h.waitFor((e) => e.type === 'lockStateChanged' && !e.locked)
    await h.driver.lockAction(NATIVE_ID, 'lock')
    expect(h.lock.isLocked()).toBe(true)
    await h.waitFor((e) => e.type === 'lockStateChanged' && e.locked && e.method === 'remote')
    await h.driver.lockAction(NATIVE_ID, 'lock') // already locked: bare COMPLETE
    expect(h.lock.isLocked()).toBe(true)
  })

  it('sees the owner editing, adding and deleting codes in the Nuki app', async () => {
    h = await startPaired()
    await h.driver.writeSlot(NATIVE_ID, 1, '654321', 'Guest')
    await h.driver.readSlots(NATIVE_ID)
    const lockId = h.lock.slots().find((s) => s.code === '654321')!.slot

    h.lock.programCode(lockId, '987654') // owner edits lockstep's code
    h.lock.programCode(50, '555555') // owner adds a code of their own
    const slots = await h.driver.readSlots(NATIVE_ID)
    expect(slots.find((s) => s.slot === 1)).toMatchObject({ state: 'occupied', code: '987654' })
    expect(slots.find((s) => s.slot === 50)).toMatchObject({ state: 'occupied', code: '555555' })
    expect(h.events.filter((e) => e.type === 'slotChanged')).toEqual([
      { type: 'slotChanged', nativeId: NATIVE_ID, slot: 1, code: '987654', source: 'app' },
      { type: 'slotChanged', nativeId: NATIVE_ID, slot: 50, code: '555555', source: 'app' },
    ])

    h.lock.programCode(lockId, null) // owner deletes it
    h.lock.setCodeEnabled(50, false) // and disables their own
    const after = await h.driver.readSlots(NATIVE_ID)
    expect(after.find((s) => s.slot === 1)).toEqual({ slot: 1, state: 'empty' })
    expect(after.find((s) => s.slot === 50)).toMatchObject({ state: 'occupied', code: null })
    expect(h.events.filter((e) => e.type === 'slotChanged').slice(2)).toEqual([
      { type: 'slotChanged', nativeId: NATIVE_ID, slot: 1, code: null, source: 'app' },
      { type: 'slotChanged', nativeId: NATIVE_ID, slot: 50, code: null, source: 'app' },
    ])
    // Writing the slot again after the owner deleted it adds a new code on the lock.
    await h.driver.writeSlot(NATIVE_ID, 1, '654321', 'Guest')
    expect(h.lock.slots().some((s) => s.code === '654321')).toBe(true)
  })

  it('writing a slot whose code the owner deleted since the last read is transient, then works', async () => {
    h = await startPaired()
    await h.driver.writeSlot(NATIVE_ID, 3, '654321', 'Guest')
    const lockId = h.lock.slots().find((s) => s.code === '654321')!.slot
    h.lock.programCode(lockId, null)
    await expect(h.driver.writeSlot(NATIVE_ID, 3, '765432', 'Guest')).rejects.toMatchObject({ name: 'TransientDeviceError' })
    await h.driver.writeSlot(NATIVE_ID, 3, '765432', 'Guest')
    expect(occupied(await h.driver.readSlots(NATIVE_ID))).toEqual([{ slot: 3, state: 'occupied', code: '765432', name: 'Guest' }])
  })

  it('reports keypad use and the resulting unlock', async () => {
    h = await startPaired()
    await h.driver.writeSlot(NATIVE_ID, 4, '654321', 'Guest')
    await h.driver.readSlots(NATIVE_ID)
    expect(h.lock.enterCode('999999').granted).toBe(false)
    expect(h.lock.enterCode('654321').granted).toBe(true)
    await h.waitFor((e) => e.type === 'keypadUsed')
    expect(h.events.find((e) => e.type === 'keypadUsed')).toEqual({ type: 'keypadUsed', nativeId: NATIVE_ID, granted: true, slot: 4, code: '654321' })
    expect(await h.waitFor((e) => e.type === 'lockStateChanged')).toEqual({
      type: 'lockStateChanged', nativeId: NATIVE_ID, locked: false, method: 'keycode', slot: 4,
    })
  })

  it('goes offline when the lock is out of range and back online when it returns', async () => {
    h = await startPaired()
    h.lock.setOnline(false)
    // The open link drops first (a drop alone is not "offline"); the next connect attempt finds no lock.
    await expect(h.driver.readSlots(NATIVE_ID)).rejects.toMatchObject({ name: 'TransientDeviceError' })
    await expect(h.driver.readSlots(NATIVE_ID)).rejects.toThrow(/connect: no answer/)
    expect(h.events.filter((e) => e.type === 'offline')).toEqual([{ type: 'offline', nativeId: NATIVE_ID }])
    h.lock.setOnline(true)
    await h.waitFor((e) => e.type === 'online')
    expect(occupied(await h.driver.readSlots(NATIVE_ID))).toEqual([])
  })

  it('reports offline when the lock stops advertising, without any command', async () => {
    h = await startPaired({ medium: new FakeBleMedium({ advertisingIntervalMs: 30 }), driver: { presenceTimeoutMs: 150 } })
    h.lock.setOnline(false)
    await h.waitFor((e) => e.type === 'offline', 2000)
    h.lock.setOnline(true)
    await h.waitFor((e) => e.type === 'online', 2000)
  })
})
