// Webhook delivery with a daemon and real loopback endpoints: a dead endpoint does not slow a healthy one;
// the horizon (on fake time) gives up and marks the endpoint failing with the reason; attempts are listed
// and an event can be re-sent; an idle site with webhooks writes nothing.
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { WebhookUseCases } from '../../src/app/webhooks.js'
import { httpPoster } from '../../src/events/transport.js'
import { WebhookDelivery } from '../../src/events/webhooks.js'
import { ManualClock } from '../../src/kernel/clock.js'
import { seededRandom } from '../../src/kernel/ids.js'
import { Outbox } from '../../src/store/outbox.js'
import { Store } from '../../src/store/store.js'
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js'
import { eventually } from '../helpers/eventually.js'
import { FakeTimers } from '../helpers/fake-timers.js'
import { startReceiver } from '../../testkit/webhook-receiver.js'

let t: TestDaemon
const closers: (() => Promise<void>)[] = []

async function api(path: string, body: Record<string, unknown>): Promise<any> {
  const res = await fetch(t.url + path, { method: 'POST', headers: { authorization: `Bearer ${t.apiKey}`, 'content-type': 'application/json' }, body: JSON.stringify(body) })
  const json = await res.json()
  if (res.status !== 200) throw new Error(`${path}: ${res.status} ${JSON.stringify(json)}`)
  return json
}

function appendEvents(n: number, type = 'lockstep.test_event'): string[] {
  const store = t.daemon.store
  return store.tx(() => Array.from({ length: n }, (_, i) => store.events.append({ event_type: type, n: i }).event_id as string))
}

/** A port that accepts connections and never answers. */
async function hangingEndpoint(): Promise<{ url: string; requests: () => number }> {
  let requests = 0
  const server: Server = createServer(() => void requests++)
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok))
  closers.push(() => new Promise<void>((ok) => (server.closeAllConnections(), server.close(() => ok()))))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hang`, requests: () => requests }
}

/** A loopback port nothing listens on (connection refused). */
async function deadUrl(): Promise<string> {
  const server = createServer()
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok))
  const port = (server.address() as AddressInfo).port
  await new Promise<void>((ok) => server.close(() => ok()))
  return `http://127.0.0.1:${port}/dead`
}

beforeAll(async () => {
  t = await startTestDaemon({
    mode: 'serve',
    patch: (c) => ({ ...c, webhooks: { ...c.webhooks, allow_loopback: true, timeout_seconds: 60, first_retry_seconds: 0.05 }, outbox: { ...c.outbox, behind_seconds: 1 } }),
  })
})
afterAll(async () => {
  await t?.stop()
  for (const close of closers) await close()
})

describe('isolation', () => {
  test('a hanging and a refusing endpoint do not slow a healthy one', async () => {
    const healthy = await startReceiver()
    closers.push(() => healthy.close())
    const hanging = await hangingEndpoint()
    const hooks = [
      (await api('/webhooks/create', { url: hanging.url, event_types: ['lockstep.*'] })).webhook,
      (await api('/webhooks/create', { url: await deadUrl(), event_types: ['lockstep.*'] })).webhook,
      (await api('/webhooks/create', { url: healthy.url, event_types: ['lockstep.*'] })).webhook,
    ]
    const ids = appendEvents(300)
    await eventually(() => expect(hanging.requests()).toBe(1))
    const t0 = performance.now()
    await eventually(() => expect(healthy.received.map((r) => JSON.parse(r.body).event_id)).toEqual(ids))
    // All 300 in order while the hanging endpoint still holds its first request (its deadline is 60 s).
    expect(performance.now() - t0).toBeLessThan(10_000)
    expect(hanging.requests()).toBe(1)
    // Health and metrics say which endpoint is behind (outbox.behind_seconds is 1 here) and which is fine.
    await eventually(async () => {
      const health = (await (await fetch(`${t.url}/health`)).json()) as any
      expect(health.status).toBe('degraded')
      expect(health.degraded.join('\n')).toContain(`webhook ${hooks[0].webhook_id} (${hanging.url}) is`)
      expect(health.degraded.join('\n')).not.toContain(hooks[2].webhook_id)
    }, 5_000)
    const metrics = await (await fetch(`${t.url}/metrics`)).text()
    expect(metrics).toContain(`lockstep_webhook_deliveries_total{webhook_id="${hooks[2].webhook_id}",outcome="delivered"} 300`)
    expect(metrics).toMatch(new RegExp(`lockstep_webhook_deliveries_total\\{webhook_id="${hooks[1].webhook_id}",outcome="failed"\\} [1-9]`))
    expect(metrics).toContain(`lockstep_outbox_depth{webhook_id="${hooks[0].webhook_id}"} 300`)
    expect(metrics).toContain(`lockstep_outbox_depth{webhook_id="${hooks[2].webhook_id}"} 0`)
    expect(metrics).toMatch(new RegExp(`lockstep_outbox_oldest_undelivered_seconds\\{webhook_id="${hooks[0].webhook_id}"\\} [1-9]`))
    for (const w of hooks) await api('/webhooks/delete', { webhook_id: w.webhook_id })
    expect(((await (await fetch(`${t.url}/health`)).json()) as any).status).toBe('ok')
  })
})

