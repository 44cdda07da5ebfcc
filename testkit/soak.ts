// The crash soak (`npm run soak`, test/system/soak.test.ts): a daemon in serve mode against `lockstep
// simulate`, clients creating, updating and deleting access codes, and the daemon — only the daemon —
// killed with SIGKILL at random moments, always with requests in flight. After each restart every
// acknowledged change must be there and nothing acknowledged as deleted may come back; at the end every
// lock (read on the simulator's side) must hold exactly the codes the API says it should.
// An answer lost to the kill leaves that code "uncertain" (either outcome is right) until a later
// acknowledged change settles it.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from './mosquitto.js'
import { startServeDaemon, startSimulator, type DaemonChild, type SimulatorChild } from './processes.js'

export interface SoakOptions {
  kills: number
  codes: number
  clients?: number
  locks?: number
  seed?: number
  /** How long the final convergence may take. */
  convergeTimeoutMs?: number
  log?: (line: string) => void
}

export interface SoakResult {
  kills: number
  creates: number
  updates: number
  deletes: number
  acknowledged: number
  /** Requests whose answer was lost to a kill (either outcome is accepted for them). */
  uncertain: number
  checks: number
  lost: number
  resurrected: number
  unconverged: number
  codesAtEnd: number
  seconds: number
}

interface CodeRec {
  n: number
  device: string
  id: string | undefined
  code: string
  state: 'live' | 'deleted'
  /** An answer was lost: existence and value are unknown until an acknowledged change settles them. */
  uncertain: boolean
  busy: boolean
  version: number
}

const API_KEY = 'seam_soak_key_0123456789'
const MODELS = [['Yale', 'YRD256HA20BP', 'yale_lock'], ['Kwikset', '99140-002', 'kwikset_lock'], ['Schlage', 'BE468', 'schlage_lock']] as const

/** A small deterministic PRNG: the same seed, the same workload and kill moments. */
function prng(seed: number) {
  let s = seed >>> 0 || 1
  return () => {
    s ^= s << 13
    s ^= s >>> 17
    s ^= s << 5
    return (s >>> 0) / 0x1_0000_0000
  }
}

function siteConfig(dir: string, locks: number, slots: number): string {
  const path = join(dir, 'soak-lab.json')
  writeFileSync(path, JSON.stringify({
    site: { name: 'soak property' },
    lab: true,
    data_dir: join(dir, 'daemon'),
    reconcile: { resync_seconds: 5, concurrency: 8 },
    log_level: 'warn',
    locks: Array.from({ length: locks }, (_, i) => {
      const [manufacturer, model, device_type] = MODELS[i % MODELS.length]!
      return { name: `Soak ${i + 1}`, driver: 'zigbee2mqtt', native_id: `Soak ${i + 1}`, manufacturer, model, device_type, slots, code_length: [4, 8] }
    }),
  }))
  return path
}

type Answer = { ok: true; body: any } | { ok: false; uncertain: boolean; status?: number; body?: any }

