// Runs the daemon as a child process (the real CLI), to kill it with SIGKILL and restart it.
import { spawn, type ChildProcess } from 'node:child_process'
import { resolve } from 'node:path'

export interface ChildDaemon {
  url: string
  child: ChildProcess
  output: () => string
}

const ROOT = resolve(import.meta.dirname, '../..')

/** `entry`: the sources through tsx (default), or node flags and a built bundle, e.g. ['--optimize-for-size', 'dist/lockstep.mjs']. */
export function startChildDaemon(mode: 'serve' | 'lab', env: Record<string, string>, entry: string[] = ['--import', 'tsx', 'src/cli.ts']): Promise<ChildDaemon> {
  const child = spawn(process.execPath, [...entry, mode], {
    cwd: ROOT,
    env: { ...process.env, LOCKSTEP_HTTP_PORT: '0', LOCKSTEP_HTTP_HOST: '127.0.0.1', LOCKSTEP_MQTT_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  child.stdout!.on('data', (d) => (out += d))
  child.stderr!.on('data', (d) => (out += d))
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`daemon did not start:\n${out}`)), 60_000)
    const onData = () => {
      const m = /API on (http:\/\/[^\s]+)/.exec(out)
      if (m) {
        clearTimeout(timer)
        child.stdout!.off('data', onData)
        resolvePromise({ url: m[1]!, child, output: () => out })
      }
    }
    child.stdout!.on('data', onData)
    child.on('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`daemon exited with ${code}:\n${out}`))
    })
  })
}

export function killHard(d: ChildDaemon): Promise<void> {
  return new Promise((r) => {
    d.child.removeAllListeners('exit')
    d.child.once('exit', () => r())
    d.child.kill('SIGKILL')
  })
}

export function stopGracefully(d: ChildDaemon): Promise<number | null> {
  return new Promise((r) => {
    d.child.removeAllListeners('exit')
    d.child.once('exit', (code) => r(code))
    d.child.kill('SIGTERM')
  })
}
