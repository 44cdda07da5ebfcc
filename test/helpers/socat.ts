// A fresh pseudo-terminal pair from socat for the system tier; paths parsed from its stderr.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { SerialPort } from 'serialport'

export const socatAvailable: boolean = spawnSync('socat', ['-V'], { stdio: 'ignore' }).status === 0
export const requireSystemTier = process.env.LOCKSTEP_REQUIRE_SYSTEM_TIER === '1'
/** Skip reason when socat is missing; with LOCKSTEP_REQUIRE_SYSTEM_TIER=1 the tier must run (and then fails). */
export const skipSystemTier: string | false = !socatAvailable && !requireSystemTier ? 'socat not installed (apt-get install -y socat); set LOCKSTEP_REQUIRE_SYSTEM_TIER=1 to make this a failure' : false

export interface PtyPair {
  paths: [string, string]
  proc: ChildProcess
  kill(): void
}

export function ptyPair(timeoutMs = 5000): Promise<PtyPair> {
  return new Promise((resolve, reject) => {
    const proc = spawn('socat', ['-d', '-d', 'pty,raw,echo=0', 'pty,raw,echo=0'], { stdio: ['ignore', 'ignore', 'pipe'] })
    const paths: string[] = []
    let err = ''
    const timer = setTimeout(() => {
      proc.kill('SIGKILL')
      reject(new Error(`socat did not start: ${err}`))
    }, timeoutMs)
    proc.on('error', (e) => {
      clearTimeout(timer)
      reject(e)
    })
    proc.stderr!.setEncoding('utf8')
    proc.stderr!.on('data', (s: string) => {
      err += s
      for (const m of s.matchAll(/PTY is (\S+)/g)) paths.push(m[1]!)
      if (paths.length >= 2 && /starting data transfer loop/.test(err)) {
        clearTimeout(timer)
        resolve({
          paths: [paths[0]!, paths[1]!],
          proc,
          kill: () => {
            if (proc.exitCode === null) proc.kill('SIGKILL')
          },
        })
      }
    })
  })
}

export function openPort(path: string): Promise<SerialPort> {
  return new Promise((resolve, reject) => {
    const p = new SerialPort({ path, baudRate: 115200 }, (e) => (e ? reject(e) : resolve(p)))
  })
}

export async function closePort(p: SerialPort | undefined): Promise<void> {
  if (!p || !p.isOpen) return
  await new Promise<void>((r) => p.close(() => r()))
}
