// Rule 9 across a crash: kill -9 the daemon (a child process) while 1,000 events are being delivered to an
// endpoint that is slow and sometimes answers 500. After a restart every event has arrived at least once,
// duplicates carry the same id (and the same signed body), and the order per endpoint holds.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, expect, test } from 'vitest'
import { SeamHttp } from '@seamapi/http'
import { SeamWebhook } from '@seamapi/webhook'
import { killHard, startChildDaemon, stopGracefully, type ChildDaemon } from '../helpers/child-daemon.js'
import { eventually } from '../helpers/eventually.js'
import { startReceiver, type Receiver } from '../../testkit/webhook-receiver.js'

const KEY = 'seam_test_webhook_kill_0001'
const TOTAL = 1000
const dir = mkdtempSync(join(tmpdir(), 'lockstep-webhook-kill-'))
const configPath = join(dir, 'site.json')
writeFileSync(configPath, JSON.stringify({
  data_dir: join(dir, 'data'),
  log_level: 'warn',
  webhooks: { allow_loopback: true, first_retry_seconds: 0.05 },
  locks: [{ name: 'Vault', driver: 'zigbee2mqtt', native_id: 'vault', manufacturer: 'Yale', model: 'YRD256', device_type: 'yale_lock', slots: 1000, code_length: [4, 8] }],
}))
const env = { LOCKSTEP_CONFIG: configPath, LOCKSTEP_API_KEY: KEY }
let running: ChildDaemon | undefined
let receiver: Receiver | undefined

afterAll(async () => {
  if (running) await stopGracefully(running)
  await receiver?.close()
  rmSync(dir, { recursive: true, force: true })
})

test('kill -9 during delivery of 1,000 events: all arrive, duplicates share the id, order holds', async () => {
  // Slow (2–6 ms per answer) and every 11th request answers 500.
  receiver = await startReceiver((n) => ({ delayMs: 2 + (n % 5), status: n % 11 === 5 ? 500 : 200 }))
  running = await startChildDaemon('serve', env)
  let seam = SeamHttp.fromApiKey(KEY, { endpoint: running.url })
  const [device] = await seam.devices.list()
  const hook = await seam.webhooks.create({ url: receiver.url, event_types: ['access_code.created'] })
  const delivered = () => new Set(receiver!.received.filter((r) => r.status === 200).map((r) => r.headers['svix-id']))

  // 8 writers; the kill lands once 300 events were delivered, while codes are still being created or delivered.
  let killed = false
  let created = 0
  const writer = async (w: number) => {
    for (let i = 0; !killed && created < TOTAL; i++) {
      created++
      try {
        await seam.accessCodes.create({ device_id: device!.device_id, code: String(10_000_000 + w * 100_000 + i), name: `w${w}-${i}` })
      } catch {
        return // the daemon is gone
      }
    }
  }
  const writers = Array.from({ length: 8 }, (_, w) => writer(w))
  await eventually(() => expect(delivered().size).toBeGreaterThanOrEqual(300), 60_000)
  await killHard(running)
  killed = true
  await Promise.all(writers)
  const atKill = delivered().size
  running = undefined

  running = await startChildDaemon('serve', env)
  seam = SeamHttp.fromApiKey(KEY, { endpoint: running.url })
  const committed = async () => (await seam.events.list({ since: '2000-01-01T00:00:00Z', event_type: 'access_code.created', limit: 100_000 }))
  // Top up to 1,000 events if the kill came before all were created.
  for (let i = (await committed()).length; i < TOTAL; i++) {
    await seam.accessCodes.create({ device_id: device!.device_id, code: String(20_000_000 + i), name: `after-${i}` })
  }
  const all = (await committed()).map((e) => e.event_id)
  expect(all).toHaveLength(TOTAL)
  expect(atKill).toBeLessThan(TOTAL) // the kill did land mid-delivery
  await eventually(() => expect(delivered().size).toBe(TOTAL), 120_000)

  const verifier = new SeamWebhook(hook.secret!)
  const bodyOf = new Map<string, string>()
  const firstArrivals: string[] = []
  for (const r of receiver.received) {
    const event = verifier.verify(r.body, r.headers)
    expect(event.event_id).toBe(r.headers['svix-id'])
    const seen = bodyOf.get(event.event_id)
    if (seen !== undefined) expect(r.body).toBe(seen) // a duplicate is the same event, byte for byte
    else {
      bodyOf.set(event.event_id, r.body)
      firstArrivals.push(event.event_id)
    }
  }
  // In order: the first arrival of each event follows the log's order, none skipped ahead.
  expect(firstArrivals).toEqual(all)
  expect(new Set(all)).toEqual(delivered())
}, 240_000)
