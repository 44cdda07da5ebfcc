// Driver ↔ simulator over the embedded broker (loopback, free port).
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Zigbee2MqttDriver } from '../../../adapters/zigbee2mqtt/index.js'
import { OffsetClock } from '../../../src/kernel/clock.js'
import { startBroker, type RunningBroker } from '../../../src/mqtt/broker.js'
import { RejectedByDeviceError, TransientDeviceError } from '../../../src/ports/errors.js'
import { labDeviceFacts, startZigbeeLab, type ZigbeeLab, type ZigbeeLabLock } from '../../../src/lab/zigbee-lab.js'
import { EventLog } from '../../helpers/event-log.js'

const LOCKS: ZigbeeLabLock[] = [
  { name: 'Front Door', manufacturer: 'Yale', model: 'YRD256HA20BP', slots: 250, pinLength: { min: 4, max: 8 } },
  { name: 'Back Door', manufacturer: 'Kwikset', model: '99140-002', slots: 30, pinLength: { min: 4, max: 8 } },
  { name: 'Gym', manufacturer: 'Schlage', model: 'BE468', slots: 30, pinLength: { min: 4, max: 6 }, exposePin: false },
]

let broker: RunningBroker
let lab: ZigbeeLab
let driver: Zigbee2MqttDriver
const log = new EventLog()
const TIMEOUT = 400
const clock = new OffsetClock()
/** The simulator's own time, so the sleepy-lock test can make the lock doze off without waiting. */
const labClock = new OffsetClock()

beforeAll(async () => {
  broker = await startBroker({ port: 0 })
  lab = await startZigbeeLab({ brokerUrl: broker.url, locks: LOCKS, commandTimeoutMs: 100, clock: labClock })
  driver = new Zigbee2MqttDriver({ url: broker.url, requestTimeoutMs: TIMEOUT, devices: labDeviceFacts(LOCKS), clock })
  await driver.start(log.sink)
  for (const l of LOCKS) await log.waitFor((e) => e.type === 'discovered' && e.device.nativeId === l.name)
})

/**
 * Proves the driver has handled everything the lock sent so far: a keypad miss goes out behind it on the
 * lock's command chain, and its keypadUsed event reaches the sink after every earlier message.
 */
async function driverCaughtUp(lock: string): Promise<void> {
  const since = log.mark()
  expect(lab.simulator.enterCode(lock, '86420975').granted).toBe(false)
  await log.waitFor((e) => e.type === 'keypadUsed' && e.nativeId === lock && !e.granted, 3000, since)
}

/** The simulator's own table for `slots`, as readings of a lock that exposes its PINs. */
function truth(lock: string, slots: number[]) {
  const table = lab.simulator.slots(lock)
  return slots.map((slot) => {
    const code = table[slot]!.code
    return code === null ? { slot, state: 'empty' } : { slot, state: 'occupied', code }
  })
}

afterAll(async () => {
  await driver?.stop()
  await lab?.stop()
  await broker?.close()
})

describe('discovery', () => {
  it('reports each simulated lock with maker, model, Seam type and constraints; not the coordinator', () => {
    const found = log.events.flatMap((e) => (e.type === 'discovered' ? [e.device] : []))
    expect(found.map((d) => d.nativeId).sort()).toEqual(['Back Door', 'Front Door', 'Gym'])
    const front = found.find((d) => d.nativeId === 'Front Door')!
    expect(front).toMatchObject({ manufacturer: 'Yale', model: 'YRD256HA20BP', deviceType: 'yale_lock', online: true, driver: 'zigbee2mqtt' })
    expect(front.constraints).toMatchObject({ firstSlot: 0, slotCount: 250, minLength: 4, maxLength: 8, alphabet: '0123456789' })
    expect(found.find((d) => d.nativeId === 'Back Door')!.deviceType).toBe('kwikset_lock')
    const gym = found.find((d) => d.nativeId === 'Gym')!
    expect(gym.deviceType).toBe('schlage_lock')
    expect(gym.constraints).toMatchObject({ slotCount: 30, maxLength: 6 })
  })
})

