// `lockstep simulate`: the lab's simulated property in its own process, so a daemon crash leaves the
// locks as real ones are left — holding their codes. Zigbee2MQTT locks on an MQTT broker (embedded aedes
// or --broker), each PN532 encoder on a socat PTY pair (the daemon opens it with the real serialport
// binding, as on a site), the offline card locks, a small control API on loopback (/lab/…, Seam's
// envelope), and the whole device state in one JSON file (sim-state.ts). Nuki needs the in-process
// radio (BLE does not cross processes here): it is skipped and said so.
import { mkdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { Duplex } from 'node:stream'
import Fastify, { type FastifyInstance } from 'fastify'
import type { AddressInfo } from 'node:net'
import type { Config } from '../config.js'
import { DomainError } from '../domain/errors.js'
import { errorHandler } from '../api/errors.js'
import { createLogger } from '../log.js'
import { cryptoRandom } from '../kernel/ids.js'
import { systemClock } from '../kernel/clock.js'
import { startBroker, type RunningBroker } from '../mqtt/broker.js'
import { Zigbee2MqttSimulator } from '../../simulators/zigbee2mqtt-lock/simulator.js'
import { VirtualCardStore } from '../../simulators/mifare-classic/card-store.js'
import { Pn532Simulator, type ExchangeEvent } from '../../simulators/pn532-encoder/encoder.js'
import { zigbeeLabLocks } from './zigbee-lab.js'
import { PtyLink } from './pty-link.js'
import { emptySimState, loadSimState, SimStateFile, SIM_STATE_VERSION, type SimState } from './sim-state.js'
import { SimCardLocks } from './sim-card-locks.js'
import { simRoutes, type SimSite, type SimulatedEncoder } from './sim-routes.js'

/** ACK wait the daemon's config gets for a simulated encoder (see siteConfig). */
const SIMULATED_ENCODER_ACK_MS = 1000

export interface SimulateOptions {
  /** The lab config (config/lab.json or --config): which locks, entrances and encoders exist. */
  config: Config
  /** The state file; created on the first change. */
  statePath: string
  /** Ignore a saved state (the file is overwritten with the fresh one at once). */
  fresh?: boolean
  /** An external broker; else an embedded aedes on mqttPort (0: a free port). */
  brokerUrl?: string
  mqttPort?: number
  controlPort?: number
  /** The daemon's data dir: commissioning.json and the K_mac / K_A files the card locks are programmed with. */
  keysDir: string
  /** Where the serial links' symlinks go (stable paths for the daemon's config). */
  linkDir: string
  /** State check interval (ms). */
  stateIntervalMs?: number
}

export class SimulatedSite implements SimSite {
  readonly cards = new VirtualCardStore(cryptoRandom)
  readonly encoders = new Map<string, SimulatedEncoder>()
  readonly cardLocks: SimCardLocks
  /** Parts of the lab config this process does not play, with why. */
  readonly skipped: string[] = []
  zigbee: Zigbee2MqttSimulator | null = null
  brokerUrl = ''
  controlUrl = ''
  stateFile: SimStateFile
  private broker: RunningBroker | null = null
  private app: FastifyInstance | null = null
  private readonly timers = new Set<NodeJS.Timeout>()
  private readonly saved: SimState
  readonly restored: boolean

  private constructor(readonly opts: SimulateOptions) {
    const loaded = opts.fresh ? { state: emptySimState(), existed: false } : loadSimState(opts.statePath)
    this.saved = loaded.state
    this.restored = loaded.existed
    for (const [id, blocks] of Object.entries(this.saved.cards)) this.cards.restore(id, blocks.map((b) => Buffer.from(b, 'hex')))
    this.cardLocks = new SimCardLocks(opts.config.entrances, opts.keysDir, this.saved.entrances, systemClock)
    this.stateFile = new SimStateFile(opts.statePath, () => this.snapshot(), opts.stateIntervalMs)
  }

  static async start(opts: SimulateOptions): Promise<SimulatedSite> {
    const site = new SimulatedSite(opts)
    try {
      await site.startParts()
    } catch (err) {
      await site.stop().catch(() => undefined)
      throw err
    }
    return site
  }

  private async startParts(): Promise<void> {
    const { config } = this.opts
    for (const l of config.locks.filter((l) => l.driver === 'nuki-ble')) {
      this.skipped.push(`Nuki lock "${l.name}": Bluetooth LE does not cross processes here (no radio); run it in the one-process lab (npm start)`)
    }
    if (this.opts.brokerUrl) this.brokerUrl = this.opts.brokerUrl
    else {
      this.broker = await startBroker({ port: this.opts.mqttPort ?? 0 })
      this.brokerUrl = this.broker.url
    }
    const locks = zigbeeLabLocks(config.locks)
    if (locks.length) {
      const zigbee = new Zigbee2MqttSimulator({
        brokerUrl: this.brokerUrl,
        baseTopic: config.mqtt.base_topic,
        seed: 'lab',
        locks: locks.map((l) => ({ name: l.name, model: l.model, slots: l.slots, minPinLength: l.pinLength.min, maxPinLength: l.pinLength.max, exposePin: l.exposePin ?? true })),
      })
      // Back to what each lock held, before it is on the air: nothing is announced, as a lock that kept its memory.
      for (const [name, slots] of Object.entries(this.saved.zigbee)) {
        if (!zigbee.deviceNames().includes(name)) continue
        for (const s of slots) zigbee.programCode(name, s.slot, s.code, 'rf')
      }
      await new Promise((r) => setImmediate(r))
      this.zigbee = zigbee
      await zigbee.start()
    }
    mkdirSync(this.opts.linkDir, { recursive: true, mode: 0o700 })
    for (const [i, e] of config.encoders.entries()) {
      const base = join(resolve(this.opts.linkDir), `encoder-${i + 1}`)
      const enc: SimulatedEncoder = {
        name: e.name,
        sim: new Pn532Simulator({ baud: e.baud_rate }),
        card: this.saved.encoders[e.name]?.card ?? null,
        // A USB encoder plugged in is powered up afresh: a new PN532 (asleep, no target) on each plug.
        link: new PtyLink(`${base}.tty`, `${base}.device`, (port: Duplex) => {
          const sim = (enc.sim = new Pn532Simulator({ baud: e.baud_rate }))
          sim.on('exchange', (x: ExchangeEvent) => this.onExchange(enc, x))
          sim.attach(port)
          if (enc.card) sim.placeCard(this.cards.card(enc.card))
        }),
      }
      if (enc.card && !this.cards.list().includes(enc.card)) enc.card = null
      this.encoders.set(e.name, enc)
      await enc.link.plug()
    }
    this.stateFile.start(this.restored ? this.saved : undefined)
    this.app = Fastify({ logger: false })
    this.app.setErrorHandler(errorHandler(createLogger('warn', process.stderr)))
    await this.app.register(async (a) => simRoutes(a, this))
    await this.app.listen({ host: '127.0.0.1', port: this.opts.controlPort ?? 3591 })
    this.controlUrl = `http://127.0.0.1:${(this.app.server.address() as AddressInfo).port}`
  }

  private onExchange(enc: SimulatedEncoder, x: ExchangeEvent): void {
    const f = enc.unplugAt
    if (!f || x.op !== 'write' || ++f.seen !== f.write) return
    enc.unplugAt = undefined
    this.unplug(enc, f.replugMs)
  }

  /** Pulls an encoder's cable now; plugs it back after replugMs (null: stays out until plug()). */
  unplug(enc: SimulatedEncoder, replugMs: number | null): void {
    enc.link.unplug()
    if (replugMs === null) return
    const t = setTimeout(() => {
      this.timers.delete(t)
      void enc.link.plug().catch(() => undefined)
    }, replugMs)
    this.timers.add(t)
  }

  encoder(ref: { name?: string | undefined; acs_encoder_id?: string | undefined }): SimulatedEncoder {
    const name = ref.name ?? (ref.acs_encoder_id ? this.cardLocks.encoderName(ref.acs_encoder_id) : undefined)
    const enc = name === undefined ? undefined : this.encoders.get(name)
    if (!enc) throw new DomainError('lab_invalid_request', `no simulated encoder ${ref.name ?? ref.acs_encoder_id ?? '(give name or acs_encoder_id)'}`, 400)
    return enc
  }

  /** A Zigbee2MQTT lock by its friendly name (native_id), display name, or the daemon's device_id. */
  zigbeeLock(ref: { name?: string | undefined; device_id?: string | undefined }): string {
    const z = this.zigbee
    if (!z) throw new DomainError('device_not_simulated', 'This simulation has no Zigbee2MQTT locks', 400)
    const fromId = ref.device_id ? this.cardLocks.deviceNativeId(ref.device_id) : undefined
    const byDisplay = ref.name ? this.opts.config.locks.find((l) => l.name === ref.name && l.driver === 'zigbee2mqtt')?.native_id : undefined
    const name = fromId ?? byDisplay ?? ref.name
    if (name === undefined || !z.deviceNames().includes(name)) {
      throw new DomainError('device_not_simulated', `This device is not simulated here: ${ref.device_id ?? ref.name ?? '(give name or device_id)'}`, 400)
    }
    return name
  }

  snapshot(): SimState {
    const zigbee: SimState['zigbee'] = {}
    for (const name of this.zigbee?.deviceNames() ?? []) {
      zigbee[name] = this.zigbee!.slots(name).filter((s): s is { slot: number; code: string } => s.code !== null)
    }
    const cards: SimState['cards'] = {}
    for (const id of this.cards.list()) cards[id] = this.cards.card(id).dump().map((b) => b.toString('hex'))
    const encoders: SimState['encoders'] = {}
    for (const e of this.encoders.values()) encoders[e.name] = { card: e.card }
    return { version: SIM_STATE_VERSION, zigbee, cards, entrances: this.cardLocks.snapshot(), encoders }
  }

  /** The serve-mode config a daemon needs to run this property as a real site. */
  siteConfig(): Record<string, unknown> {
    const c = this.opts.config
    const encoderPaths = new Map([...this.encoders.values()].map((e) => [e.name, e.link.hostPath]))
    return {
      site: c.site,
      data_dir: this.opts.keysDir,
      http: c.http,
      mqtt: { ...c.mqtt, url: this.brokerUrl },
      reconcile: c.reconcile,
      locks: c.locks.filter((l) => l.driver === 'zigbee2mqtt'),
      entrances: c.entrances,
      // The simulated PN532 is another process, which a loaded host may hold back longer than a chip's 50 ms ACK.
      encoders: c.encoders.map((e) => ({ ...e, serial_path: encoderPaths.get(e.name), ack_timeout_ms: e.ack_timeout_ms ?? SIMULATED_ENCODER_ACK_MS })),
      log_level: c.log_level,
    }
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearTimeout(t)
    this.timers.clear()
    await this.app?.close()
    this.app = null
    this.stateFile.stop()
    for (const e of this.encoders.values()) {
      e.sim.detach()
      e.link.unplug()
    }
    await this.zigbee?.stop()
    this.zigbee = null
    await this.broker?.close()
    this.broker = null
  }
}

export type { SimulatedEncoder }