describe('URL policy at connect time', () => {
  test('a name is checked on the addresses it resolves to, every time it connects', async () => {
    const receiver = await startReceiver()
    closers.push(() => receiver.close())
    const port = new URL(receiver.url).port
    let answer = '127.0.0.1'
    const resolve = (_host: string, _o: unknown, cb: (err: null, a: { address: string; family: number }[]) => void) => cb(null, [{ address: answer, family: 4 }])
    const url = `http://hooks.example.test:${port}/hook`
    const site = httpPoster(url, { allowHosts: [], allowLoopback: false }, 5_000, 'test', resolve)
    const refused = await site.post('{}', {})
    expect(refused).toMatchObject({ ok: false, statusCode: null })
    expect(refused.error).toMatch(/hooks.example.test resolves to a refused address: 127.0.0.1 is a loopback address/)
    const lab = httpPoster(url, { allowHosts: [], allowLoopback: true }, 5_000, 'test', resolve)
    expect(await lab.post('{}', {})).toMatchObject({ ok: true, statusCode: 200 })
    lab.close()
    // The same name later pointing at the metadata service is refused, even where loopback is allowed.
    answer = '169.254.169.254'
    const later = httpPoster(url, { allowHosts: [], allowLoopback: true }, 5_000, 'test', resolve)
    expect((await later.post('{}', {})).error).toMatch(/metadata/)
    expect(receiver.received).toHaveLength(1)
    for (const p of [site, later]) p.close()
  })
})

