// Starts an in-process daemon on an ephemeral loopback port with a fresh data dir and a known key.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfig, type Config } from '../../src/config.js'
import { startDaemon, type Daemon, type DaemonOptions } from '../../src/daemon.js'
import { createLogger } from '../../src/log.js'

export const TEST_KEY = 'seam_test_lockstep_key_0001'

export interface TestDaemon {
  daemon: Daemon
  url: string
  apiKey: string
  dataDir: string
  stop(): Promise<void>
}

export async function startTestDaemon(
  opts: {
    mode?: 'lab' | 'serve'; configPath?: string; patch?: (c: Config) => Config; daemon?: DaemonOptions; dataDir?: string
    /** Keep the lab's Z-Wave lock (a real zwave-js stack, ~5–9 s of CPU to start); off unless a test is about it. */
    zwave?: boolean
    /** Keep the lab's PMS on its FIAS link (its link-up and keep-alive events are writes of their own); off unless a test is about it. */
    fias?: boolean
  } = {},
): Promise<TestDaemon> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'lockstep-test-'))
  const env = { LOCKSTEP_DATA_DIR: dataDir, LOCKSTEP_HTTP_PORT: '0', LOCKSTEP_HTTP_HOST: '127.0.0.1', LOCKSTEP_API_KEY: TEST_KEY, LOCKSTEP_MQTT_PORT: '0' }
  let config: Config = loadConfig({ mode: opts.mode ?? 'lab', env, path: opts.configPath })
  if (!opts.zwave) config = { ...config, locks: config.locks.filter((l) => l.driver !== 'zwave-js') }
  if (!opts.fias) config = { ...config, fias: null }
  if (opts.patch) config = opts.patch(config)
  const daemon = await startDaemon(config, { log: createLogger('silent'), print: () => {}, ...opts.daemon })
  return {
    daemon,
    url: daemon.url,
    apiKey: TEST_KEY,
    dataDir,
    async stop() {
      await daemon.stop()
      if (!opts.dataDir) rmSync(dataDir, { recursive: true, force: true })
    },
  }
}
