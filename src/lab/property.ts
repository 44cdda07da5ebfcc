// The simulated property of lab mode, and the composition root of the lab: it starts the device side of
// every lock and door in config (Zigbee2MQTT over MQTT, Nuki on an in-process radio, card locks and
// encoders on in-process serial links) next to the daemon's real drivers, and holds the lab's routes.
import type { FastifyInstance } from 'fastify'
import { DomainError } from '../domain/errors.js'
import type { OffsetClock } from '../kernel/clock.js'
import type { Config } from '../config.js'
import type { Store } from '../store/store.js'
import type { LockDriver } from '../ports/lock-driver.js'
import type { LabCards, LabControl, LabLock } from './control.js'
import { CardLab } from './card-lab.js'
import type { SiteKeys } from '../protocols/lockstep-card/keys.js'
import type { Random } from '../kernel/ids.js'
import type { Service } from '../kernel/service.js'
import type { DaemonBus } from '../bus.js'
import { labRoutes } from '../api/routes/lab.js'
import type { UseCases } from '../app/index.js'
import { startSimulatedNukiLab, type NukiLab } from './nuki-lab.js'
import { startZwaveLab, type ZwaveLab } from './zwave-lab.js'
import { startZigbeeLab, zigbeeLabLocks, type ZigbeeLab } from './zigbee-lab.js'

export interface LabDeps {
  config: Config
  store: Store
  clock: OffsetClock
  brokerUrl: string
  /** advanceClock publishes lab.clock_advanced here, so time-bound work is looked at again. */
  bus: DaemonBus
  /** The site's card secrets and card site id: the simulated locks hold K_mac and K_A, never K_B. */
  siteKeys: SiteKeys
  cardSiteId: number
  random: Random
}

export class LabProperty implements Service {
  readonly name = 'lab'
  /** What the lab routes drive; set by start(). */
  control: LabControl = { lock: () => undefined, advanceClock: () => {}, now: () => this.deps.clock.now() }
  /** Drivers connected to simulators over in-process links (the Zigbee driver reaches its locks over MQTT). */
  drivers: LockDriver[] = []
  /** The offline-card side (virtual cards, encoders on in-process serial links, card locks); null without entrances or encoders. */
  cardLab: CardLab | null = null
  private zigbee: ZigbeeLab | null = null
  private nuki: NukiLab | null = null
  /** The Z-Wave stack (zwave-js + server + mock locks); null without zwave-js locks in config. */
  zwave: ZwaveLab | null = null

  constructor(private readonly deps: LabDeps) {}

  /** The Nuki side (radio and simulated locks), for fault tests that drop a BLE link; null without Nuki locks. */
  get nukiLab(): NukiLab | null {
    return this.nuki
  }

  /** The lab's routes (/lab/*): one route group over the use cases, which the API (started after the lab) registers only in lab mode. */
  readonly routesFor = (useCases: UseCases) => async (app: FastifyInstance): Promise<void> => labRoutes(app, useCases, this.control)

  async start(): Promise<void> {
    try {
      await this.startSimulators()
    } catch (err) {
      // Nothing half-started is left behind: the lifecycle stops only services that started.
      await this.stop().catch(() => undefined)
      throw err
    }
  }

  async stop(): Promise<void> {
    this.cardLab?.stop()
    this.cardLab = null
    await this.zigbee?.stop()
    this.zigbee = null
    await this.nuki?.stop()
    this.nuki = null
    await this.zwave?.stop()
    this.zwave = null
  }

