// The simulated Zigbee2MQTT side of the lab property: one simulator playing Zigbee2MQTT for the
// config's zigbee2mqtt locks (zigbeeLabLocks), or for the locks a test declares (with faults).
import { z } from 'zod'
import type { Clock } from '../kernel/clock.js'
import type { LockConfig } from '../config.js'
import { LOCK_MODELS } from '../../simulators/zigbee2mqtt-lock/definitions.js'
import { Zigbee2MqttSimulator } from '../../simulators/zigbee2mqtt-lock/simulator.js'

const faults = z
  .object({
    latencyMs: z.number().int().min(0).optional(),
    dropRate: z.number().min(0).max(1).optional(),
    dropNext: z.number().int().min(0).optional(),
    sleepy: z.object({ wakeDelayMs: z.number().int().min(0), awakeMs: z.number().int().min(0) }).optional(),
    refuseDuplicates: z.boolean().optional(),
  })
  .strict()

export const zigbeeLabLockSchema = z
  .object({
    name: z.string().min(1).refine((n) => !n.includes('/'), 'no "/" in lab lock names'),
    manufacturer: z.string().min(1),
    model: z.string().refine((m) => m in LOCK_MODELS, `model must be one of ${Object.keys(LOCK_MODELS).join(', ')}`),
    slots: z.number().int().min(1).max(1000),
    pinLength: z.object({ min: z.number().int().min(1), max: z.number().int().max(16) }).refine((p) => p.min <= p.max, 'min > max'),
    exposePin: z.boolean().default(true),
    /** The lock sends programming events for keypad edits (false: only a read finds them). */
    programmingEvents: z.boolean().default(true),
    faults: faults.optional(),
  })
  .strict()

export const zigbeeLabSchema = z
  .object({
    baseTopic: z.string().default('zigbee2mqtt'),
    seed: z.string().default('lab'),
    locks: z.array(zigbeeLabLockSchema),
  })
  .strict()

export type ZigbeeLabLock = z.input<typeof zigbeeLabLockSchema>
export type ZigbeeLabConfig = z.input<typeof zigbeeLabSchema>

export interface ZigbeeLab {
  simulator: Zigbee2MqttSimulator
  stop(): Promise<void>
}

export interface ZigbeeLabOptions extends ZigbeeLabConfig {
  brokerUrl: string
  clock?: Clock
  /** See SimulatorOptions.commandTimeoutMs; tests shorten it below the driver's request timeout. */
  commandTimeoutMs?: number
}

export async function startZigbeeLab(options: ZigbeeLabOptions): Promise<ZigbeeLab> {
  const cfg = zigbeeLabSchema.parse({ baseTopic: options.baseTopic, seed: options.seed, locks: options.locks })
  const simulator = new Zigbee2MqttSimulator({
    brokerUrl: options.brokerUrl,
    baseTopic: cfg.baseTopic,
    seed: cfg.seed,
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.commandTimeoutMs !== undefined ? { commandTimeoutMs: options.commandTimeoutMs } : {}),
    locks: cfg.locks.map((l) => ({
      name: l.name,
      model: l.model,
      slots: l.slots,
      minPinLength: l.pinLength.min,
      maxPinLength: l.pinLength.max,
      exposePin: l.exposePin,
      programmingEvents: l.programmingEvents,
      ...(l.faults ? { faults: l.faults } : {}),
    })),
  })
  await simulator.start()
  return { simulator, stop: () => simulator.stop() }
}

/**
 * What the driver cannot learn from bridge/devices (slot count, PIN length), keyed by friendly name:
 * pass it as Zigbee2MqttDriverOptions.devices.
 */
export function labDeviceFacts(locks: ZigbeeLabLock[]): Record<string, { slotCount: number; minPinLength: number; maxPinLength: number }> {
  return Object.fromEntries(
    locks.map((l) => [l.name, { slotCount: l.slots, minPinLength: l.pinLength.min, maxPinLength: l.pinLength.max }]),
  )
}

/** The config's Zigbee2MQTT locks as the simulator plays them (the friendly name is the lock's native_id). */
export function zigbeeLabLocks(locks: LockConfig[]): ZigbeeLabLock[] {
  return locks
    .filter((l) => l.driver === 'zigbee2mqtt')
    .map((l) => ({
      name: l.native_id,
      manufacturer: l.manufacturer,
      model: l.model,
      slots: l.slots,
      pinLength: { min: l.code_length[0], max: l.code_length[1] },
      exposePin: l.expose_pin,
      programmingEvents: l.reports_code_changes ?? true,
    }))
}
