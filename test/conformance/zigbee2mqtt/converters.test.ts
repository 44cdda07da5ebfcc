// The real zigbee-herdsman-converters (26.112.0) are the independent peer (design rule 6): the
// simulator must publish what Z2M publishes for the same lock behaviour, and the driver's payloads
// must be ones the real toZigbee converters accept. Recipe: docs/protocols/zigbee2mqtt-lock.md §5.
import { beforeAll, describe, expect, it } from 'vitest'
import { findByDevice, fromZigbee, setLogger, toZigbee } from 'zigbee-herdsman-converters'
import {
  clearPinPayload,
  getLockStatePayload,
  getPinPayload,
  lockEvent,
  lockStatePayload,
  setPinPayload,
  userSlot,
} from '../../../adapters/zigbee2mqtt/payloads.js'
import { modelFacts } from '../../../adapters/zigbee2mqtt/models.js'
import { SimulatedLock } from '../../../simulators/zigbee2mqtt-lock/lock.js'
import { StateCache } from '../../../simulators/zigbee2mqtt-lock/state-cache.js'
import { LOCK_MODELS, lockExposes } from '../../../simulators/zigbee2mqtt-lock/definitions.js'

type Json = Record<string, unknown>
type Call = [string, string, string, unknown]

beforeAll(() => setLogger({ debug() {}, info() {}, warning() {}, error() {} } as never))

function recordingEntity() {
  const calls: Call[] = []
  return {
    calls,
    entity: {
      ID: 1,
      async command(cluster: string, command: string, payload: unknown) {
        calls.push(['command', cluster, command, payload])
      },
      async read(cluster: string, attributes: unknown) {
        calls.push(['read', cluster, JSON.stringify(attributes), undefined])
      },
    },
  }
}

async function viaToZigbee(topicVerb: 'set' | 'get', payload: string, pinCodeCount = 250): Promise<Call[]> {
  const message = JSON.parse(payload) as Json
  const { calls, entity } = recordingEntity()
  for (const [key, value] of Object.entries(message)) {
    const conv = key === 'pin_code' ? toZigbee.pincode_lock : toZigbee.lock
    const meta = { message, mapped: { meta: { pinCodeCount } }, options: {}, state: {} }
    if (topicVerb === 'set') await conv.convertSet!(entity as never, key, value, meta as never)
    else await conv.convertGet!(entity as never, key, meta as never)
  }
  return calls
}

describe("driver's outgoing payloads through the real toZigbee converters", () => {
  it('set sends setPinCode with the PIN as a string, leading zero kept', async () => {
    expect(await viaToZigbee('set', setPinPayload(3, '0123'))).toEqual([
      ['command', 'closuresDoorLock', 'setPinCode', { userid: 3, userstatus: 1, usertype: 0, pincodevalue: '0123' }],
    ])
  })
  it('clear sends clearPinCode', async () => {
    expect(await viaToZigbee('set', clearPinPayload(7))).toEqual([['command', 'closuresDoorLock', 'clearPinCode', { userid: 7 }]])
  })
  it('get reads exactly one slot', async () => {
    expect(await viaToZigbee('get', getPinPayload(4))).toEqual([['command', 'closuresDoorLock', 'getPinCode', { userid: 4 }]])
  })
  it('the highest slot of the constraints is accepted; one past it is refused', async () => {
    const slots = modelFacts('99140-002', 'Kwikset')!.slotCount
    await expect(viaToZigbee('set', setPinPayload(slots - 1, '1234'), 30)).resolves.toHaveLength(1)
    await expect(viaToZigbee('set', setPinPayload(slots, '1234'), 30)).rejects.toThrow(/user must be in range/)
  })
  it('lock and unlock', async () => {
    expect(await viaToZigbee('set', lockStatePayload('lock'))).toEqual([['command', 'closuresDoorLock', 'lockDoor', expect.anything()]])
    expect((await viaToZigbee('set', lockStatePayload('unlock')))[0]![2]).toBe('unlockDoor')
    expect(await viaToZigbee('get', getLockStatePayload)).toEqual([['read', 'closuresDoorLock', '["lockState"]', undefined]])
  })
})

// --- device side ------------------------------------------------------------------------------

