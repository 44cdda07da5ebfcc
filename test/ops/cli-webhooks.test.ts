// `lockstep webhooks list|attempts|resend` against an in-process daemon: the attempts a delivery made, newest
// first, as a table and as --json; a re-send adds one.
import { execFile } from 'node:child_process'
import { resolve } from 'node:path'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js'
import { eventually } from '../helpers/eventually.js'
import { startReceiver, type Receiver } from '../../testkit/webhook-receiver.js'

const ROOT = resolve(import.meta.dirname, '../..')
let t: TestDaemon
let receiver: Receiver

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args, '--url', t.url, '--api-key', t.apiKey], { cwd: ROOT, timeout: 30_000 }, (err, stdout, stderr) => {
      done({ code: err ? (typeof err.code === 'number' ? err.code : 99) : 0, stdout, stderr })
    })
  })
}

beforeAll(async () => {
  receiver = await startReceiver((n) => ({ status: n === 0 ? 503 : 200 }))
  t = await startTestDaemon({ mode: 'serve', patch: (c) => ({ ...c, webhooks: { ...c.webhooks, allow_loopback: true, first_retry_seconds: 0.05 } }) })
})
afterAll(async () => {
  await t?.stop()
  await receiver?.close()
})

test('webhooks list, attempts (table and --json) and resend', { timeout: 60_000 }, async () => {
  const res = await fetch(`${t.url}/webhooks/create`, {
    method: 'POST', headers: { authorization: `Bearer ${t.apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ url: receiver.url, event_types: ['lockstep.cli_probe'] }),
  })
  const { webhook } = (await res.json()) as { webhook: { webhook_id: string } }
  const store = t.daemon.store
  const event = store.tx(() => store.events.append({ event_type: 'lockstep.cli_probe' }))
  await eventually(() => expect(receiver.received.map((r) => r.status)).toEqual([503, 200]))

  const list = await cli(['webhooks', 'list'])
  expect(list.code, list.stderr).toBe(0)
  expect(list.stdout).toMatch(new RegExp(`${webhook.webhook_id}\\s+${receiver.url.replace(/[/.]/g, '\\$&')}\\s+lockstep.cli_probe\\s+ok`))

  await eventually(async () => {
    const json = await cli(['webhooks', 'attempts', webhook.webhook_id, '--json'])
    expect(json.code, json.stderr).toBe(0)
    expect(JSON.parse(json.stdout).map((a: any) => [a.event_id, a.attempt, a.outcome, a.status_code])).toEqual([
      [event.event_id, 2, 'delivered', 200],
      [event.event_id, 1, 'failed', 503],
    ])
  })
  const table = await cli(['webhooks', 'attempts', webhook.webhook_id])
  expect(table.stdout).toMatch(/^AT\s+EVENT\s+TYPE\s+#\s+OUTCOME/)
  expect(table.stdout).toContain('HTTP 503')

  const resend = await cli(['webhooks', 'resend', webhook.webhook_id, event.event_id as string])
  expect(resend.code, resend.stderr).toBe(0)
  expect(resend.stdout.trim()).toBe('delivered (HTTP 200)')
  expect(receiver.received).toHaveLength(3)
  const unknown = await cli(['webhooks', 'attempts', '00000000-0000-4000-8000-000000000000'])
  expect(unknown.code).toBe(1)
  expect(unknown.stderr).toContain('webhook_not_found')
})
