// The production build (scripts/build.ts → one module plus chunks, run without a TypeScript loader, as
// deploy/lockstep.service does) starts in both modes and finds its own files: config/lab.json, the
// console's static files, package.json. A bundle moves every module's import.meta.url, so this is
// where a path bug would show.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bundle, unitNodeFlags } from '../../scripts/build.js'
import { startChildDaemon, stopGracefully } from '../helpers/child-daemon.js'

let entry: string
const dirs: string[] = []
const unitFlags = unitNodeFlags()

beforeAll(async () => {
  entry = await bundle('src/cli.ts', '.test-build', 'lockstep')
}, 60_000)

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

function dataDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'lockstep-build-'))
  dirs.push(d)
  return d
}

describe('production build', () => {
  it('is what the systemd unit starts', () => {
    const unit = readFileSync(join(import.meta.dirname, '../../deploy/lockstep.service'), 'utf8')
    expect(unit).toMatch(/^ExecStart=\/usr\/bin\/node( --\S+)* \/opt\/lockstep\/dist\/lockstep\.mjs serve$/m)
    expect(entry.endsWith('lockstep.mjs')).toBe(true)
  })

  it('serve: answers /health, and an authenticated list route with the configured key', async () => {
    const key = 'seam_build_test_0123456789abcdef'
    const d = await startChildDaemon('serve', { LOCKSTEP_DATA_DIR: dataDir(), LOCKSTEP_API_KEY: key }, [...unitFlags, entry])
    try {
      const health = (await (await fetch(`${d.url}/health`)).json()) as { ok: boolean; version?: string }
      expect(health.ok).toBe(true)
      const list = await fetch(`${d.url}/devices/list`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: '{}' })
      expect(list.status).toBe(200)
      expect(await list.json()).toMatchObject({ ok: true, devices: [] })
    } finally {
      expect(await stopGracefully(d)).toBe(0)
    }
  }, 60_000)

  it('lab: the simulated property comes up and the console page is served', async () => {
    const dir = dataDir()
    const d = await startChildDaemon('lab', { LOCKSTEP_DATA_DIR: dir }, [...unitFlags, entry])
    try {
      const page = await fetch(`${d.url}/`)
      expect(page.status).toBe(200)
      expect(await page.text()).toContain('<html')
      const key = readFileSync(join(dir, 'lab-api-key'), 'utf8').trim()
      const devices = (await (await fetch(`${d.url}/devices/list`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: '{}' })).json()) as { devices: { display_name: string }[] }
      expect(devices.devices.map((x) => x.display_name)).toEqual(expect.arrayContaining(['Front Door', 'Back Door', 'Gym', 'Office']))
    } finally {
      expect(await stopGracefully(d)).toBe(0)
    }
  }, 60_000)
})
