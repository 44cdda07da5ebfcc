// `lockstep simulate` and `lockstep serve` as child processes (the real CLI through tsx), for the soak and
// the system tier: the daemon can be killed with SIGKILL and started again while the devices live on.
import { spawn, type ChildProcess } from 'node:child_process'
import { resolve } from 'node:path'

const ROOT = resolve(import.meta.dirname, '..')
const CLI = ['--import', 'tsx', 'src/cli.ts']

export interface Child {
  child: ChildProcess
  output(): string
  /** SIGKILL; resolves when the process is gone. */
  kill(): Promise<void>
  /** SIGTERM (a clean stop), SIGKILL after 5 s. */
  stop(): Promise<void>
}

function run(args: string[], env: Record<string, string>, ready: RegExp, what: string): Promise<{ c: Child; m: RegExpExecArray }> {
  const child = spawn(process.execPath, [...CLI, ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout!.on('data', (d) => (out += d))
  child.stderr!.on('data', (d) => (out += d))
  const gone = () => child.exitCode !== null || child.signalCode !== null
  const end = (signal: NodeJS.Signals) =>
    new Promise<void>((r) => {
      if (gone()) return r()
      child.once('exit', () => r())
      child.kill(signal)
      if (signal === 'SIGTERM') setTimeout(() => !gone() && child.kill('SIGKILL'), 5000).unref()
    })
  const c: Child = { child, output: () => out, kill: () => end('SIGKILL'), stop: () => end('SIGTERM') }
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => (child.kill('SIGKILL'), reject(new Error(`${what} did not start:\n${out}`))), 60_000)
    const onData = () => {
      const m = ready.exec(out)
      if (!m) return
      clearTimeout(timer)
      child.stdout!.off('data', onData)
      child.off('exit', onExit)
      resolvePromise({ c, m })
    }
    const onExit = (code: number | null) => (clearTimeout(timer), reject(new Error(`${what} exited with ${code}:\n${out}`)))
    child.stdout!.on('data', onData)
    child.once('exit', onExit)
  })
}

export interface SimulatorChild extends Child {
  controlUrl: string
  brokerUrl: string
  /** The serve-mode config it wrote for the daemon. */
  siteConfig: string
  /** Serial path of each encoder, by name. */
  encoders: Map<string, string>
  /** POST to the control API; throws with the envelope's message on an error. */
  lab<T = any>(path: string, body?: Record<string, unknown>): Promise<T>
}

export interface SimulatorOptions {
  dir: string
  config: string
  /** The daemon's data dir (card keys and commissioning.json). */
  dataDir: string
  broker?: string
  fresh?: boolean
}

export async function startSimulator(o: SimulatorOptions): Promise<SimulatorChild> {
  const args = [
    'simulate', '--config', o.config, '--state', resolve(o.dir, 'state.json'), '--data-dir', o.dataDir,
    '--link-dir', o.dir, '--site-config', resolve(o.dir, 'site.json'), '--port', '0',
    ...(o.broker ? ['--broker', o.broker] : ['--mqtt-port', '0']), ...(o.fresh ? ['--fresh'] : []),
  ]
  const { c } = await run(args, {}, /daemon config written to (\S+);/, 'lockstep simulate')
  const out = c.output()
  const controlUrl = /control API on (http:\/\/\S+?)\/lab\//.exec(out)![1]!
  const brokerUrl = /MQTT broker (\S+)/.exec(out)![1]!
  const encoders = new Map([...out.matchAll(/encoder "([^"]+)" on serial (\S+)/g)].map((m) => [m[1]!, m[2]!]))
  return {
    ...c,
    controlUrl,
    brokerUrl,
    siteConfig: resolve(o.dir, 'site.json'),
    encoders,
    async lab(path, body = {}) {
      const res = await fetch(`${controlUrl}/lab/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
      const json = (await res.json()) as any
      if (!res.ok) throw new Error(`simulator ${path}: ${res.status} ${json?.error?.type}: ${json?.error?.message}`)
      return json
    },
  }
}

export interface DaemonChild extends Child {
  url: string
}

/** `lockstep serve` with the simulator's site config; env adds LOCKSTEP_API_KEY etc. */
export async function startServeDaemon(siteConfig: string, env: Record<string, string>): Promise<DaemonChild> {
  const { c, m } = await run(['serve'], { LOCKSTEP_CONFIG: siteConfig, LOCKSTEP_HTTP_PORT: '0', LOCKSTEP_HTTP_HOST: '127.0.0.1', ...env }, /API on (http:\/\/\S+)/, 'lockstep serve')
  return { ...c, url: m[1]! }
}

/** `lockstep gateway --broker <url>` on a free port; env names its config (LOCKSTEP_CONFIG) and operator key. */
export async function startGatewayChild(broker: string, env: Record<string, string>): Promise<DaemonChild> {
  const { c, m } = await run(['gateway', '--broker', broker], { LOCKSTEP_HTTP_PORT: '0', LOCKSTEP_HTTP_HOST: '127.0.0.1', ...env }, /lockstep gateway \S+ on (http:\/\/\S+)/, 'lockstep gateway')
  return { ...c, url: m[1]! }
}