  private async startSimulators(): Promise<void> {
    const { config, store, clock, bus } = this.deps
    const zigbeeLocks = zigbeeLabLocks(config.locks)
    const zigbee = (this.zigbee = zigbeeLocks.length
      ? await startZigbeeLab({ brokerUrl: this.deps.brokerUrl, baseTopic: config.mqtt.base_topic, clock, locks: zigbeeLocks })
      : null)

    const nukiLocks = config.locks.filter((l) => l.driver === 'nuki-ble')
    const nuki = (this.nuki = nukiLocks.length
      ? await startSimulatedNukiLab({
          dataDir: config.data_dir,
          clock,
          locks: nukiLocks.map((l) => ({ name: l.native_id, kind: 'nuki' as const, slots: l.slots, securityPin: l.security_pin ?? 1234, nukiId: l.native_id })),
        })
      : null)

    const zwave = (this.zwave = await startZwaveLab(config, clock))

    const nukiLock = (name: string): LabLock => {
      const sim = nuki!.locks.get(name)!
      return {
        enterCode: async (code) => sim.enterCode(code),
        programCode: async (slot, code) => sim.programCode(slot, code),
        slots: async () => sim.slots(),
        setOnline: async (online) => sim.setOnline(online),
        radioExchanges: () => sim.radio.connections,
        linkOpen: () => sim.isConnected(),
      }
    }

    const zigbeeLock = (name: string): LabLock => {
      const sim = zigbee!.simulator
      return {
        enterCode: async (code) => {
          const r = sim.enterCode(name, code)
          return { granted: r.granted, reason: r.granted ? 'granted' : r.reason }
        },
        programCode: async (slot, code) => {
          const r = sim.programCode(name, slot, code)
          if (!r.accepted) throw new DomainError('lock_refused_code', `The lock refused the change: ${r.reason ?? 'refused'}`, 400)
        },
        slots: async () => sim.slots(name),
        setOnline: async (online) => sim.setOnline(name, online),
        radioExchanges: () => sim.radioTotal(name),
        linkOpen: () => false,
        setBattery: async (level) => sim.setBattery(name, level * 100),
      }
    }

    // Card locks and encoders, as config names them (store.acs ids; the lock's address is the entrance's seq).
    const entrances = store.acs.entrances()
    const encoders = store.acs.encoders()
    const cardLab = (this.cardLab = entrances.length || encoders.length
      ? new CardLab(
          {
            siteId: this.deps.cardSiteId,
            lockKeys: { kMac: this.deps.siteKeys.kMac, kA: this.deps.siteKeys.kA },
            encoders: encoders.map((e) => ({ id: e.acsEncoderId, baud: config.encoders.find((c) => c.name === e.displayName)?.baud_rate ?? 115200 })),
            entrances: entrances.map((e) => ({ id: e.acsEntranceId, address: e.seq, reservationCapable: e.canBelongToReservation })),
          },
          clock,
          this.deps.random,
        )
      : null)
    const cards: LabCards | undefined = cardLab
      ? {
          create: () => ({ card_id: cardLab.createCard().cardId }),
          get: (cardId) => {
            const c = labCall(() => cardLab.getCard(cardId))
            return { card_id: c.cardId, uid: c.uid, blocks: c.blocks }
          },
          clone: (cardId) => ({ card_id: labCall(() => cardLab.cloneCard(cardId)).cardId }),
          writeBlock: (cardId, block, data) => void labCall(() => cardLab.writeBlock(cardId, block, data)),
          placeOnEncoder: (encoderId, cardId) => labCall(() => cardLab.placeCard(encoderId, cardId)),
          removeFromEncoder: (encoderId) => labCall(() => cardLab.removeCard(encoderId)),
          present: (entranceId, cardId) => {
            const r = labCall(() => cardLab.presentCard(entranceId, cardId))
            return { granted: r.unlocked, reason: r.reason, outcome: r.outcome, ...(r.mode ? { mode: r.mode } : {}), ...(r.credentialId !== undefined ? { credential_id: r.credentialId } : {}) }
          },
          auditLog: (entranceId) => labCall(() => cardLab.auditLog(entranceId)),
        }
      : undefined

    this.control = {
      ...(cards ? { cards } : {}),
      lock(deviceId) {
        const device = store.devices.find(deviceId)
        if (!device) return undefined
        if (device.driver === 'zigbee2mqtt' && zigbee && zigbeeLocks.some((l) => l.name === device.nativeId)) return zigbeeLock(device.nativeId)
        if (device.driver === 'nuki-ble' && nuki?.locks.has(device.nativeId)) return nukiLock(device.nativeId)
        if (device.driver === 'zwave-js' && zwave) return zwave.lock(device.nativeId)
        return undefined
      },
      advanceClock(seconds) {
        clock.advance(seconds * 1000)
        bus.emit('lab.clock_advanced', { ms: seconds * 1000 })
      },
      now: () => clock.now(),
    }
    this.drivers = [...(nuki ? [nuki.driver] : []), ...(zwave ? [zwave.driver] : [])]
  }
}

/** The card simulators signal an unknown card/encoder/entrance with RangeError: a 400 at the lab API. */
function labCall<T>(fn: () => T): T {
  try {
    return fn()
  } catch (e) {
    if (e instanceof RangeError) throw new DomainError('lab_invalid_request', e.message, 400)
    throw e
  }
}
