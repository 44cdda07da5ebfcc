// `lockstep simulate`: starts SimulatedSite from the options, says where everything is, writes the
// daemon's serve-mode config, and stops cleanly (state flushed) on SIGINT/SIGTERM.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { ConfigError, loadConfig } from '../config.js'
import { socatInstalled } from './pty-link.js'
import { SimulatedSite } from './simulate.js'

export interface SimulateCliOptions {
  config?: string
  state: string
  fresh?: boolean
  broker?: string
  mqttPort: string
  port: string
  dataDir: string
  linkDir: string
  siteConfig: string
}

const say = (line: string) => process.stdout.write(`lockstep simulate: ${line}\n`)

function port(name: string, raw: string): number {
  if (!/^\d+$/.test(raw) || Number(raw) > 65535) throw new ConfigError(`${name}: must be a port number 0-65535, got "${raw}"`)
  return Number(raw)
}

export async function simulate(o: SimulateCliOptions): Promise<void> {
  let site: SimulatedSite
  try {
    if (o.broker !== undefined && !/^mqtts?:\/\//.test(o.broker)) throw new ConfigError(`--broker: must start with mqtt:// or mqtts://, got "${o.broker}"`)
    const config = loadConfig({ mode: 'lab', ...(o.config ? { path: o.config } : {}) })
    if (config.encoders.length && !socatInstalled()) throw new ConfigError('the simulated encoders need socat for their serial links (apt-get install -y socat)')
    const statePath = resolve(o.state)
    mkdirSync(dirname(statePath), { recursive: true, mode: 0o700 })
    site = await SimulatedSite.start({
      config,
      statePath,
      fresh: o.fresh ?? false,
      ...(o.broker ? { brokerUrl: o.broker } : { mqttPort: port('--mqtt-port', o.mqttPort) }),
      controlPort: port('--port', o.port),
      keysDir: resolve(o.dataDir),
      linkDir: resolve(o.linkDir),
    })
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (err instanceof ConfigError || code === 'EADDRINUSE') {
      process.stderr.write(`lockstep simulate: ${err instanceof ConfigError ? err.message : `${(err as Error).message} (choose another with --port / --mqtt-port)`}\n`)
      process.exit(2)
    }
    throw err
  }
  const siteConfig = resolve(o.siteConfig)
  writeIfChanged(siteConfig, JSON.stringify(site.siteConfig(), null, 2) + '\n')

  say(`MQTT broker ${site.brokerUrl}${o.broker ? ' (external)' : ' (embedded)'}; Zigbee2MQTT locks: ${site.zigbee?.deviceNames().join(', ') || 'none'}`)
  for (const e of site.encoders.values()) say(`encoder "${e.name}" on serial ${e.link.hostPath} (socat PTY pair, pid ${e.link.pid})`)
  const entrances = site.opts.config.entrances.map((e) => e.name)
  if (entrances.length) {
    say(`card locks ${entrances.join(', ')}: ${site.cardLocks.commissioned ? 'commissioned' : 'not commissioned yet'} from ${site.opts.keysDir}`)
  }
  for (const s of site.skipped) say(`skipped ${s}`)
  say(`state ${site.restored ? 'restored from' : 'kept in'} ${site.opts.statePath}`)
  say(`control API on ${site.controlUrl}/lab/`)
  say(`daemon config written to ${siteConfig}; run the daemon with: LOCKSTEP_CONFIG=${siteConfig} npm run serve`)

  let stopping = false
  const stop = async () => {
    if (stopping) return
    stopping = true
    await site.stop()
    process.exit(0)
  }
  process.on('SIGINT', () => void stop())
  process.on('SIGTERM', () => void stop())
}

function writeIfChanged(path: string, text: string): void {
  try {
    if (readFileSync(path, 'utf8') === text) return
  } catch {}
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 })
  writeFileSync(`${path}.tmp`, text, { mode: 0o600 })
  renameSync(`${path}.tmp`, path)
}
