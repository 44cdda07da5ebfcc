// Acceptance for client sessions: Seam's official React components (@seamapi/react 4.14.2, bundled here with
// esbuild from the workspace package seam-components) on a page of another origin, pointed at the daemon with
// a client session token, in headless Chromium. The device table shows the session's doors (not another
// guest's), the access-code table a door's codes, and the create form makes a code that the daemon then holds.
// Every call the components make is logged and must be answered 2xx (CORS preflights included).
import { existsSync, realpathSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { build } from 'esbuild'
import type { BrowserContext } from 'playwright-core'
import { SeamHttp } from '@seamapi/http'
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js'
import { CHROMIUM, launchChromium, type Chromium } from '../helpers/chromium.js'

const required = process.env.LOCKSTEP_REQUIRE_SYSTEM_TIER === '1'
const missing = !existsSync(CHROMIUM)
if (missing && !required) console.warn(`seam-components.test: skipped — ${CHROMIUM} not found (apt-get install -y chromium)`)

// The page: token, device and endpoint come from the query string, so one bundle serves any daemon.
const PAGE_SOURCE = `
import React from 'react'
import { createRoot } from 'react-dom/client'
import { QueryClient } from '@tanstack/react-query'
import { SeamProvider, DeviceTable, AccessCodeTable, CreateAccessCodeForm } from '@seamapi/react'

const q = new URLSearchParams(location.search)
// 4.14.2 refuses an endpoint prop beside clientSessionToken; its SDK reads SEAM_ENDPOINT from process.env.
globalThis.process = { env: { SEAM_ENDPOINT: q.get('endpoint') } }
// Chromium without internet says it is offline; react-query would then pause every request.
const queryClient = new QueryClient({ defaultOptions: { queries: { networkMode: 'always', retry: false }, mutations: { networkMode: 'always' } } })
const deviceId = q.get('device_id')
function App() {
  return React.createElement(SeamProvider, { clientSessionToken: q.get('token'), queryClient, disableTelemetry: true, disableFontInjection: true, disableCssInjection: true },
    React.createElement('section', { id: 'devices' }, React.createElement(DeviceTable, {})),
    React.createElement('section', { id: 'codes' }, React.createElement(AccessCodeTable, { deviceId })),
    React.createElement('section', { id: 'create' }, React.createElement(CreateAccessCodeForm, { deviceId, onSuccess: (id) => { globalThis.createdAccessCodeId = id } })))
}
createRoot(document.getElementById('root')).render(React.createElement(App))
`

let t: TestDaemon
let context: BrowserContext
let browser: Chromium | undefined
let pageServer: Server
let pageUrl: string

async function bundlePage(): Promise<string> {
  // The workspace package holds @seamapi/react with its own React 18 and zod 3; react-query sits inside it.
  const dir = realpathSync(join(import.meta.dirname, '../../node_modules/seam-components'))
  const reactPkg = realpathSync(join(dir, 'node_modules/@seamapi/react'))
  const out = await build({
    stdin: { contents: PAGE_SOURCE, resolveDir: dir, loader: 'js' },
    bundle: true, write: false, format: 'iife', platform: 'browser', minify: true, logLevel: 'silent',
    nodePaths: [join(reactPkg, 'node_modules'), join(dir, 'node_modules')],
    define: { 'process.env.NODE_ENV': '"production"' },
    loader: { '.css': 'empty' },
  })
  return out.outputFiles[0]!.text
}

beforeAll(async () => {
  if (missing) {
    if (required) throw new Error(`${CHROMIUM} not found and LOCKSTEP_REQUIRE_SYSTEM_TIER=1: apt-get install -y chromium`)
    return
  }
  const [daemon, script] = await Promise.all([startTestDaemon(), bundlePage()])
  t = daemon
  const html = `<!doctype html><html><head><meta charset="utf-8"><title>portal</title></head><body><div id="root"></div><script>${script.replaceAll('</script', '<\\/script')}</script></body></html>`
  pageServer = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html))
  await new Promise<void>((ok) => pageServer.listen(0, '127.0.0.1', ok))
  pageUrl = `http://127.0.0.1:${(pageServer.address() as { port: number }).port}/`
  browser = await launchChromium({ width: 1280, height: 1600 })
  context = browser.context
}, 120_000)
afterAll(async () => {
  await browser?.close()
  await new Promise((ok) => (pageServer ? pageServer.close(ok) : ok(undefined)))
  await t?.stop()
})

