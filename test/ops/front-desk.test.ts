// The front-desk page in headless Chromium against the in-process lab: check a guest in with two keys on
// Room 101 (blank cards placed on the lab encoder whenever the page asks for one), read a key back, open
// Room 101 with it; a second reservation's new key overrides the first guest's cards once used; the page's
// door view follows; checkout takes the stay out of "in house" and names the keys it cannot revoke.
import { existsSync, mkdirSync } from 'node:fs'
import { resolve } from 'node:path'
import { afterAll, beforeAll, expect, test } from 'vitest'
import type { BrowserContext, Page } from 'playwright-core'
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js'
import { labClient } from '../helpers/lab-client.js'
import { CHROMIUM, launchChromium, type Chromium } from '../helpers/chromium.js'

const required = process.env.LOCKSTEP_REQUIRE_SYSTEM_TIER === '1'
const missing = !existsSync(CHROMIUM)
const SHOT = resolve(import.meta.dirname, '../../test-results/front-desk.png')
if (missing && !required) console.warn(`front-desk.test: skipped — ${CHROMIUM} not found (apt-get install -y chromium)`)

let t: TestDaemon
let context: BrowserContext
let browser: Chromium | undefined
let lab: ReturnType<typeof labClient>

beforeAll(async () => {
  if (missing) {
    if (required) throw new Error(`${CHROMIUM} not found and LOCKSTEP_REQUIRE_SYSTEM_TIER=1: apt-get install -y chromium`)
    return
  }
  // A short card wait, so that reading with no card on the encoder fails within the test (the page keeps asking).
  t = await startTestDaemon({ daemon: { encoderCardWaitMs: 2000 } })
  lab = labClient(t.url, t.apiKey)
  browser = await launchChromium({ width: 1400, height: 1000 })
  context = browser.context
})
afterAll(async () => {
  await browser?.close()
  await t?.stop()
})

async function api<T = any>(path: string, body: Record<string, unknown> = {}): Promise<T> {
  const res = await fetch(t.url + path, { method: 'POST', headers: { authorization: `Bearer ${t.apiKey}`, 'content-type': 'application/json' }, body: JSON.stringify(body) })
  return (await res.json()) as T
}

const progress = (page: Page) => page.locator('#progress').textContent().then((s) => s ?? '')

/** Waits until the page asks for a card, then lays a fresh blank card on the encoder; answers its id. */
async function placeBlankWhenAsked(page: Page, encoderId: string, key: string): Promise<string> {
  await expect.poll(() => progress(page), { timeout: 20_000 }).toMatch(new RegExp(`${key}: .*place a (blank )?card on Front Desk Encoder`))
  const { card } = await lab<{ card: { card_id: string } }>('cards/create')
  await lab('encoders/place_card', { acs_encoder_id: encoderId, card_id: card.card_id })
  return card.card_id
}

