// The store holds PINs in clear and the key files are secrets: the data dir is 0700 and every file lockstep
// writes there (store, -wal, -shm, card keys, lab key) and every backup is 0600, whatever the umask.
import { execFile } from 'node:child_process'
import { chmodSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { startChildDaemon, stopGracefully } from '../helpers/child-daemon.js'
import { startTestDaemon } from '../helpers/daemon.js'

const ROOT = resolve(import.meta.dirname, '../..')
let umask: number
const scratch = mkdtempSync(join(tmpdir(), 'lockstep-modes-'))

beforeAll(() => {
  // The most permissive umask: anything not set explicitly would come out world-readable and -writable.
  umask = process.umask(0)
})
afterAll(() => {
  process.umask(umask)
  rmSync(scratch, { recursive: true, force: true })
})

/** Every entry under `dir` with its permission bits, e.g. { '.': '700', 'lockstep.db': '600' }. */
function modes(dir: string): Record<string, string> {
  const out: Record<string, string> = { '.': (statSync(dir).mode & 0o777).toString(8) }
  for (const e of readdirSync(dir, { recursive: true }) as string[]) out[e] = (statSync(join(dir, e)).mode & 0o777).toString(8)
  return out
}

function expectPrivate(dir: string, mustHave: string[]): void {
  const m = modes(dir)
  for (const name of mustHave) expect(m, `${name} exists`).toHaveProperty(name)
  for (const [name, mode] of Object.entries(m)) {
    const isDir = statSync(join(dir, name)).isDirectory()
    expect([name, mode]).toEqual([name, isDir ? '700' : '600'])
  }
}

test('serve mode: a data dir that exists 0755 with a 0644 store is tightened; new files are 0600', async () => {
  const dataDir = join(scratch, 'serve')
  const { mkdirSync } = await import('node:fs')
  mkdirSync(dataDir, { mode: 0o755 })
  chmodSync(dataDir, 0o755)
  writeFileSync(join(dataDir, 'lockstep.db'), '', { mode: 0o644 })
  const t = await startTestDaemon({ mode: 'serve', dataDir })
  try {
    expect((await fetch(t.url + '/health')).status).toBe(200)
    // While it runs: WAL and shared memory exist next to the store.
    expectPrivate(dataDir, ['lockstep.db', 'lockstep.db-wal', 'lockstep.db-shm', 'card-k-mac.key', 'card-k-a.key', 'card-k-b.key'])
  } finally {
    await t.stop()
  }
  expectPrivate(dataDir, ['lockstep.db'])
})

test('lab mode as the real CLI (umask 0 inherited): data dir, store, lab key, card keys; a backup is 0600 too', { timeout: 120_000 }, async () => {
  const dataDir = join(scratch, 'lab')
  delete process.env.LOCKSTEP_API_KEY // the lab generates its key and writes it to the data dir
  const lab = await startChildDaemon('lab', { LOCKSTEP_DATA_DIR: dataDir })
  try {
    expectPrivate(dataDir, ['lockstep.db', 'lockstep.db-wal', 'lockstep.db-shm', 'lab-api-key', 'card-k-mac.key'])
    const file = join(scratch, 'backup.db')
    const run = await new Promise<{ code: number; stderr: string }>((done) =>
      execFile(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'backup', file, '--data-dir', dataDir], { cwd: ROOT, timeout: 30_000 }, (err, _o, stderr) =>
        done({ code: err ? Number(err.code ?? 99) : 0, stderr })),
    )
    expect(run.code, run.stderr).toBe(0)
    expect((statSync(file).mode & 0o777).toString(8)).toBe('600')
  } finally {
    await stopGracefully(lab)
  }
})
