// The web console in headless Chromium (Debian's /usr/bin/chromium through playwright-core): load, enter
// the key, see the doors, create a code from the console, see it listed and in the event stream, and a
// lab action whose route may not exist yet shows its error in words. Takes a screenshot.
import { existsSync, mkdirSync, readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { afterAll, beforeAll, expect, test } from 'vitest'
import type { BrowserContext } from 'playwright-core'
import { SeamHttp } from '@seamapi/http'
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js'
import { CHROMIUM, launchChromium, type Chromium } from '../helpers/chromium.js'

const required = process.env.LOCKSTEP_REQUIRE_SYSTEM_TIER === '1'
const missing = !existsSync(CHROMIUM)
if (missing && !required) console.warn(`console.test: skipped — ${CHROMIUM} not found (apt-get install -y chromium)`)
const SHOT = resolve(import.meta.dirname, '../../test-results/console.png')

let t: TestDaemon
let context: BrowserContext
let browser: Chromium | undefined

beforeAll(async () => {
  if (missing) {
    if (required) throw new Error(`${CHROMIUM} not found and LOCKSTEP_REQUIRE_SYSTEM_TIER=1: apt-get install -y chromium`)
    return
  }
  t = await startTestDaemon()
  browser = await launchChromium({ width: 1280, height: 900 })
  context = browser.context
})
afterAll(async () => {
  await browser?.close()
  await t?.stop()
})

test.skipIf(missing && !required)('console: key, doors, create a code, events, lab errors in words, screenshot', { timeout: 120_000 }, async () => {
  const page = await context.newPage()
  const consoleErrors: string[] = []
  page.on('pageerror', (e) => consoleErrors.push(e.message))

  await page.goto(t.url + '/')
  await page.locator('#login').waitFor({ state: 'visible' })

  // A wrong key is refused in words.
  await page.fill('#api-key', 'seam_wrong_key_000000')
  await page.click('#login-form button[type=submit]')
  await expect.poll(() => page.locator('#notice').textContent()).toContain('refused')

  await page.fill('#api-key', t.apiKey)
  await page.click('#login-form button[type=submit]')
  await page.locator('article.door[data-device-id]').nth(2).waitFor()
  const names = await page.locator('article.door[data-device-id] h3').allTextContents()
  expect(names.map((n) => n.replace(/(online|offline|locked|unlocked)/g, '').trim())).toEqual(['Front Door', 'Back Door', 'Gym', 'Office'])
  // Each lock's radio exchanges over the last day, as its driver counted them.
  const radio = await page.locator('article.door[data-device-id] .radio').allTextContents()
  expect(radio).toHaveLength(4)
  for (const r of radio) expect(r).toMatch(/radio: \d+ exchanges in 24 h/)
  expect(await page.evaluate(() => (globalThis as any).sessionStorage.getItem('lockstep.apiKey'))).toBe(t.apiKey)

  // Create a code from the console.
  const front = page.locator('article.door[data-device-id]').first()
  await front.locator('form.create-code input[name=name]').fill('Anna Smith')
  await front.locator('form.create-code input[name=code]').fill('2468')
  await front.locator('form.create-code button[type=submit]').click()
  await page.locator('article.door[data-device-id] tr[data-access-code-id]', { hasText: '2468' }).waitFor()
  const row = page.locator('tr[data-access-code-id]', { hasText: '2468' })
  expect(await row.textContent()).toMatch(/Anna Smith.*2468.*(being set on the lock|on the lock)/)

  const seam = SeamHttp.fromApiKey(t.apiKey, { endpoint: t.url })
  const deviceId = await front.getAttribute('data-device-id')
  const codes = await seam.accessCodes.list({ device_id: deviceId! })
  expect(codes.map((c) => [c.code, c.name])).toContainEqual(['2468', 'Anna Smith'])

  // The event stream shows it.
  await page.locator('#events li[data-event-type="access_code.created"]').first().waitFor()

  // Lab: entering a code calls /lab/locks/enter_code; if that route is not there yet, the error is in words.
  await row.getByRole('button', { name: 'Enter at keypad' }).click()
  await expect.poll(async () => (await page.locator('#notice').isVisible()) ? page.locator('#notice').textContent() : '').toMatch(/Entered 2468|not available on this box yet|invalid_input|\S+ \S+/)

  // A second code, deleted from the console.
  await front.locator('form.create-code input[name=code]').fill('97531')
  await front.locator('form.create-code button[type=submit]').click()
  const doomed = page.locator('tr[data-access-code-id]', { hasText: '97531' })
  await doomed.waitFor()
  await doomed.getByRole('button', { name: 'Delete' }).click()
  await doomed.waitFor({ state: 'detached' })
  expect((await seam.accessCodes.list({ device_id: deviceId! })).map((c) => c.code)).not.toContain('97531')

  // A PMS push with a problem item shows up in words, without anyone reading the raw answer.
  await seam.customers.pushData({ customer_key: 'console', reservations: [{ reservation_key: 'console-res', guest_key: 'nobody', space_keys: ['unit-x'] }] } as any)
  const problem = page.locator('#pushes li[data-key="console-res"]')
  await problem.waitFor({ timeout: 15_000 })
  expect(await problem.textContent()).toMatch(/rejected · reservations console-res · \S+: /)

  mkdirSync(resolve(SHOT, '..'), { recursive: true })
  await page.screenshot({ path: SHOT, fullPage: true })
  const png = readFileSync(SHOT)
  expect(png.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe(true)
  expect(png.length).toBeGreaterThan(5000)
  expect(consoleErrors).toEqual([])
})
