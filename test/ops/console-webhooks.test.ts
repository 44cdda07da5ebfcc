// The console shows webhook health (headless Chromium, as console.test.ts): a healthy webhook is ok, one
// whose endpoint is dead is failing with the reason once delivery gave up (a short horizon here).
import { existsSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, expect, test } from 'vitest'
import type { BrowserContext } from 'playwright-core'
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js'
import { eventually } from '../helpers/eventually.js'
import { startReceiver, type Receiver } from '../../testkit/webhook-receiver.js'
import { CHROMIUM, launchChromium, type Chromium } from '../helpers/chromium.js'

const required = process.env.LOCKSTEP_REQUIRE_SYSTEM_TIER === '1'
const missing = !existsSync(CHROMIUM)
if (missing && !required) console.warn(`console-webhooks.test: skipped — ${CHROMIUM} not found (apt-get install -y chromium)`)

let t: TestDaemon
let context: BrowserContext
let browser: Chromium | undefined
let receiver: Receiver

beforeAll(async () => {
  if (missing) {
    if (required) throw new Error(`${CHROMIUM} not found and LOCKSTEP_REQUIRE_SYSTEM_TIER=1: apt-get install -y chromium`)
    return
  }
  receiver = await startReceiver()
  // A horizon of ~3.6 s and fast retries: the dead endpoint is given up on within the test.
  t = await startTestDaemon({ mode: 'serve', patch: (c) => ({ ...c, webhooks: { ...c.webhooks, allow_loopback: true, first_retry_seconds: 0.2, give_up_after_hours: 0.001 } }) })
  browser = await launchChromium({ width: 1280, height: 900 })
  context = browser.context
})
afterAll(async () => {
  await browser?.close()
  await t?.stop()
  await receiver?.close()
})

async function create(url: string): Promise<string> {
  const res = await fetch(`${t.url}/webhooks/create`, {
    method: 'POST', headers: { authorization: `Bearer ${t.apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ url, event_types: ['lockstep.*'] }),
  })
  return ((await res.json()) as { webhook: { webhook_id: string } }).webhook.webhook_id
}

test.skipIf(missing && !required)('console: each webhook with its health', { timeout: 60_000 }, async () => {
  const server = createServer()
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok))
  const deadUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/dead`
  await new Promise<void>((ok) => server.close(() => ok()))
  const healthy = await create(receiver.url)
  const dead = await create(deadUrl)
  const store = t.daemon.store
  store.tx(() => store.events.append({ event_type: 'lockstep.console_probe' }))
  await eventually(async () => {
    const w = (await (await fetch(`${t.url}/webhooks/get?webhook_id=${dead}`, { headers: { authorization: `Bearer ${t.apiKey}` } })).json()) as any
    expect(w.webhook.status).toBe('failing')
  }, 20_000)

  const page = await context.newPage()
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(e.message))
  await page.goto(t.url + '/')
  await page.fill('#api-key', t.apiKey)
  await page.click('#login-form button[type=submit]')
  const deadItem = page.locator(`#webhooks li[data-webhook-id="${dead}"]`)
  await deadItem.waitFor()
  expect(await deadItem.locator('.badge').textContent()).toBe('failing')
  expect(await deadItem.textContent()).toContain('connection refused')
  expect(await page.locator(`#webhooks li[data-webhook-id="${healthy}"] .badge`).textContent()).toBe('ok')
  expect(await page.locator('#site-status').textContent()).toContain('failing')
  expect(errors).toEqual([])
})
