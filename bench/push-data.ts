// One customers/push_data of N reservations (and their N guests) over S spaces, each space with one online
// lock and one reservation-capable card entrance, against an in-process store + API (fastify inject, no
// socket). Every reservation becomes a grant with a code method (one managed code) and a card method.
// The floor: the same rows (identities, grants, methods, codes, links, events, work items) inserted with
// prepared statements in one bare transaction on a fresh database of the same schema.
//
//   tsx bench/push-data.ts --reservations 1000 --spaces 200
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { createUseCases } from '../src/app/index.js'
import { buildApi } from '../src/api/server.js'
import { OffsetClock } from '../src/kernel/clock.js'
import { cryptoRandom } from '../src/kernel/ids.js'
import { createLogger } from '../src/log.js'
import { openDb } from '../src/store/db.js'
import { Store } from '../src/store/store.js'

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`)
  return i > 0 ? Number(process.argv[i + 1]) : fallback
}
const N = arg('reservations', 1000)
const S = arg('spaces', 200)
const dir = mkdtempSync(join(tmpdir(), 'lockstep-bench-push-'))

async function measured(N: number, file: string): Promise<{ ms: number; cpuMs: number; summary: unknown; rows: Record<string, number> }> {
  const store = Store.open(join(dir, file), new OffsetClock(), cryptoRandom)
  const key = 'seam_bench_key_0001'
  store.tx(() => store.apiKeys.add(key, 'bench'))
  const perSpace = Math.ceil(N / S)
  store.tx(() => {
    store.acs.sync(Array.from({ length: S }, (_, i) => ({ name: `Room ${i}`, can_belong_to_reservation: true })), [], 'bench')
    for (let i = 0; i < S; i++) {
      store.devices.upsert({
        nativeId: `lock_${i}`, driver: 'zigbee2mqtt', displayName: `Lock ${i}`, manufacturer: 'Yale', model: 'YRD226', deviceType: 'yale_lock', online: true,
        constraints: { minLength: 4, maxLength: 8, alphabet: '0123456789', noLeadingZero: false, firstSlot: 1, slotCount: Math.max(30, perSpace * 2), name: { maxLength: 16, charset: 'alphanumeric_space', unique: false } },
      })
    }
    const devices = store.devices.list()
    const entrances = store.acs.entrances()
    for (let i = 0; i < S; i++) store.spaces.create({ name: `Unit ${i}`, spaceKey: `unit-${i}`, deviceIds: [devices[i]!.deviceId], acsEntranceIds: [entrances[i]!.acsEntranceId] })
  })
  const log = createLogger('silent')
  const app = buildApi({ useCases: createUseCases(store, { log }), log })
  await app.ready()

  const day = 86_400_000
  const base = Date.now() + day
  const payload = {
    customer_key: 'bench',
    guests: Array.from({ length: N }, (_, j) => ({ guest_key: `guest-${j}`, name: `Guest ${j}`, email_address: `guest${j}@example.com` })),
    // Back-to-back stays per space, each its own reservation.
    reservations: Array.from({ length: N }, (_, j) => {
      const slot = Math.floor(j / S)
      return {
        reservation_key: `res-${j}`, guest_key: `guest-${j}`, space_keys: [`unit-${j % S}`],
        starts_at: new Date(base + slot * 3 * day).toISOString(), ends_at: new Date(base + slot * 3 * day + 2 * day).toISOString(),
      }
    }),
  }
  const body = JSON.stringify(payload)
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  const res = await app.inject({ method: 'POST', url: '/customers/push_data', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, payload: body })
  const ms = performance.now() - t0
  const cpu = process.cpuUsage(cpu0)
  const cpuMs = (cpu.user + cpu.system) / 1000
  if (res.statusCode !== 200) throw new Error(`push failed: ${res.statusCode} ${res.body.slice(0, 500)}`)
  const summary = res.json().summary
  const rows: Record<string, number> = {}
  for (const table of ['user_identities', 'access_grants', 'access_methods', 'access_codes', 'access_method_codes', 'events', 'work_items']) {
    rows[table] = (store.db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n
  }
  await app.close()
  store.close()
  return { ms, cpuMs, summary, rows }
}

/** The same rows in one bare transaction, prepared statements, no domain and no HTTP. */
function floor(rows: Record<string, number>): number {
  const db = openDb(join(dir, 'floor.db'))
  const uuid = () => cryptoRandom.uuid()
  const now = Date.now()
  db.exec("INSERT INTO devices (device_id, driver, native_id, connected_account_id, display_name, device_type, manufacturer, model, constraints, created_at) VALUES ('d', 'z', 'n', 'a', 'L', 'yale_lock', 'Y', 'M', '{}', 0)")
  const ui = db.prepare('INSERT INTO user_identities (user_identity_id, user_identity_key, email_address, full_name, customer_key, created_at) VALUES (?, ?, ?, ?, ?, ?)')
  const ag = db.prepare(`INSERT INTO access_grants (access_grant_id, access_grant_key, reservation_key, user_identity_id, name, starts_at, ends_at, requested, space_ids, space_keys,
    capable_entrance_ids, reservation_entrance_ids, state, source, customer_key, created_at, updated_at) VALUES (?, ?, ?, ?, NULL, ?, ?, ?, ?, ?, ?, ?, 'active', 'reservations', 'bench', ?, ?)`)
  const am = db.prepare('INSERT INTO access_methods (access_method_id, access_grant_id, mode, code, entrance_ids, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
  const ac = db.prepare("INSERT INTO access_codes (access_code_id, device_id, is_managed, name, appearance_name, code, starts_at, ends_at, status, created_at, updated_at) VALUES (?, 'd', 1, ?, ?, ?, ?, ?, 'unset', ?, ?)")
  const link = db.prepare("INSERT INTO access_method_codes (access_method_id, access_code_id, device_id) VALUES (?, ?, 'd')")
  const ev = db.prepare("INSERT INTO events (event_id, event_type, occurred_at, created_at, device_id, access_code_id, body) VALUES (?, ?, ?, ?, NULL, NULL, ?)")
  const wi = db.prepare("INSERT INTO work_items (device_id, dirty_at, reason) VALUES ('d', ?, 'x') ON CONFLICT(device_id) DO UPDATE SET dirty_at = excluded.dirty_at")
  const eventsPerGrant = Math.round((rows.events! - 1) / Math.max(1, rows.access_grants!))
  const t0 = performance.now()
  db.transaction(() => {
    for (let j = 0; j < rows.access_grants!; j++) {
      const u = uuid()
      const g = uuid()
      const [m1, m2, c] = [uuid(), uuid(), uuid()]
      ui.run(u, `guest-${j}`, `guest${j}@example.com`, `Guest ${j}`, 'bench', now)
      ag.run(g, `res-${j}`, `res-${j}`, u, now, now + 1, '[{"mode":"code"},{"mode":"card"}]', `["${u}"]`, `["unit-${j}"]`, `["${c}"]`, `["${c}"]`, now, now)
      am.run(m1, g, 'code', '123456', '[]', now, now)
      am.run(m2, g, 'card', null, `["${c}"]`, now, now)
      ac.run(c, `Guest ${j}`, `Guest ${j}`, '123456', now, now + 1, now, now)
      link.run(m1, c)
      for (let e = 0; e < eventsPerGrant; e++) ev.run(uuid(), 'access_method.created', now, now, JSON.stringify({ event_id: u, access_method_id: m1, access_grant_ids: [g] }))
      wi.run(now)
    }
  })()
  const ms = performance.now() - t0
  db.close()
  return ms
}

// A daemon is long-running: warm the JIT with a smaller push on another database first (reported too).
const w = await measured(Math.max(1, Math.floor(N / 5)), 'warmup.db')
const m = await measured(N, 'measured.db')
const f = floor(m.rows)
rmSync(dir, { recursive: true, force: true })
process.stdout.write(`push_data: ${N} reservations + ${N} guests over ${S} spaces → ${JSON.stringify(m.summary)}\n`)
process.stdout.write(`rows: ${JSON.stringify(m.rows)}\n`)
process.stdout.write(`warm-up (cold JIT): ${Math.max(1, Math.floor(N / 5))} reservations in ${w.ms.toFixed(1)}ms wall\n`)
process.stdout.write(`measured=${m.ms.toFixed(1)}ms wall, ${m.cpuMs.toFixed(1)}ms CPU (one HTTP push, one transaction; wall includes fsync and any load on the box)\n`)
process.stdout.write(`floor=${f.toFixed(1)}ms (same rows, prepared inserts, one bare transaction)\n`)
process.stdout.write(`ratio=${(m.ms / f).toFixed(2)}\n`)
