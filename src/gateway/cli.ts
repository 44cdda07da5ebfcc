// `lockstep gateway --broker <url>`: loads the config (its `gateway` and `http` sections, LOCKSTEP_HTTP_HOST/PORT,
// LOCKSTEP_API_KEY as one more operator key), starts the gateway, stops on SIGINT/SIGTERM.
import { ConfigError, loadConfig } from '../config.js'
import { createLogger } from '../log.js'
import { startGateway } from './gateway.js'

export async function runGateway(o: { broker?: string; config?: string }): Promise<void> {
  const config = loadConfig({ mode: 'serve', path: o.config })
  const g = config.gateway
  const broker = o.broker ?? g.broker
  if (!broker) throw new ConfigError('name the fleet broker with --broker <url> or gateway.broker in the config')
  const log = createLogger(config.log_level)
  const gateway = await startGateway({
    broker, host: config.http.host, port: config.http.port, timeoutMs: g.timeout_ms,
    operatorKeys: [...g.operator_keys, ...(config.api_key ? [config.api_key] : [])],
    keySites: g.key_sites, username: g.username, password: g.password, cert: g.cert, key: g.key, ca: g.ca, log,
  })
  process.stdout.write(`lockstep gateway ${gateway.gatewayId} on ${gateway.url} (broker ${broker})\n`)
  let stopping = false
  const stop = async () => {
    if (stopping) return
    stopping = true
    await gateway.stop()
    process.exit(0)
  }
  process.on('SIGINT', () => void stop())
  process.on('SIGTERM', () => void stop())
}
