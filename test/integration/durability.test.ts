// Rule 1: a change acknowledged by the API survives kill -9 at any moment, exactly once.
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, expect, test } from 'vitest'
import { SeamHttp } from '@seamapi/http'
import { killHard, startChildDaemon, stopGracefully, type ChildDaemon } from '../helpers/child-daemon.js'

const KEY = 'seam_test_durability_0001'
const dir = mkdtempSync(join(tmpdir(), 'lockstep-durability-'))
const configPath = join(dir, 'site.json')
writeFileSync(configPath, JSON.stringify({
  data_dir: join(dir, 'data'),
  log_level: 'warn',
  locks: [{ name: 'Vault', driver: 'zigbee2mqtt', native_id: 'vault', manufacturer: 'Yale', model: 'YRD256', device_type: 'yale_lock', slots: 1000, code_length: [4, 8] }],
}))
const env = { LOCKSTEP_CONFIG: configPath, LOCKSTEP_API_KEY: KEY }
let running: ChildDaemon | undefined

afterAll(async () => {
  if (running) await stopGracefully(running)
})

test('acknowledged creates survive SIGKILL, none duplicated', async () => {
  running = await startChildDaemon('serve', env)
  let seam = SeamHttp.fromApiKey(KEY, { endpoint: running.url })
  const [device] = await seam.devices.list()
  const acknowledged = new Map<string, string>() // access_code_id → code
  let sent = 0
  let killed = false

  // 8 writers in parallel; the kill lands while requests are in flight.
  const writer = async (w: number) => {
    for (let i = 0; !killed; i++) {
      const code = String(10_000_000 + w * 100_000 + i)
      sent++
      try {
        const c = await seam.accessCodes.create({ device_id: device!.device_id, code, name: `w${w}-${i}` })
        acknowledged.set(c.access_code_id, code)
      } catch {
        return // the daemon is gone
      }
    }
  }
  const writers = Array.from({ length: 8 }, (_, w) => writer(w))
  while (acknowledged.size < 150) await new Promise((r) => setTimeout(r, 5))
  await killHard(running)
  killed = true
  await Promise.all(writers)
  running = undefined

  running = await startChildDaemon('serve', env)
  seam = SeamHttp.fromApiKey(KEY, { endpoint: running.url })
  const after = await seam.accessCodes.list({ device_id: device!.device_id })
  const byId = new Map(after.map((c) => [c.access_code_id, c.code]))
  for (const [id, code] of acknowledged) expect(byId.get(id)).toBe(code)
  expect(new Set(after.map((c) => c.code)).size).toBe(after.length)
  expect(after.length).toBeLessThanOrEqual(sent)
  expect(after.length).toBeGreaterThanOrEqual(acknowledged.size)
  // Every surviving code has its created event (row and event in one transaction).
  const events = await seam.events.list({ since: '2000-01-01T00:00:00Z', event_type: 'access_code.created', limit: 100_000 })
  const withEvent = new Set(events.map((e) => (e as { access_code_id?: string }).access_code_id))
  for (const c of after) expect(withEvent.has(c.access_code_id)).toBe(true)
}, 120_000)
