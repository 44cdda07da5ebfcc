// README's SDK example, run as written against a lab daemon: the key and the URL come from the environment,
// as the snippet's own first line says.
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
  const block = /## Use it with the official Seam SDK[\s\S]*?```js\n([\s\S]*?)```/.exec(readme)?.[1]
  expect(block, 'README has the SDK example, fenced as js').toBeTruthy()
  expect(block).toMatch(/^\/\/ example\.mjs — LOCKSTEP_API_KEY=.* node example\.mjs\n/)
  expect(block).toContain('process.env.LOCKSTEP_API_KEY')

  daemon = await startChildDaemon('lab', { LOCKSTEP_DATA_DIR: dataDir })
  mkdirSync(scratch, { recursive: true })
  const file = join(scratch, 'example.mjs') // inside the repo so '@seamapi/http' resolves
  writeFileSync(file, block!)
  const key = readFileSync(join(dataDir, 'lab-api-key'), 'utf8').trim()
  const run = spawnSync(process.execPath, [file], {
    encoding: 'utf8', timeout: 60_000, cwd: scratch,
    env: { ...process.env, LOCKSTEP_API_KEY: key, LOCKSTEP_URL: daemon.url },
  })
  expect(run.stderr).toBe('')
  expect(run.status).toBe(0)
  expect(run.stdout).toMatch(/^\d{4,8} (setting|set)\n$/)
}, 120_000)
