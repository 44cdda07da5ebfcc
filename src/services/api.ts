// The HTTP API as a service: listens on start, closes (waiting for requests in flight) on stop.
import type { FastifyInstance } from 'fastify'
import type { Config } from '../config.js'
import type { Service } from '../kernel/service.js'
import { buildApi, listenApi, type ApiDeps } from '../api/server.js'

export class ApiService implements Service {
  readonly name = 'api'
  readonly app: FastifyInstance
  private address: string | null = null

  constructor(private readonly http: Config['http'], deps: ApiDeps) {
    this.app = buildApi(deps)
  }

  get url(): string {
    if (!this.address) throw new Error('the API is not listening')
    return this.address
  }

  async start(): Promise<void> {
    const { host, port } = this.http
    await listenApi(this.app, host, port)
    const address = this.app.server.address()
    const bound = typeof address === 'object' && address ? address.port : port
    this.address = `http://${host.includes(':') ? `[${host}]` : host}:${bound}`
  }

  async stop(): Promise<void> {
    await this.app.close()
  }
}
