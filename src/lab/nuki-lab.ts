// Lab composition for Nuki: one fake radio, the simulated locks (the config's nuki-ble locks, see
// property.ts), and a NukiBleDriver listening on that radio. It joins the adapter to the simulated lock,
// which is why it lives in src/lab and not in simulators/ (simulators never import adapters, rule 6).
import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import { z } from 'zod'
import { NukiBleDriver, type NukiBleDriverOptions } from '../../adapters/nuki-ble/driver.js'
import { systemClock, type Clock } from '../kernel/clock.js'
import { seededRandom } from '../kernel/ids.js'
import { createHash } from 'node:crypto'
import { FakeBleMedium } from '../../simulators/ble-medium/medium.js'
import { SimulatedNukiLock } from '../../simulators/nuki-lock/nuki-lock.js'

export const nukiLabLockSchema = z.object({
  name: z.string().min(1),
  kind: z.literal('nuki'),
  /** Keypad code capacity of the simulated lock, and the slots the driver exposes. */
  slots: z.number().int().min(1).max(1000).default(100),
  securityPin: z.number().int().min(0).max(0xffff).default(1234),
  /** 8 hex digits; derived from the name when absent, so it is stable across runs. */
  nukiId: z.string().regex(/^[0-9A-Fa-f]{8}$/).optional(),
})
export type NukiLabLock = z.input<typeof nukiLabLockSchema>

export interface NukiLabOptions {
  locks: NukiLabLock[]
  /** The driver's data dir; the lab's locks are fresh every run, so their stale keys here are wiped. */
  dataDir: string
  seed?: string
  clock?: Clock
  latencyMs?: number
  advertisingIntervalMs?: number
  driver?: Partial<Omit<NukiBleDriverOptions, 'bindings' | 'dataDir'>>
}

export interface NukiLab {
  /** Not started: the daemon calls driver.start(sink). */
  driver: NukiBleDriver
  /** By config name, e.g. locks.get('Office'). */
  locks: Map<string, SimulatedNukiLock>
  medium: FakeBleMedium
  /** Native id (Nuki ID hex) of each lock by name, as the driver will report it. */
  nativeIds: Map<string, string>
  stop(): Promise<void>
}

export async function startSimulatedNukiLab(options: NukiLabOptions): Promise<NukiLab> {
  const seed = options.seed ?? 'lockstep-lab'
  const medium = new FakeBleMedium({ latencyMs: options.latencyMs, advertisingIntervalMs: options.advertisingIntervalMs ?? 1000 })
  const dataDir = join(options.dataDir, 'nuki-ble')
  await rm(dataDir, { recursive: true, force: true })
  const locks = new Map<string, SimulatedNukiLock>()
  const nativeIds = new Map<string, string>()
  const pins = new Map<string, number>()
  let slotCount = 0
  for (const raw of options.locks) {
    const cfg = nukiLabLockSchema.parse(raw)
    const nukiId = cfg.nukiId ? parseInt(cfg.nukiId, 16) : createHash('sha256').update(`nuki:${cfg.name}`).digest().readUInt32BE(0)
    const lock = new SimulatedNukiLock({
      medium,
      random: seededRandom(`${seed}:${cfg.name}`),
      clock: options.clock,
      nukiId,
      name: cfg.name,
      keypadCapacity: cfg.slots,
      securityPin: cfg.securityPin,
      pairingMode: true,
    })
    const hexId = nukiId.toString(16).toUpperCase().padStart(8, '0')
    locks.set(cfg.name, lock)
    nativeIds.set(cfg.name, hexId)
    pins.set(hexId, cfg.securityPin)
    slotCount = Math.max(slotCount, cfg.slots)
    medium.attach(lock)
  }
  const driver = new NukiBleDriver({
    bindings: medium,
    dataDir,
    clock: options.clock,
    slotCount: slotCount || 100,
    // The lab's locks advertise every second of real time: five silent seconds means out of range. The
    // lab's clock jumps forward (clock/advance, benches on fake time); a jump is no silence on the radio,
    // so presence is judged on real time and the lock stays present across it.
    presenceTimeoutMs: 5000,
    presenceClock: systemClock,
    ...options.driver,
    securityPin: options.driver?.securityPin ?? ((id) => pins.get(id) ?? 0),
  })
  return {
    driver,
    locks,
    medium,
    nativeIds,
    async stop() {
      await driver.stop()
      medium.stop()
    },
  }
}