export async function runSoak(o: SoakOptions): Promise<SoakResult> {
  const log = o.log ?? (() => undefined)
  const random = prng(o.seed ?? 12_345)
  const clients = o.clients ?? 4
  const locks = o.locks ?? 4
  const slots = Math.min(1000, Math.ceil(o.codes / locks) + 10)
  const dir = mkdtempSync(join(tmpdir(), 'lockstep-soak-'))
  const started = Date.now()
  let sim: SimulatorChild | undefined
  let daemon: DaemonChild | undefined
  try {
    const config = siteConfig(dir, locks, slots)
    sim = await startSimulator({ dir, config, dataDir: join(dir, 'daemon'), fresh: true })
    const port = String(await freePort())
    const env = { LOCKSTEP_API_KEY: API_KEY, LOCKSTEP_HTTP_PORT: port }
    daemon = await startServeDaemon(sim.siteConfig, env)
    const url = daemon.url

    // Requests on the wire now: the killer strikes while at least one is (else the kill proves nothing).
    let inFlight = 0
    const call = async (path: string, body: Record<string, unknown>): Promise<Answer> => {
      for (;;) {
        inFlight++
        try {
          const res = await fetch(url + path, {
            method: 'POST',
            headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
            body: JSON.stringify(body),
            signal: AbortSignal.timeout(30_000),
          })
          const json = await res.json().catch(() => undefined)
          if (res.ok) return { ok: true, body: json }
          // A 5xx may come after a commit; a 4xx is a refusal that changed nothing.
          return { ok: false, uncertain: res.status >= 500, status: res.status, body: json }
        } catch (err) {
          const code = (err as { cause?: { code?: string } }).cause?.code
          // Refused: the daemon is down and the request never left. Wait for the restart and send it again.
          if (code === 'ECONNREFUSED') {
            await new Promise((r) => setTimeout(r, 25))
            continue
          }
          return { ok: false, uncertain: true }
        } finally {
          inFlight--
        }
      }
    }

    const devices = ((await call('/devices/list', {})) as { ok: true; body: any }).body.devices.map((d: any) => d.device_id as string) as string[]
    if (devices.length !== locks) throw new Error(`expected ${locks} devices, the daemon lists ${devices.length}`)

    const recs: CodeRec[] = []
    const counts = { creates: 0, updates: 0, deletes: 0, acknowledged: 0, uncertain: 0, checks: 0 }
    const lost = new Set<number>()
    const resurrected = new Set<number>()
    let nextCode = 100_000
    let ops = 0
    const opsPlanned = Math.round(o.codes * 1.4)
    // Kill points: op counts at which the killer strikes (a little later, with requests in flight).
    const killAt = Array.from({ length: o.kills }, () => Math.floor(random() * opsPlanned)).sort((a, b) => a - b)
    let killsDone = 0
    let killing: Promise<void> | undefined

    const check = async (label: string) => {
      counts.checks++
      const judged = recs.filter((r) => !r.busy && !r.uncertain && r.id).map((r) => ({ r, version: r.version, state: r.state, code: r.code }))
      const listed = new Map<string, any>()
      const unmanaged = new Map<string, Set<string>>()
      for (const d of devices) {
        const a = await call('/access_codes/list', { device_id: d })
        if (!a.ok) throw new Error(`list failed during ${label}: ${JSON.stringify(a)}`)
        for (const c of a.body.access_codes) listed.set(c.access_code_id, c)
        const u = await call('/access_codes/unmanaged/list', { device_id: d })
        if (u.ok) unmanaged.set(d, new Set(u.body.access_codes.map((c: any) => c.code)))
      }
      for (const j of judged) {
        if (j.r.version !== j.version) continue
        const row = listed.get(j.r.id!)
        if (j.state === 'live' && (!row || row.code !== j.code)) {
          if (!lost.has(j.r.n)) log(`LOST after ${label}: code #${j.r.n} (${j.r.id}) ${row ? `reads ${row.code}` : 'is gone'}`)
          lost.add(j.r.n)
        }
        if (j.state === 'deleted' && (row || unmanaged.get(j.r.device)?.has(j.code))) {
          if (!resurrected.has(j.r.n)) log(`RESURRECTED after ${label}: code #${j.r.n} (${j.r.id})`)
          resurrected.add(j.r.n)
        }
      }
      // An uncertain create that did land: adopt its id, so later changes to it can be judged.
      for (const r of recs) {
        if (r.id || r.busy) continue
        const row = [...listed.values()].find((c) => c.device_id === r.device && c.name === `soak-${r.n}`)
        if (row) r.id = row.access_code_id
      }
    }

    const kill = async () => {
      const delay = Math.floor(random() * 300)
      await new Promise((r) => setTimeout(r, delay))
      // A machine fast enough to answer every request between two ops would otherwise kill an idle daemon:
      // wait for a request on the wire, then a moment (0–4 ms) for it to reach the daemon's transaction.
      for (let i = 0; i < 2000 && inFlight === 0; i++) await new Promise((r) => setImmediate(r))
      await new Promise((r) => setTimeout(r, Math.floor(random() * 5)))
      await daemon!.kill()
      killsDone++
      daemon = await startServeDaemon(sim!.siteConfig, env)
      log(`kill ${killsDone}/${o.kills}: restarted after ${ops} ops`)
      await check(`kill ${killsDone}`)
    }
    // The client that reaches a kill point carries on (its next requests meet the kill); a client reaching
    // the next point while a kill is still under way waits for it, so the workload spans every kill.
    const opDone = async () => {
      ops++
      while (killAt.length && ops >= killAt[0]!) {
        if (killing) {
          await killing
          continue
        }
        killAt.shift()
        killing = kill().finally(() => (killing = undefined))
      }
    }

    const settle = (r: CodeRec, a: Answer, onOk: () => void) => {
      r.version++
      if (a.ok) {
        counts.acknowledged++
        onOk()
        r.uncertain = false
      } else if (a.uncertain) {
        counts.uncertain++
        r.uncertain = true
      }
    }

    const client = async (c: number) => {
      const share = Math.floor(o.codes / clients) + (c < o.codes % clients ? 1 : 0)
      const mine: CodeRec[] = []
      for (let i = 0; i < share; i++) {
        const r: CodeRec = { n: recs.length, device: devices[recs.length % devices.length]!, id: undefined, code: String(nextCode++), state: 'live', uncertain: true, busy: true, version: 0 }
        recs.push(r)
        mine.push(r)
        counts.creates++
        const a = await call('/access_codes/create', { device_id: r.device, code: r.code, name: `soak-${r.n}` })
        settle(r, a, () => (r.id = a.ok ? a.body.access_code.access_code_id : undefined))
        if (!a.ok && !a.uncertain) r.state = 'deleted'
        r.busy = false
        await opDone()
        const live = mine.filter((m) => m.state === 'live' && m.id)
        if (live.length && random() < 0.2) {
          const u = live[Math.floor(random() * live.length)]!
          const code = String(nextCode++)
          u.busy = true
          counts.updates++
          const b = await call('/access_codes/update', { access_code_id: u.id, code })
          settle(u, b, () => (u.code = code))
          u.busy = false
          await opDone()
        }
        if (live.length && random() < 0.2) {
          const d = live[Math.floor(random() * live.length)]!
          if (d.busy) continue
          d.busy = true
          counts.deletes++
          const b = await call('/access_codes/delete', { access_code_id: d.id })
          settle(d, b, () => (d.state = 'deleted'))
          d.busy = false
          await opDone()
        }
      }
    }

    await Promise.all(Array.from({ length: clients }, (_, c) => client(c)))
    // Kill points past the last op still happen, during the sync that follows.
    while (killing || killAt.length) {
      if (killing) await killing
      else if (killAt.shift() !== undefined) await (killing = kill().finally(() => (killing = undefined)))
    }
    await check('the workload')
    log(`workload done: ${counts.creates} creates, ${counts.updates} updates, ${counts.deletes} deletes, ${o.kills} kills; waiting for the locks`)

    // Convergence, read on the simulator's side: each lock holds exactly the codes the API lists for it.
    const mismatch = async (): Promise<{ total: number; pending: number; codes: number }> => {
      let total = 0
      let pending = 0
      let codes = 0
      for (const d of devices) {
        const a = await call('/access_codes/list', { device_id: d })
        if (!a.ok) throw new Error('list failed')
        const want = a.body.access_codes.map((c: any) => c.code as string)
        codes += want.length
        pending += a.body.access_codes.filter((c: any) => c.status !== 'set').length
        const have = ((await sim!.lab('locks/slots', { device_id: d })).slots as { code: string | null }[]).flatMap((s) => (s.code === null ? [] : [s.code]))
        const onLock = new Set(have)
        const wanted = new Set(want)
        total += want.filter((w: string) => !onLock.has(w)).length + have.filter((h) => !wanted.has(h)).length + (have.length - onLock.size)
      }
      return { total, pending, codes }
    }
    const deadline = Date.now() + (o.convergeTimeoutMs ?? 120_000)
    let last = await mismatch()
    while ((last.total > 0 || last.pending > 0) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250))
      last = await mismatch()
    }
    await check('convergence')
    return {
      kills: killsDone,
      ...counts,
      lost: lost.size,
      resurrected: resurrected.size,
      unconverged: last.total,
      codesAtEnd: last.codes,
      seconds: Math.round((Date.now() - started) / 1000),
    }
  } finally {
    await daemon?.stop().catch(() => undefined)
    await sim?.stop().catch(() => undefined)
    if (!process.env.LOCKSTEP_SOAK_KEEP) rmSync(dir, { recursive: true, force: true })
  }
}