describe('attempts and re-send', () => {
  test('a 500 is retried; attempts are listed newest first; an event is re-sent with the same id', async () => {
    const receiver = await startReceiver((n) => ({ status: n === 0 ? 500 : 200 }))
    closers.push(() => receiver.close())
    const { webhook } = await api('/webhooks/create', { url: receiver.url, event_types: ['lockstep.test_event'] })
    const [eventId] = appendEvents(1)
    await eventually(() => expect(receiver.received.map((r) => r.status)).toEqual([500, 200]))
    await eventually(async () => {
      const { webhook_attempts: attempts } = await api('/lockstep/webhooks/attempts/list', { webhook_id: webhook.webhook_id })
      expect(attempts.map((a: any) => [a.attempt, a.outcome, a.status_code])).toEqual([[2, 'delivered', 200], [1, 'failed', 500]])
      expect(attempts[1].error).toContain('HTTP 500')
      expect(attempts[1].next_attempt_at).not.toBeNull()
    })
    const { webhook_attempt: again } = await api('/lockstep/webhooks/resend', { webhook_id: webhook.webhook_id, event_id: eventId })
    expect(again).toMatchObject({ event_id: eventId, outcome: 'delivered', status_code: 200, attempt: 3 })
    expect(receiver.received.map((r) => r.headers['svix-id'])).toEqual([eventId, eventId, eventId])
    const page = await api('/lockstep/webhooks/attempts/list', { webhook_id: webhook.webhook_id, limit: 2 })
    expect(page.webhook_attempts).toHaveLength(2)
    const rest = await api('/lockstep/webhooks/attempts/list', { webhook_id: webhook.webhook_id, limit: 2, page_cursor: page.pagination.next_page_cursor })
    expect(rest.webhook_attempts.map((a: any) => a.attempt)).toEqual([1])
    // A lockstep-only event is never sent to a webhook that did not name it, not even by a re-send.
    const { webhook: seamOnly } = await api('/webhooks/create', { url: receiver.url, event_types: ['*'] })
    const refused = await fetch(t.url + '/lockstep/webhooks/resend', {
      method: 'POST', headers: { authorization: `Bearer ${t.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ webhook_id: seamOnly.webhook_id, event_id: eventId }),
    })
    expect(refused.status).toBe(400)
    expect(((await refused.json()) as any).error.type).toBe('event_type_not_subscribed')
    expect(receiver.received).toHaveLength(3)
    for (const w of [webhook, seamOnly]) await api('/webhooks/delete', { webhook_id: w.webhook_id })
  })
})

describe('quiet when idle', () => {
  test('webhooks configured, everything delivered: no disk writes while nothing happens', async () => {
    const receiver = await startReceiver()
    closers.push(() => receiver.close())
    const { webhook } = await api('/webhooks/create', { url: receiver.url, event_types: ['lockstep.*'] })
    const { webhook: other } = await api('/webhooks/create', { url: receiver.url + '/other', event_types: ['access_code.created'] })
    appendEvents(20)
    const outbox = new Outbox(t.daemon.store.ctx)
    await eventually(() => expect(outbox.attempts(webhook.webhook_id, { limit: 100 })).toHaveLength(20))
    // Both cursors written: the one that wanted the events and the one that passed them over.
    for (const w of [webhook, other]) await eventually(() => expect(outbox.cursor(`webhook:${w.webhook_id}`)!.lastSeq).toBe(outbox.headSeq()))
    const db = t.daemon.store.db
    const changes = () => (db.prepare('SELECT total_changes() AS n').get() as { n: number }).n
    const files = () => ['lockstep.db', 'lockstep.db-wal'].map((f) => {
      const s = statSync(join(t.dataDir, f), { throwIfNoEntry: false })
      return s ? `${f}:${s.size}:${s.mtimeMs}` : `${f}:absent`
    })
    const before = { changes: changes(), files: files() }
    // Idle: only reads (health, metrics, lists) for a while.
    const until = performance.now() + 1500
    while (performance.now() < until) {
      await fetch(`${t.url}/health`)
      await fetch(`${t.url}/metrics`)
      await api('/webhooks/list', {})
    }
    expect(changes()).toBe(before.changes)
    expect(files()).toEqual(before.files)
  })
})

describe('giving up (fake time)', () => {
  let dir: string
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'lockstep-webhook-horizon-'))
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  test('a dead endpoint is retried from seconds to hours, given up after 3 days, marked failing with why; update resumes', async () => {
    const clock = new ManualClock()
    const timers = new FakeTimers(clock)
    const store = Store.open(join(dir, 'lockstep.db'), clock, seededRandom('horizon'))
    const policy = { allowHosts: [], allowLoopback: true }
    const delivery = new WebhookDelivery({ store, clock, random: seededRandom('jitter'), timers, policy, timeoutMs: 5_000 })
    delivery.start()
    const app = new WebhookUseCases(store, delivery, policy)
    const webhook = app.create({ url: await deadUrl() })
    const first = store.tx(() => store.events.append({ event_type: 'device.connected' }))
    const later = store.tx(() => store.events.append({ event_type: 'device.disconnected' }))
    const attempts = () => app.attempts({ webhook_id: webhook.webhookId, limit: 1000 }).reverse()

    for (let i = 1; app.get(webhook.webhookId).failingSince === null; i++) {
      await eventually(() => expect(attempts()).toHaveLength(i))
      expect(i).toBeLessThan(100)
      const next = timers.nextAt()
      if (next !== null && app.get(webhook.webhookId).failingSince === null) timers.advance(next - clock.now())
    }
    const rows = attempts()
    expect(rows.every((a) => a.eventId === first.event_id)).toBe(true)
    expect(rows.slice(0, -1).every((a) => a.outcome === 'failed' && a.error === 'connection refused')).toBe(true)
    expect(rows.at(-1)!.outcome).toBe('gave_up')
    // Two failures in a row are retried within a minute; the gaps grow to hours; the last try is within 3 days.
    const t0 = rows[0]!.attemptedAt
    expect(rows[2]!.attemptedAt - t0).toBeLessThan(60_000)
    const gaps = rows.slice(1).map((a, i) => a.attemptedAt - rows[i]!.attemptedAt)
    expect(gaps[0]).toBeGreaterThanOrEqual(2_000)
    expect(Math.max(...gaps)).toBeGreaterThan(3_600_000)
    expect(rows.at(-1)!.attemptedAt - t0).toBeLessThanOrEqual(3 * 86_400_000)
    expect(rows.at(-1)!.attemptedAt - t0).toBeGreaterThan(2.5 * 86_400_000)

    const failing = app.get(webhook.webhookId)
    expect(failing.failingReason).toMatch(new RegExp(`gave up on event ${first.event_id} .* after ${rows.length} attempts .*connection refused`))
    expect(delivery.degraded().join('\n')).toContain('failing: gave up')
    // Paused: the next event is not tried, however long we wait.
    expect(timers.nextAt()).toBeNull()
    timers.advance(86_400_000)
    expect(attempts()).toHaveLength(rows.length)

    // The endpoint is back (a new URL): an update clears failing and delivery resumes after the given-up event.
    const receiver = await startReceiver()
    closers.push(() => receiver.close())
    app.update({ webhook_id: webhook.webhookId, url: receiver.url })
    await eventually(() => expect(receiver.received.map((r) => JSON.parse(r.body).event_id)).toEqual([later.event_id]))
    expect(app.get(webhook.webhookId).failingSince).toBeNull()
    await delivery.stop()
    store.close()
  })

  test('a graceful stop writes what was delivered: a restart sends nothing twice', async () => {
    const clock = new ManualClock()
    const timers = new FakeTimers(clock) // never advanced: only stop() writes the progress
    const store = Store.open(join(dir, 'graceful.db'), clock, seededRandom('graceful'))
    const policy = { allowHosts: [], allowLoopback: true }
    const receiver = await startReceiver()
    closers.push(() => receiver.close())
    let delivery = new WebhookDelivery({ store, clock, random: seededRandom('g1'), timers, policy })
    delivery.start()
    new WebhookUseCases(store, delivery, policy).create({ url: receiver.url })
    store.tx(() => { for (let i = 0; i < 5; i++) store.events.append({ event_type: 'device.connected' }) })
    await eventually(() => expect(receiver.received).toHaveLength(5))
    await delivery.stop()
    delivery = new WebhookDelivery({ store, clock, random: seededRandom('g2'), timers, policy })
    delivery.start()
    const last = store.tx(() => store.events.append({ event_type: 'device.disconnected' }))
    await eventually(() => expect(receiver.received.at(-1)?.headers['svix-id']).toBe(last.event_id))
    expect(receiver.received).toHaveLength(6)
    await delivery.stop()
    store.close()
  })

  test('attempt rows older than the retention are pruned with the next delivery', async () => {
    const clock = new ManualClock()
    const timers = new FakeTimers(clock)
    const store = Store.open(join(dir, 'retention.db'), clock, seededRandom('retention'))
    const policy = { allowHosts: [], allowLoopback: true }
    const delivery = new WebhookDelivery({ store, clock, random: seededRandom('r'), timers, policy, retentionMs: 30 * 86_400_000 })
    delivery.start()
    const receiver = await startReceiver()
    closers.push(() => receiver.close())
    const app = new WebhookUseCases(store, delivery, policy)
    const webhook = app.create({ url: receiver.url })
    const count = () => app.attempts({ webhook_id: webhook.webhookId, limit: 1000 }).length
    const deliver = async (n: number) => {
      store.tx(() => store.events.append({ event_type: 'device.connected' }))
      await eventually(() => expect(receiver.received).toHaveLength(n))
      timers.advance(1_000) // the batch of progress is written
      expect(count()).toBeGreaterThan(0)
    }
    await deliver(1)
    await deliver(2)
    expect(count()).toBe(2)
    timers.advance(31 * 86_400_000)
    await deliver(3)
    expect(app.attempts({ webhook_id: webhook.webhookId, limit: 1000 }).map((a) => a.attemptedAt)).toEqual([clock.now() - 1_000])
    await delivery.stop()
    store.close()
  })
})