describe('slots', () => {
  it('writes a code and reads it back; the simulator holds it', async () => {
    await driver.writeSlot('Front Door', 3, '0123', 'Guest')
    expect(lab.simulator.slots('Front Door')[3]).toEqual({ slot: 3, code: '0123' })
    const read = await driver.readSlots('Front Door', [2, 3])
    expect(read).toEqual([{ slot: 2, state: 'empty' }, { slot: 3, state: 'occupied', code: '0123' }])
  })

  it('does not report its own Zigbee write as an external change', async () => {
    const since = log.mark()
    await driver.writeSlot('Back Door', 1, '4444', 'x')
    await driverCaughtUp('Back Door')
    expect(log.events.slice(since).filter((e) => e.type === 'slotChanged')).toEqual([])
  })

  it('an app edit over Zigbee after our write has settled is reported (injected clock)', async () => {
    await driver.writeSlot('Back Door', 11, '1111', 'x')
    clock.advance(10 * TIMEOUT)
    const since = log.mark()
    lab.simulator.programCode('Back Door', 11, '1212', 'rf')
    const changed = await log.waitFor((e) => e.type === 'slotChanged', 2000, since)
    expect(changed).toEqual({ type: 'slotChanged', nativeId: 'Back Door', slot: 11, code: undefined, source: 'app' })
    await driver.clearSlot('Back Door', 11)
  })

  it('clears a slot and reads it back as empty', async () => {
    await driver.writeSlot('Back Door', 5, '55555', 'x')
    await driver.clearSlot('Back Door', 5)
    expect(lab.simulator.slots('Back Door')[5]!.code).toBeNull()
    expect(await driver.readSlots('Back Door', [5])).toEqual([{ slot: 5, state: 'empty' }])
  })

  it('reads every slot of a lock when no slots are named, empty ones included', async () => {
    await driver.writeSlot('Back Door', 6, '6060', 'x')
    const all = await driver.readSlots('Back Door')
    expect(all).toHaveLength(30)
    expect(all).toEqual(truth('Back Door', Array.from({ length: 30 }, (_, i) => i)))
    expect(all).toContainEqual({ slot: 6, state: 'occupied', code: '6060' })
  })

  it('with expose_pin off reports occupied with code null, never a guessed value', async () => {
    await driver.writeSlot('Gym', 2, '2468', 'x')
    expect(lab.simulator.slots('Gym')[2]!.code).toBe('2468')
    expect(await driver.readSlots('Gym', [1, 2])).toEqual([{ slot: 1, state: 'empty' }, { slot: 2, state: 'occupied', code: null }])
  })

  it('refuses codes outside the lock rules before sending', async () => {
    await expect(driver.writeSlot('Gym', 3, '1234567', 'x')).rejects.toMatchObject({ reason: 'bad_format' })
    await expect(driver.writeSlot('Gym', 30, '1234', 'x')).rejects.toBeInstanceOf(RejectedByDeviceError)
  })

  it('a lock that refuses duplicates: RejectedByDeviceError duplicate_code, slot unchanged', async () => {
    await driver.writeSlot('Front Door', 3, '0123', 'Guest')
    await driver.clearSlot('Front Door', 4)
    lab.simulator.setFaults('Front Door', { refuseDuplicates: true })
    try {
      await expect(driver.writeSlot('Front Door', 4, '0123', 'x')).rejects.toMatchObject({ name: 'RejectedByDeviceError', reason: 'duplicate_code' })
      expect(lab.simulator.slots('Front Door')[4]!.code).toBeNull()
    } finally {
      lab.simulator.setFaults('Front Door', { refuseDuplicates: false })
    }
  })
})

