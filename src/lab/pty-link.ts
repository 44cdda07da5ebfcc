// A serial cable without hardware: a socat pseudo-terminal pair whose two ends get stable symlinks
// (link=…), so the daemon's config names the same path across simulator restarts and re-plugs.
// A PTY and not TCP: the daemon opens it with the real serialport binding, exactly as a USB PN532 on a site.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { rmSync } from 'node:fs'
import type { Duplex } from 'node:stream'

export const socatInstalled = (): boolean => spawnSync('socat', ['-V'], { stdio: 'ignore' }).status === 0

export class PtyLink {
  private proc: ChildProcess | undefined
  private device: Duplex | undefined

  /** hostPath: what the daemon opens (config serial_path); devicePath: the simulated encoder's end. */
  constructor(
    readonly hostPath: string,
    readonly devicePath: string,
    private readonly onDevice: (port: Duplex) => void,
  ) {}

  get pid(): number | undefined {
    return this.proc?.exitCode === null ? this.proc.pid : undefined
  }

  get plugged(): boolean {
    return this.pid !== undefined
  }

  /** Starts socat, opens the device end and hands it to onDevice. */
  async plug(timeoutMs = 5000): Promise<void> {
    if (this.plugged) return
    rmSync(this.hostPath, { force: true })
    rmSync(this.devicePath, { force: true })
    const proc = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${this.hostPath}`, `pty,raw,echo=0,link=${this.devicePath}`], {
      stdio: ['ignore', 'ignore', 'pipe'],
    })
    this.proc = proc
    await new Promise<void>((resolve, reject) => {
      let err = ''
      const timer = setTimeout(() => (proc.kill('SIGKILL'), reject(new Error(`socat did not start: ${err}`))), timeoutMs)
      proc.once('error', (e) => (clearTimeout(timer), reject(e)))
      proc.stderr!.setEncoding('utf8')
      proc.stderr!.on('data', (s: string) => {
        err += s
        if (/starting data transfer loop/.test(err)) {
          clearTimeout(timer)
          resolve()
        }
      })
    })
    const { SerialPort } = await import('serialport')
    const port = await new Promise<Duplex>((resolve, reject) => {
      const p = new SerialPort({ path: this.devicePath, baudRate: 115200 }, (e) => (e ? reject(e) : resolve(p)))
    })
    // An unplugged cable is an error on the open port (EIO); the encoder's detach handles it.
    port.on('error', () => undefined)
    this.device = port
    this.onDevice(port)
  }

  /** Pulls the cable: socat dies, both open ends get EIO/close, as a USB encoder yanked out. */
  unplug(): void {
    if (this.proc?.exitCode === null) this.proc.kill('SIGKILL')
    this.proc = undefined
    if (this.device && !this.device.destroyed) this.device.destroy()
    this.device = undefined
  }
}
