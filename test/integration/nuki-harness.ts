// Shared set-up for the Nuki driver ↔ simulated lock tests: one fake radio, one lock, one driver.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { NukiBleDriver, type NukiBleDriverOptions } from '../../adapters/nuki-ble/driver.js'
import { seededRandom } from '../../src/kernel/ids.js'
import type { DeviceEvent } from '../../src/ports/device-events.js'
import { FakeBleMedium } from '../../simulators/ble-medium/medium.js'
import { SimulatedNukiLock, type SimulatedNukiLockOptions } from '../../simulators/nuki-lock/nuki-lock.js'

export const NUKI_ID = 0x2a37599a
export const NATIVE_ID = '2A37599A'
export const PIN = 1234

export interface Harness {
  medium: FakeBleMedium
  lock: SimulatedNukiLock
  driver: NukiBleDriver
  events: DeviceEvent[]
  dataDir: string
  waitFor(pred: (e: DeviceEvent) => boolean, ms?: number): Promise<DeviceEvent>
  close(): Promise<void>
}

export async function startHarness(
  opts: { lock?: Partial<SimulatedNukiLockOptions>; driver?: Partial<NukiBleDriverOptions>; seed?: string; dataDir?: string; medium?: FakeBleMedium } = {},
): Promise<Harness> {
  const seed = opts.seed ?? 'test'
  const medium = opts.medium ?? new FakeBleMedium()
  const lock = new SimulatedNukiLock({
    medium,
    random: seededRandom(`${seed}:lock`),
    nukiId: NUKI_ID,
    securityPin: PIN,
    keypadCapacity: 100,
    ...opts.lock,
  })
  medium.attach(lock)
  const dataDir = opts.dataDir ?? (await mkdtemp(join(tmpdir(), 'nuki-test-')))
  const driver = new NukiBleDriver({
    bindings: medium,
    dataDir,
    securityPin: PIN,
    random: seededRandom(`${seed}:driver`),
    // Generous for a loaded CI box; fault tests that need a timeout wait past it on purpose.
    commandTimeoutMs: 1000,
    connectTimeoutMs: 1000,
    idleDisconnectMs: 200,
    ...opts.driver,
  })
  const events: DeviceEvent[] = []
  const listeners: (() => void)[] = []
  await driver.start((e) => {
    events.push(e)
    for (const l of listeners.slice()) l()
  })
  const waitFor = (pred: (e: DeviceEvent) => boolean, ms = 3000): Promise<DeviceEvent> =>
    new Promise((resolve, reject) => {
      const hit = events.find(pred)
      if (hit) return resolve(hit)
      const timer = setTimeout(() => reject(new Error(`event not seen within ${ms} ms; saw ${JSON.stringify(events.map((e) => e.type))}`)), ms)
      const check = () => {
        const found = events.find(pred)
        if (found) {
          clearTimeout(timer)
          listeners.splice(listeners.indexOf(check), 1)
          resolve(found)
        }
      }
      listeners.push(check)
    })
  return {
    medium,
    lock,
    driver,
    events,
    dataDir,
    waitFor,
    async close() {
      await driver.stop()
      medium.stop()
      if (!opts.dataDir) await rm(dataDir, { recursive: true, force: true })
    },
  }
}

/** Starts a harness and waits until the driver has paired and announced the lock. */
export async function startPaired(opts: Parameters<typeof startHarness>[0] = {}): Promise<Harness> {
  const h = await startHarness(opts)
  await h.waitFor((e) => e.type === 'discovered')
  return h
}