/** Z2M's cache-and-publish, written here independently of the simulator's state-cache.ts. */
class Z2mLayer {
  private cache: Json = { linkquality: 87 }
  publish(result: Json): string {
    const merge = (a: Json, b: Json): Json => {
      const out: Json = { ...a }
      for (const [k, v] of Object.entries(b)) {
        const isObj = (x: unknown) => typeof x === 'object' && x !== null && !Array.isArray(x)
        out[k] = isObj(v) && isObj(out[k]) ? merge(out[k] as Json, v as Json) : v
      }
      return out
    }
    const merged = merge(this.cache, result)
    const sorted = (v: unknown): unknown =>
      typeof v === 'object' && v !== null && !Array.isArray(v)
        ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sorted((v as Json)[k])]))
        : v
    const out = JSON.stringify(sorted(merged))
    this.cache = Object.fromEntries(Object.entries(merged).filter(([k]) => !k.startsWith('action')))
    return out
  }
}

const zclMsg = (type: string, data: unknown, cluster = 'closuresDoorLock') => ({
  type,
  cluster,
  data,
  endpoint: { ID: 1 },
  device: {},
  linkquality: 87,
  groupID: 0,
  meta: {},
})

async function convert(conv: { convert: (...a: never[]) => unknown }, msg: unknown, exposePin: boolean): Promise<Json> {
  return ((await conv.convert(...([{}, msg, () => {}, { expose_pin: exposePin }, { device: {}, state: {} }] as never[]))) ?? {}) as Json
}

for (const exposePin of [true, false]) {
  describe(`simulator publishes what Z2M publishes (expose_pin ${exposePin})`, () => {
    it('follows the reference sequence byte for byte', async () => {
      const lock = new SimulatedLock({ slots: 250, minPinLength: 4, maxPinLength: 8, exposePin, refuseDuplicates: true, eventsForZigbeeChanges: true })
      const sim = new StateCache({ linkquality: 87 })
      const z2m = new Z2mLayer()
      const pin = (s: string) => Buffer.from(s, 'ascii')
      const step = async (simFields: Json, conv: unknown, msg: unknown) => {
        const expected = z2m.publish(await convert(conv as never, msg, exposePin))
        expect(sim.publish(simFields)).toBe(expected)
        return JSON.parse(expected) as Json
      }

      lock.locked = true
      await step(lock.lockReport(), fromZigbee.lock, zclMsg('attributeReport', { lockState: 1 }))
      lock.battery = 90
      await step(lock.batteryReport(), fromZigbee.battery, zclMsg('attributeReport', { batteryPercentageRemaining: 180 }, 'genPowerCfg'))
      expect(lock.store(3, '0123', true)).toBe('stored')
      const read3 = await step(lock.pinCodeAnswer(3), fromZigbee.lock_pin_code_response, zclMsg('commandGetPinCodeRsp', { userid: 3, userstatus: 1, usertype: 0, pincodevalue: pin('0123') }))
      expect(userSlot(read3, 3)).toEqual({ kind: 'occupied', enabled: true, code: exposePin ? '0123' : null })
      const read4 = await step(lock.pinCodeAnswer(4), fromZigbee.lock_pin_code_response, zclMsg('commandGetPinCodeRsp', { userid: 4, userstatus: 0, usertype: 0, pincodevalue: pin('') }))
      expect(userSlot(read4, 4)).toEqual({ kind: 'empty' })
      lock.store(5, '5555', false)
      const read5 = await step(lock.pinCodeAnswer(5), fromZigbee.lock_pin_code_response, zclMsg('commandGetPinCodeRsp', { userid: 5, userstatus: 3, usertype: 0, pincodevalue: pin('5555') }))
      expect(userSlot(read5, 5)).toEqual({ kind: 'occupied', enabled: false, code: exposePin ? '5555' : null })

      const unlock = await step(
        lock.operationEvent('unlock', 'keypad', 3),
        fromZigbee.lock_operation_event,
        zclMsg('commandOperationEventNotification', { opereventsrc: 0, opereventcode: 2, userid: 3, pin: pin('0123'), zigbeelocaltime: 0, data: 0 }),
      )
      expect(lockEvent(unlock)).toEqual({ kind: 'operation', locked: false, granted: true, source: 'keypad', user: 3, failed: false })
      const wrong = await step(
        lock.operationEvent('unlock_failure_invalid_pin_or_id', 'keypad', null),
        fromZigbee.lock_operation_event,
        zclMsg('commandOperationEventNotification', { opereventsrc: 0, opereventcode: 5, userid: null, pin: pin('9999'), zigbeelocaltime: 0, data: 0 }),
      )
      expect(lockEvent(wrong)).toMatchObject({ kind: 'operation', granted: false, user: null })
      lock.locked = false
      await step(lock.lockReport(), fromZigbee.lock, zclMsg('attributeReport', { lockState: 2 }))

      lock.clear(3)
      const deleted = await step(
        lock.programmingEvent('pin_code_deleted', 'keypad', 3),
        fromZigbee.lock_programming_event,
        zclMsg('commandProgrammingEventNotification', { programeventsrc: 0, programeventcode: 3, userid: 3, pin: pin(''), usertype: 0, userstatus: 0, zigbeelocaltime: 0, data: 0 }),
      )
      expect(lockEvent(deleted)).toEqual({ kind: 'programming', change: 'deleted', source: 'keypad', user: 3 })
      // The cache still says slot 3 is enabled: only a new read updates it (docs/protocols/zigbee2mqtt-lock.md §2).
      expect(userSlot(deleted, 3)).toMatchObject({ kind: 'occupied' })
      const added = await step(
        lock.programmingEvent('pin_code_added', 'rf', 6),
        fromZigbee.lock_programming_event,
        zclMsg('commandProgrammingEventNotification', { programeventsrc: 1, programeventcode: 2, userid: 6, pin: pin(''), usertype: 0, userstatus: 1, zigbeelocaltime: 0, data: 0 }),
      )
      expect(lockEvent(added)).toEqual({ kind: 'programming', change: 'added', source: 'rf', user: 6 })
      const reread = await step(lock.pinCodeAnswer(3), fromZigbee.lock_pin_code_response, zclMsg('commandGetPinCodeRsp', { userid: 3, userstatus: 0, usertype: 0, pincodevalue: pin('') }))
      expect(userSlot(reread, 3)).toEqual({ kind: 'empty' })
    })
  })
}

