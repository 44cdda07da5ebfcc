// Starts a real mosquitto on a free loopback port for the system tier, with TCP_NODELAY so the
// numbers measure the code, not Nagle (docs/protocols/mqtt-latency.md).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createConnection, createServer, type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export function findMosquitto(): string | undefined {
  for (const p of ['/usr/sbin/mosquitto', '/usr/bin/mosquitto', '/usr/local/sbin/mosquitto', '/usr/local/bin/mosquitto']) {
    if (existsSync(p)) return p
  }
  const which = spawnSync('sh', ['-c', 'command -v mosquitto'], { encoding: 'utf8' })
  return which.status === 0 && which.stdout.trim() ? which.stdout.trim() : undefined
}

export async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as AddressInfo).port
  await new Promise<void>((r) => server.close(() => r()))
  return port
}

async function waitForPort(port: number, deadlineMs: number): Promise<void> {
  const until = Date.now() + deadlineMs
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = createConnection({ port, host: '127.0.0.1' }, () => (s.destroy(), resolve(true)))
      s.on('error', () => resolve(false))
    })
    if (ok) return
    if (Date.now() > until) throw new Error(`mosquitto did not listen on ${port}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

export class Mosquitto {
  private child: ChildProcess | undefined
  private readonly dir = mkdtempSync(join(tmpdir(), 'lockstep-mosquitto-'))
  readonly url: string

  constructor(
    private readonly bin: string,
    readonly port: number,
    /** Settings instead of the defaults (anonymous, no persistence); `dir` is where files for them can go. */
    settings?: (dir: string) => string[],
  ) {
    this.url = `mqtt://127.0.0.1:${port}`
    const lines = settings ? settings(this.dir) : ['allow_anonymous true', 'set_tcp_nodelay true', 'persistence false']
    writeFileSync(join(this.dir, 'mosquitto.conf'), [`listener ${port} 127.0.0.1`, ...lines, ''].join('\n'))
  }

  /** The broker's process id while it runs (benchmarks read its RSS). */
  get pid(): number | undefined {
    return this.child?.pid
  }

  /** A directory removed with the broker, for its password file, ACL and persistence. */
  get workDir(): string {
    return this.dir
  }

  async start(): Promise<void> {
    const child = spawn(this.bin, ['-c', join(this.dir, 'mosquitto.conf')], { stdio: ['ignore', 'ignore', 'pipe'] })
    this.child = child
    let stderr = ''
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()))
    const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`mosquitto exited (${code}): ${stderr}`))))
    await Promise.race([waitForPort(this.port, 5000), exited])
  }

  async stop(): Promise<void> {
    const child = this.child
    this.child = undefined
    if (!child || child.exitCode !== null) return
    const gone = new Promise<void>((r) => child.once('exit', () => r()))
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000)
    await gone
    clearTimeout(timer)
  }

  async dispose(): Promise<void> {
    await this.stop()
    rmSync(this.dir, { recursive: true, force: true })
  }
}
