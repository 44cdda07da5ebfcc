// README's SDK example, run as written against a lab daemon (only its port and data dir differ).
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { spawnSync } from 'node:child_process'
import { afterAll, expect, test } from 'vitest'
import { startChildDaemon, stopGracefully, type ChildDaemon } from '../helpers/child-daemon.js'

const ROOT = resolve(import.meta.dirname, '../..')
let daemon: ChildDaemon | undefined
const dataDir = mkdtempSync(join(tmpdir(), 'lockstep-readme-'))
const scratch = join(ROOT, 'test/.readme-example')

afterAll(async () => {
  if (daemon) await stopGracefully(daemon)
  rmSync(scratch, { recursive: true, force: true })
  rmSync(dataDir, { recursive: true, force: true })
})

test('the SDK example in README works as written', async () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
  const block = /## Use it with the official Seam SDK\s+```ts\n([\s\S]*?)```/.exec(readme)?.[1]
  expect(block, 'README has the SDK example').toBeTruthy()
  expect(block).toContain("SeamHttp.fromApiKey(key, { endpoint: 'http://127.0.0.1:3590' })")

  daemon = await startChildDaemon('lab', { LOCKSTEP_DATA_DIR: dataDir })
  const script = block!
    .replace('http://127.0.0.1:3590', daemon.url)
    .replace("'data/lab/lab-api-key'", JSON.stringify(join(dataDir, 'lab-api-key')))
  mkdirSync(scratch, { recursive: true })
  const file = join(scratch, 'example.mjs') // inside the repo so '@seamapi/http' resolves
  writeFileSync(file, script)
  const run = spawnSync(process.execPath, [file], { encoding: 'utf8', timeout: 60_000 })
  expect(run.stderr).toBe('')
  expect(run.status).toBe(0)
  expect(run.stdout).toMatch(/^\d{4,8} (setting|set)\n$/)
}, 120_000)