describe('refusals without expose_pin', () => {
  it('a refused duplicate is reported as a rejection (reason other: the lock hides which code it holds)', async () => {
    await driver.writeSlot('Gym', 2, '2468', 'x')
    await driver.clearSlot('Gym', 3)
    lab.simulator.setFaults('Gym', { refuseDuplicates: true })
    try {
      await expect(driver.writeSlot('Gym', 3, '2468', 'x')).rejects.toMatchObject({ name: 'RejectedByDeviceError', reason: 'other' })
      expect(lab.simulator.slots('Gym')[3]!.code).toBeNull()
    } finally {
      lab.simulator.setFaults('Gym', { refuseDuplicates: false })
    }
  })
})

describe('keypad and programming events', () => {
  it('a correct code grants, unlocks and is reported with its slot', async () => {
    await driver.writeSlot('Front Door', 3, '0123', 'Guest')
    const since = log.mark()
    expect(lab.simulator.enterCode('Front Door', '0123')).toEqual({ granted: true, reason: 'matched', slot: 3 })
    await log.waitFor((e) => e.type === 'keypadUsed' && e.nativeId === 'Front Door' && e.granted && e.slot === 3, 2000, since)
    await log.waitFor((e) => e.type === 'lockStateChanged' && e.nativeId === 'Front Door' && !e.locked && e.method === 'keycode', 2000, since)
  })

  it('a wrong code is denied and reported as not granted', async () => {
    const since = log.mark()
    expect(lab.simulator.enterCode('Front Door', '9999')).toEqual({ granted: false, reason: 'wrong_code', slot: null })
    await log.waitFor((e) => e.type === 'keypadUsed' && e.nativeId === 'Front Door' && !e.granted, 2000, since)
  })

  it('an owner edit at the keypad becomes slotChanged; a deletion carries code null', async () => {
    let since = log.mark()
    expect(lab.simulator.programCode('Back Door', 7, '7777')).toEqual({ accepted: true })
    const added = await log.waitFor((e) => e.type === 'slotChanged' && e.nativeId === 'Back Door', 2000, since)
    expect(added).toEqual({ type: 'slotChanged', nativeId: 'Back Door', slot: 7, code: undefined, source: 'keypad' })
    since = log.mark()
    lab.simulator.programCode('Back Door', 7, null, 'rf')
    const deleted = await log.waitFor((e) => e.type === 'slotChanged' && e.nativeId === 'Back Door', 2000, since)
    expect(deleted).toEqual({ type: 'slotChanged', nativeId: 'Back Door', slot: 7, code: null, source: 'app' })
  })

  it('lockAction locks and the report confirms it', async () => {
    await driver.lockAction('Front Door', 'unlock')
    const since = log.mark()
    await driver.lockAction('Front Door', 'lock')
    expect(lab.simulator.isLocked('Front Door')).toBe(true)
    await log.waitFor((e) => e.type === 'lockStateChanged' && e.nativeId === 'Front Door' && e.locked && e.method === 'remote', 1000, since)
    await driver.lockAction('Front Door', 'unlock')
    expect(lab.simulator.isLocked('Front Door')).toBe(false)
  })
})

