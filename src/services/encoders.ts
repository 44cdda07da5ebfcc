// Card encoders as a service: one PN532 driver per configured encoder and the encode/scan attempts
// (CardEncoderAttempts) that use them.
import type { Duplex } from 'node:stream'
import type { Config } from '../config.js'
import { encoderKeyring } from '../domain/card-image-plan.js'
import { CardEncoderAttempts } from '../app/card-encoder-attempts.js'
import type { Service } from '../kernel/service.js'
import type { CardLab } from '../lab/card-lab.js'
import type { Logger } from '../log.js'
import type { MetricsSink } from '../metrics.js'
import type { EncoderDriver } from '../ports/encoder-driver.js'
import type { SiteKeys } from '../protocols/lockstep-card/keys.js'
import type { Store } from '../store/store.js'
import { Pn532EncoderDriver } from '../../adapters/pn532-serial/driver.js'

export interface EncodersDeps {
  config: Config
  store: Store
  keys: SiteKeys
  log: Logger
  metrics: MetricsSink
  /** Lab mode: the encoders are simulated on in-process links. */
  cardLab: CardLab | null
  cardWaitMs?: number
}

export class Encoders implements Service {
  readonly name = 'card encoders'
  /** By acs_encoder_id. */
  readonly drivers: Map<string, EncoderDriver>
  readonly cardEncoding: CardEncoderAttempts

  constructor(private readonly deps: EncodersDeps) {
    this.drivers = encoderDrivers(deps.config, deps.store, deps.keys, deps.cardLab)
    this.cardEncoding = new CardEncoderAttempts({
      store: deps.store, keys: deps.keys, drivers: this.drivers, log: deps.log, metrics: deps.metrics,
      ...(deps.cardWaitMs !== undefined ? { cardWaitMs: deps.cardWaitMs } : {}),
    })
  }

  async start(): Promise<void> {
    // Lab encoders sit on in-process links: wake them now. A site's serial encoders open lazily on first use.
    if (!this.deps.cardLab) return
    for (const id of this.drivers.keys()) {
      await this.cardEncoding.wake(id).catch((err) => this.deps.log.warn({ acs_encoder_id: id, err: (err as Error).message }, 'card encoder did not start'))
    }
  }

  async stop(): Promise<void> {
    const { log } = this.deps
    await this.cardEncoding.stop().catch((err) => log.warn({ err }, 'card encoding stop failed'))
    for (const d of this.drivers.values()) await d.stop().catch((err) => log.warn({ err }, 'encoder stop failed'))
  }
}

/**
 * One PN532 driver per configured encoder: in lab mode on the CardLab's in-process serial link; on a site
 * over the real serial port at `serial_path`, opened on first use (never enumerated with SerialPort.list()).
 */
function encoderDrivers(config: Config, store: Store, keys: SiteKeys, cardLab: CardLab | null): Map<string, EncoderDriver> {
  const out = new Map<string, EncoderDriver>()
  const keysFor = encoderKeyring(keys)
  for (const e of config.encoders) {
    const id = store.acs.encoderIdFor(e.name)
    if (cardLab) {
      out.set(id, new Pn532EncoderDriver({ encoderId: id, port: cardLab.encoderPort(id), keysFor }))
    } else if (!config.lab && e.serial_path) {
      const path = e.serial_path
      const open = async (): Promise<Duplex> => {
        const { SerialPort } = await import('serialport')
        return new Promise<Duplex>((resolve, reject) => {
          const port = new SerialPort({ path, baudRate: e.baud_rate, autoOpen: false })
          port.open((err) => (err ? reject(err) : resolve(port)))
        })
      }
      out.set(id, new Pn532EncoderDriver({ encoderId: id, port: open, keysFor }))
    }
  }
  return out
}