test.skipIf(missing && !required)('front desk: check-in with 2 keys, read key, door, override by the next stay, checkout', { timeout: 180_000 }, async () => {
  const page = await context.newPage()
  const pageErrors: string[] = []
  page.on('pageerror', (e) => pageErrors.push(e.message))
  const { acs_encoders } = await api('/acs/encoders/list')
  const encoderId: string = acs_encoders.find((e: any) => e.display_name === 'Front Desk Encoder').acs_encoder_id
  const { acs_entrances } = await api('/acs/entrances/list')
  const room101: string = acs_entrances.find((e: any) => e.display_name === 'Room 101').acs_entrance_id
  const present = async (cardId: string) => (await lab<{ result: { granted: boolean; reason: string; mode?: string } }>('entrances/present_card', { acs_entrance_id: room101, card_id: cardId })).result

  // The console links to the desk; the desk asks for the key itself.
  await page.goto(t.url + '/')
  expect(await page.locator('header a[href="/front-desk"]').count()).toBe(1)
  await page.goto(t.url + '/front-desk')
  await page.locator('#login').waitFor({ state: 'visible' })
  await page.fill('#api-key', t.apiKey)
  await page.click('#login-form button[type=submit]')
  await page.locator('#key-form').waitFor({ state: 'visible' })
  await page.locator('#card-doors tr[data-door="Room 101"]').waitFor()
  expect(await page.locator('#in-house').textContent()).toContain('Nobody in house')
  // Every progress line the page shows, in order (some last only as long as one write).
  await page.evaluate(() => {
    const g = globalThis as any // the browser's globals (this project's tsconfig has no DOM lib)
    const box = g.document.querySelector('#progress')
    const seen: string[] = (g.progressSeen = [])
    new g.MutationObserver(() => seen.push(box.textContent ?? '')).observe(box, { childList: true, characterData: true, subtree: true })
  })

  // Check in Smith with two keys on Room 101.
  await page.selectOption('#room', { label: 'Room 101' })
  await page.fill('#key-form input[name=guest]', 'Smith, John')
  await page.fill('#key-form input[name=reservation_key]', 'stay-smith')
  await page.fill('#key-form input[name=keys]', '2')
  await page.click('#key-form button[type=submit]')
  const smith1 = await placeBlankWhenAsked(page, encoderId, 'Key 1 of 2')
  // Key 1 still lies on the encoder: the page will not write key 2 over it and asks for a blank card.
  await expect.poll(() => progress(page), { timeout: 20_000 }).toMatch(/Key 2 of 2: Front Desk Encoder still holds key 1 — take it off and place a blank card/)
  const smith2 = await placeBlankWhenAsked(page, encoderId, 'Key 2 of 2')
  await expect.poll(() => progress(page), { timeout: 20_000 }).toMatch(/^done — key 2 of 2 · Room 101 until /)

  const seen: string[] = await page.evaluate(() => (globalThis as any).progressSeen)
  const steps = ['Key 1 of 2: place a card on Front Desk Encoder', 'Key 1 of 2: writing', 'done — key 1 of 2', 'Key 2 of 2: writing']
  expect(steps.map((step) => seen.findIndex((line) => line === step))).toSatisfy((at: number[]) => at.every((i, n) => i >= 0 && (n === 0 || i > at[n - 1]!)))
  expect(seen.at(-1)).toMatch(/^done — key 2 of 2 · /)

  // In house now, with two keys made (both grants of the one reservation).
  const smithRow = page.locator('#in-house tr[data-reservation-key="stay-smith"]')
  await expect.poll(() => smithRow.textContent(), { timeout: 10_000 }).toMatch(/Room 101.*Smith, John.*2 made/)
  const grants = (await api('/access_grants/list', { reservation_key: 'stay-smith' })).access_grants
  expect(grants).toHaveLength(2)

  // Read key 2 back (it still lies on the encoder).
  await page.click('#read-key')
  const report = page.locator('#card-report')
  await expect.poll(() => report.getAttribute('data-card-status'), { timeout: 20_000 }).toBe('valid')
  const text = await report.textContent()
  expect(text).toMatch(/Guest key · Smith, John · reservation stay-smith \(duplicate\)/)
  expect(text).toMatch(/Opens Room 101 · from .* until /)
  expect(text).toContain("this is the room's current reservation")
  expect(await report.getAttribute('data-overridden')).toBe('false')
  await lab('encoders/remove_card', { acs_encoder_id: encoderId })

  // Both keys open Room 101; the door view says the lock follows Smith's stay.
  expect(await present(smith1)).toMatchObject({ granted: true, mode: 'override' })
  expect(await present(smith2)).toMatchObject({ granted: true, mode: 'joiner' })
  const door = page.locator('#card-doors tr[data-door="Room 101"]')
  await expect.poll(() => door.textContent(), { timeout: 10_000 }).toMatch(/Smith, John · stay-smith.*in step.*last guest in: Smith, John · stay-smith/)

  // A second reservation on Room 101: its new key overrides Smith's cards on first use.
  await page.fill('#key-form input[name=guest]', 'Jones, Ann')
  await page.fill('#key-form input[name=reservation_key]', 'stay-jones')
  await page.fill('#key-form input[name=keys]', '1')
  await page.click('#key-form button[type=submit]')
  const jones = await placeBlankWhenAsked(page, encoderId, 'Key 1 of 1')
  await expect.poll(() => progress(page), { timeout: 20_000 }).toMatch(/^done — key 1 of 1/)
  // Until Jones's key is used, the lock still follows Smith: the door view says it waits.
  await expect.poll(() => door.textContent(), { timeout: 10_000 }).toMatch(/Jones, Ann · stay-jones.*waiting for the first use of stay-jones's key/)
  expect(await present(smith1)).toMatchObject({ granted: true })
  expect(await present(jones)).toMatchObject({ granted: true, mode: 'override' })
  expect(await present(smith1)).toMatchObject({ granted: false, reason: 'overridden' })
  await expect.poll(() => door.textContent(), { timeout: 10_000 }).toMatch(/in step.*last guest in: Jones, Ann · stay-jones/)

  // Reading Smith's key now says it was overridden.
  await lab('encoders/place_card', { acs_encoder_id: encoderId, card_id: smith1 })
  await page.click('#read-key')
  await expect.poll(() => report.getAttribute('data-overridden'), { timeout: 20_000 }).toBe('true')
  expect(await report.textContent()).toMatch(/Overridden at Room 101.*Room 101 now belongs to reservation stay-jones \(Jones, Ann\)/)
  await lab('encoders/remove_card', { acs_encoder_id: encoderId })

  // A duplicate for Jones from the in-house row: a joiner on stay-jones, valid next to Jones's first key.
  const jonesRow = page.locator('#in-house tr[data-reservation-key="stay-jones"]')
  await jonesRow.locator('button.make').click()
  expect(await page.locator('#key-form input[name=kind]:checked').getAttribute('value')).toBe('duplicate')
  expect(await page.locator('#reservation').inputValue()).toBe('stay-jones')
  await page.click('#key-form button[type=submit]')
  const jones2 = await placeBlankWhenAsked(page, encoderId, 'Key 1 of 1')
  await expect.poll(() => progress(page), { timeout: 20_000 }).toMatch(/^done — key 1 of 1/)
  expect(await present(jones2)).toMatchObject({ granted: true, mode: 'joiner' })
  expect(await present(jones)).toMatchObject({ granted: true, mode: 'joiner' })
  await expect.poll(() => jonesRow.textContent(), { timeout: 10_000 }).toMatch(/2 made/)
  await lab('encoders/remove_card', { acs_encoder_id: encoderId })

  // A one-shot key for Room 102: staff-style, no reservation, ends today.
  await page.check('#key-form input[name=kind][value=one_shot]')
  await page.selectOption('#room', { label: 'Room 102' })
  await page.click('#key-form button[type=submit]')
  const oneShot = await placeBlankWhenAsked(page, encoderId, 'Key 1 of 1')
  await expect.poll(() => progress(page), { timeout: 20_000 }).toMatch(/^done — key 1 of 1 · Room 102 until /)
  const room102: string = acs_entrances.find((e: any) => e.display_name === 'Room 102').acs_entrance_id
  expect((await lab('entrances/present_card', { acs_entrance_id: room102, card_id: oneShot })).result).toMatchObject({ granted: true })
  const shots = (await api('/access_grants/list', { acs_entrance_id: room102 })).access_grants
  expect(shots.map((g: any) => [g.name, g.reservation_key ?? null, new Date(g.ends_at).getTime() - Date.now() <= 25 * 3600_000])).toEqual([['One-shot · Room 102', null, true]])
  await expect.poll(() => page.locator('#card-doors tr[data-door="Room 102"]').textContent(), { timeout: 10_000 }).toMatch(/no reservation \+ One-shot · Room 102.*last card .*: granted/)
  await lab('encoders/remove_card', { acs_encoder_id: encoderId })

  // An arrival booked through the API (as a PMS would): listed under today's arrivals; "Make keys" encodes its
  // own card first (no extra grant), and the stay moves to "in house".
  const room103: string = acs_entrances.find((e: any) => e.display_name === 'Room 103').acs_entrance_id
  await api('/access_grants/create', {
    user_identity: { full_name: 'Lee, Kim' }, acs_entrance_ids: [room103], reservation_key: 'stay-lee',
    ends_at: new Date(Date.now() + 2 * 86400_000).toISOString(), requested_access_methods: [{ mode: 'card' }],
  })
  const leeArrival = page.locator('#arrivals tr[data-reservation-key="stay-lee"]')
  await expect.poll(() => leeArrival.textContent(), { timeout: 10_000 }).toMatch(/Room 103.*Lee, Kim.*0 made, 1 to make/)
  await leeArrival.locator('button.make').click()
  await page.click('#key-form button[type=submit]')
  await placeBlankWhenAsked(page, encoderId, 'Key 1 of 1')
  await expect.poll(() => progress(page), { timeout: 20_000 }).toMatch(/^done — key 1 of 1 · Room 103 until /)
  await page.locator('#in-house tr[data-reservation-key="stay-lee"]').waitFor({ timeout: 10_000 })
  expect(await leeArrival.count()).toBe(0)
  expect((await api('/access_grants/list', { reservation_key: 'stay-lee' })).access_grants).toHaveLength(1)
  await lab('encoders/remove_card', { acs_encoder_id: encoderId })

  // Reading with no card on the encoder: the encoder's error, in words.
  await page.click('#read-key')
  await expect.poll(() => report.textContent(), { timeout: 20_000 }).toContain('No card was placed on Front Desk Encoder in time.')

  // Checkout Smith: two clicks; the stay leaves "in house"; the page names the keys it cannot revoke.
  await smithRow.locator('button.checkout').click()
  await smithRow.locator('button.checkout', { hasText: 'Confirm checkout' }).click()
  await smithRow.waitFor({ state: 'detached', timeout: 10_000 })
  expect(await progress(page)).toMatch(/Checked out Smith, John from Room 101\. These keys cannot be revoked \(offline locks\): card [0-9a-f]{8} \(Smith, John\), card [0-9a-f]{8} \(Smith, John\)/)
  expect((await api('/access_grants/list', { reservation_key: 'stay-smith' })).access_grants).toHaveLength(0)
  expect(await page.locator('#in-house tr[data-reservation-key="stay-jones"]').count()).toBe(1)

  // An online lock: the codes lockstep wants there next to what the lock reported.
  const { devices } = await api('/devices/list')
  const front = devices.find((d: any) => d.display_name === 'Front Door')
  await api('/access_codes/create', { device_id: front.device_id, name: 'Desk', code: '4826' })
  const frontRow = page.locator(`#online-doors tr[data-device-id="${front.device_id}"]`)
  await expect.poll(() => frontRow.textContent(), { timeout: 20_000 }).toMatch(/Front Door.*online.*1 code.*in step 1 on the lock/)

  mkdirSync(resolve(SHOT, '..'), { recursive: true })
  await page.screenshot({ path: SHOT, fullPage: true })
  expect(pageErrors).toEqual([])
})