test.skipIf(missing && !required)('Seam Components with a client session token: devices, codes, create a code', { timeout: 120_000 }, async () => {
  const seam = SeamHttp.fromApiKey(t.apiKey, { endpoint: t.url })
  const devices = await seam.devices.list()
  const [front, back, gym] = devices
  // Guest A may use the front and back doors; guest B (another customer) the gym.
  const guestA = await seam.userIdentities.create({ full_name: 'Anna Smith', email_address: 'anna@example.com' })
  const guestB = await seam.userIdentities.create({ full_name: 'Bob Jones', email_address: 'bob@example.com' })
  await seam.accessGrants.create({ user_identity_id: guestA.user_identity_id, device_ids: [front!.device_id, back!.device_id], requested_access_methods: [{ mode: 'code', code: '1357' }], name: 'Anna stay' })
  await seam.accessGrants.create({ user_identity_id: guestB.user_identity_id, device_ids: [gym!.device_id], requested_access_methods: [{ mode: 'code', code: '2468' }], name: 'Bob stay' })
  const session = await seam.clientSessions.create({ user_identity_id: guestA.user_identity_id })
  expect(session.token.startsWith('seam_cst')).toBe(true)

  const page = await context.newPage()
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(e.message))
  const consoleLines: string[] = []
  page.on('console', (m) => consoleLines.push(`${m.type()}: ${m.text()}`))
  // On failure, say what the components called and what the page said.
  const explain = () => `calls:\n  ${calls.join('\n  ')}\nfailed: ${failed.join(', ')}\nconsole:\n  ${consoleLines.slice(-20).join('\n  ')}\npage errors: ${errors.join('; ')}`
  const calls: string[] = []
  const failed: string[] = []
  page.on('response', (r) => {
    if (!r.url().startsWith(t.url)) return
    const line = `${r.request().method()} ${new URL(r.url()).pathname} ${r.status()}`
    calls.push(line)
    if (r.status() >= 300) failed.push(line)
  })
  // Only the daemon's calls count: the device table's fallback picture lives on Seam's CDN, unreachable here.
  page.on('requestfailed', (r) => {
    if (r.url().startsWith(t.url)) failed.push(`${r.method()} ${r.url()} ${r.failure()?.errorText}`)
  })

  const query = new URLSearchParams({ endpoint: t.url, token: session.token, device_id: front!.device_id })
  await page.goto(pageUrl + '?' + query.toString())

  // The device table: the session's two doors, not the gym.
  const deviceTable = page.locator('#devices')
  await deviceTable.getByText(front!.display_name, { exact: true }).first().waitFor({ timeout: 30_000 }).catch((e) => { throw new Error(`${e}\n${explain()}`) })
  await deviceTable.getByText(back!.display_name, { exact: true }).first().waitFor()
  expect(await deviceTable.getByText(gym!.display_name, { exact: true }).count()).toBe(0)

  // The access-code table of the front door: the grant's code is a row.
  const codeTable = page.locator('#codes')
  await codeTable.getByText('1357').first().waitFor({ timeout: 30_000 }).catch((e) => { throw new Error(`${e}\n${explain()}`) })

  // The create form: name and PIN, Save.
  const form = page.locator('#create')
  await form.locator('input[name=name]').fill('Portal code')
  await form.locator('input[name=code]').fill('8642')
  await form.getByRole('button', { name: 'Save' }).click()
  await page.waitForFunction(() => typeof (globalThis as any).createdAccessCodeId === 'string', undefined, { timeout: 30_000 }).catch((e) => { throw new Error(`${e}\n${explain()}`) })
  const createdId = await page.evaluate(() => (globalThis as any).createdAccessCodeId as string)

  // The daemon holds it, on the front door, as the API key sees it.
  const created = await seam.accessCodes.get({ access_code_id: createdId })
  expect({ device_id: created.device_id, code: created.code, name: created.name }).toEqual({ device_id: front!.device_id, code: '8642', name: 'Portal code' })

  console.log('seam components called:\n  ' + [...new Set(calls)].join('\n  '))
  expect(failed).toEqual([])
  expect(calls.some((c) => c.startsWith('POST /access_codes/create 200'))).toBe(true)
  expect(errors).toEqual([])
})
