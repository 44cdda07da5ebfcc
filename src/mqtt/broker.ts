// Embedded MQTT broker (aedes) for a box that has no mosquitto. Served on a net server with
// noDelay: without it every QoS 1 round trip waits ~40 ms for Nagle (docs/protocols/mqtt-latency.md).
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net'
import type { Config } from '../config.js'
import type { Service } from '../kernel/service.js'
import type { Logger } from '../log.js'

export interface BrokerOptions {
  /** TCP port; 0 picks a free one (tests). The daemon passes LOCKSTEP_MQTT_PORT, default 1883. */
  port?: number
  /** Loopback by default: the broker is for the box itself, not the LAN. */
  host?: string
}

export interface RunningBroker {
  readonly host: string
  readonly port: number
  /** mqtt://host:port, ready for the mqtt client. */
  readonly url: string
  close(): Promise<void>
}

export const DEFAULT_MQTT_PORT = 1883

/** The port the daemon should use: LOCKSTEP_MQTT_PORT, else 1883. */
export function mqttPortFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.LOCKSTEP_MQTT_PORT
  if (raw === undefined || raw === '') return DEFAULT_MQTT_PORT
  const port = Number(raw)
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`LOCKSTEP_MQTT_PORT is not a port: ${raw}`)
  return port
}

export async function startBroker(options: BrokerOptions = {}): Promise<RunningBroker> {
  const host = options.host ?? '127.0.0.1'
  // Loaded here, not at the top: a site on an external broker never needs it.
  const { Aedes } = await import('aedes')
  const aedes = await Aedes.createBroker()
  const sockets = new Set<Socket>()
  const server: Server = createServer({ noDelay: true }, (socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
    aedes.handle(socket)
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? DEFAULT_MQTT_PORT, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const port = (server.address() as AddressInfo).port
  let closing: Promise<void> | undefined
  return {
    host,
    port,
    url: `mqtt://${host}:${port}`,
    close() {
      closing ??= (async () => {
        const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()))
        // Clients would keep server.close() waiting forever; a broker that stops drops them.
        for (const socket of sockets) socket.destroy()
        await new Promise<void>((resolve) => aedes.close(() => resolve()))
        await serverClosed
      })()
      return closing
    },
  }
}

/** The MQTT broker the Zigbee2MQTT driver talks to: the embedded one, or none when mqtt.url names an external one. */
export class SiteBroker implements Service {
  readonly name = 'mqtt broker'
  private broker: RunningBroker | null = null
  private address: string | null

  constructor(private readonly config: Config, private readonly log: Logger) {
    this.address = config.mqtt.url
  }

  get url(): string {
    if (!this.address) throw new Error('the MQTT broker has not started')
    return this.address
  }

  async start(): Promise<void> {
    if (this.config.mqtt.url) return
    this.broker = await startBroker({ host: this.config.mqtt.host, port: this.config.mqtt.port })
    this.address = this.broker.url
    this.log.info({ url: this.broker.url }, 'embedded MQTT broker listening')
  }

  async stop(): Promise<void> {
    await this.broker?.close()
    this.broker = null
  }
}