describe('a refused duplicate leaves users unchanged, as with real Z2M', () => {
  it('setPinCodeRsp status 3 publishes nothing, and the slot still reads empty', async () => {
    const rsp = await convert(fromZigbee.lock_set_pin_code_response as never, zclMsg('commandSetPinCodeRsp', { status: 3 }), true)
    expect(rsp).toEqual({})
    const lock = new SimulatedLock({ slots: 30, minPinLength: 4, maxPinLength: 8, exposePin: true, refuseDuplicates: true, eventsForZigbeeChanges: true })
    lock.store(1, '4444', true)
    expect(lock.store(2, '4444', true)).toBe('duplicate')
    expect(lock.pinCodeAnswer(2)).toEqual({ users: { '2': { status: 'available', pin_code: '' } } })
  })
})

describe('bridge/devices entries match the real definitions', () => {
  const strip = (e: unknown): unknown => {
    if (Array.isArray(e)) return e.map(strip)
    if (typeof e !== 'object' || e === null) return e
    const o = e as Json
    const keep = ['name', 'label', 'type', 'property', 'access', 'values', 'value_on', 'value_off', 'features']
    return Object.fromEntries(Object.entries(o).filter(([k]) => keep.includes(k)).map(([k, v]) => [k, strip(v)]))
  }
  for (const m of Object.values(LOCK_MODELS)) {
    it(`${m.vendor} ${m.model}: model, vendor, lock and pin_code exposes, slot count`, async () => {
      const def = (await findByDevice({ ieeeAddr: '0x000d6f0011223344', modelID: m.zigbeeModel, type: 'EndDevice', endpoints: [{ ID: 1 }], getEndpoint: () => ({ ID: 1 }) } as never)) as never as {
        model: string
        vendor: string
        exposes: unknown
        meta?: { pinCodeCount?: number }
      }
      expect(def.model).toBe(m.model)
      expect(def.vendor).toBe(m.vendor)
      const real = strip(JSON.parse(JSON.stringify(typeof def.exposes === 'function' ? [] : def.exposes))) as Json[]
      const ours = strip(lockExposes()) as Json[]
      for (const pick of [(e: Json) => e.type === 'lock', (e: Json) => e.property === 'pin_code']) {
        expect(ours.find(pick)).toEqual(real.find(pick))
      }
      const count = def.meta?.pinCodeCount ?? 0
      expect(m.slots).toBe(count)
      expect(modelFacts(m.model, m.vendor)?.slotCount).toBe(count)
    })
  }
})
