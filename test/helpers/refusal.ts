// Shared by the bad-input fuzz suites: send one request, demand 200 or a clear 4xx in Seam's envelope
// (never a 5xx), and when refused, demand the store be exactly as it was.
import { createHash } from 'node:crypto'
import { expect } from 'vitest'
import { eventually } from './eventually.js'
import type { Store } from '../../src/store/store.js'
import type { TestDaemon } from './daemon.js'

/** A hash of every table's rows: equal hashes mean nothing was written. */
export function storeSnapshot(store: Store): string {
  const tables = store.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string }[]
  const h = createHash('sha256')
  for (const { name } of tables) h.update(name).update(JSON.stringify(store.db.prepare(`SELECT * FROM "${name}" ORDER BY rowid`).all()))
  return h.digest('hex')
}

/** The lab's PMS (FIAS) link comes up just after start and logs it: wait for that write, so nothing but the
 *  requests under test writes afterwards. */
export async function labStarted(t: TestDaemon): Promise<void> {
  const linkUp = () => t.daemon.store.db.prepare("SELECT count(*) AS n FROM events WHERE event_type = 'lockstep.fias.link_up'").get() as { n: number }
  await eventually(() => expect(linkUp().n).toBeGreaterThan(0), 10_000)
}

export interface FuzzRequest {
  method: 'GET' | 'DELETE' | 'POST' | 'PATCH' | 'PUT'
  url: string
  /** JSON body for POST/PATCH/PUT. */
  payload?: unknown
}

export async function expectClearAnswer(t: TestDaemon, req: FuzzRequest): Promise<void> {
  const before = storeSnapshot(t.daemon.store)
  const withBody = req.payload !== undefined
  const res = await t.daemon.app.inject({
    method: req.method,
    url: req.url,
    headers: { authorization: `Bearer ${t.apiKey}`, ...(withBody ? { 'content-type': 'application/json' } : {}) },
    ...(withBody ? { payload: JSON.stringify(req.payload) } : {}),
  })
  expect(res.statusCode, res.body).toBeLessThan(500)
  const json = res.json()
  if (res.statusCode >= 400) {
    expect(json.ok).toBe(false)
    expect(typeof json.error.type).toBe('string')
    expect(json.error.message.length).toBeGreaterThan(5)
    expect(storeSnapshot(t.daemon.store)).toBe(before)
  } else expect(json.ok).toBe(true)
}