describe('faults', () => {
  it('offline: offline event, writes throw Transient, reads are unreadable; back online works again', async () => {
    await driver.writeSlot('Back Door', 13, '3131', 'x')
    let since = log.mark()
    lab.simulator.setOnline('Back Door', false)
    await log.waitFor((e) => e.type === 'offline' && e.nativeId === 'Back Door', 2000, since)
    await expect(driver.writeSlot('Back Door', 2, '2222', 'x')).rejects.toBeInstanceOf(TransientDeviceError)
    const read = await driver.readSlots('Back Door', [1, 2])
    expect(read.every((r) => r.state === 'unreadable')).toBe(true)
    since = log.mark()
    lab.simulator.setOnline('Back Door', true)
    await log.waitFor((e) => e.type === 'online' && e.nativeId === 'Back Door', 2000, since)
    expect(await driver.readSlots('Back Door', [13])).toEqual([{ slot: 13, state: 'occupied', code: '3131' }])
  })

  it('dropped messages: the slot is unreadable, never empty, and a write is Transient', async () => {
    await driver.writeSlot('Front Door', 3, '0123', 'Guest')
    await driver.clearSlot('Front Door', 8)
    lab.simulator.setFaults('Front Door', { dropNext: 1 })
    const read = await driver.readSlots('Front Door', [3, 4])
    expect(read[0]).toMatchObject({ slot: 3, state: 'unreadable' })
    expect(read[1]).toMatchObject({ slot: 4, state: 'unreadable' })
    lab.simulator.setFaults('Front Door', { dropNext: 1 })
    // Z2M's only failure signal is its log line, which carries the PIN; the driver must not pass it on.
    const err = await driver.writeSlot('Front Door', 8, '8888', 'x').then(() => undefined, (e: unknown) => e)
    expect(err).toBeInstanceOf(TransientDeviceError)
    expect((err as Error).message).toContain('Front Door')
    expect((err as Error).message).not.toContain('8888')
    expect(lab.simulator.slots('Front Door')[8]!.code).toBeNull()
    expect(await driver.readSlots('Front Door', [3])).toEqual([{ slot: 3, state: 'occupied', code: '0123' }])
  })

  it('a sleepy lock that answers after the timeout: unreadable, and the late answer is not taken for the next read', async () => {
    await driver.writeSlot('Gym', 2, '2468', 'x')
    lab.simulator.setFaults('Gym', { sleepy: { wakeDelayMs: TIMEOUT + 300, awakeMs: 0 } })
    labClock.advance(1) // silent for longer than awakeMs: the next command waits to wake
    try {
      const [late] = await driver.readSlots('Gym', [2])
      expect(late).toMatchObject({ slot: 2, state: 'unreadable' })
    } finally {
      lab.simulator.setFaults('Gym', { sleepy: undefined })
    }
    // The late answer comes out on the lock's chain before the keypad miss: once that is seen, it has arrived.
    await driverCaughtUp('Gym')
    expect(await driver.readSlots('Gym', [2])).toEqual([{ slot: 2, state: 'occupied', code: null }])
  })

  it('garbage on Z2M topics changes nothing and breaks nothing', async () => {
    await driver.writeSlot('Front Door', 3, '0123', 'Guest')
    const mqtt = (await import('mqtt')).default
    const noise = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 })
    const since = log.mark()
    for (const [topic, payload] of [
      ['zigbee2mqtt/Front Door', 'not json'],
      ['zigbee2mqtt/Front Door', '{"users":{"3":{"status":"enabled","pin_code":{"0":49}}},"action":7}'],
      ['zigbee2mqtt/Front Door', '[1,2]'],
      ['zigbee2mqtt/Front Door/availability', '{"state":42}'],
      ['zigbee2mqtt/bridge/logging', '{"level":"error"}'],
      ['zigbee2mqtt/bridge/devices', '{"not":"a list"}'],
      ['zigbee2mqtt/bridge/state', 'bogus'],
    ] as const) {
      // QoS 1: acknowledged once the broker has passed it on, before the lock's next message.
      await noise.publishAsync(topic, payload, { qos: 1 })
    }
    await noise.endAsync()
    await driverCaughtUp('Front Door')
    expect(log.events.slice(since)).toEqual([expect.objectContaining({ type: 'keypadUsed', nativeId: 'Front Door', granted: false })])
    expect(await driver.readSlots('Front Door', [3])).toEqual([{ slot: 3, state: 'occupied', code: '0123' }])
  })

  it('latency within the timeout is tolerated', async () => {
    lab.simulator.setFaults('Front Door', { latencyMs: 50 })
    try {
      await driver.writeSlot('Front Door', 9, '9090', 'x')
      expect(await driver.readSlots('Front Door', [9])).toEqual([{ slot: 9, state: 'occupied', code: '9090' }])
    } finally {
      lab.simulator.setFaults('Front Door', { latencyMs: 0 })
    }
  })
})
