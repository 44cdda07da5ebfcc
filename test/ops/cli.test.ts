// The `lockstep` verbs against a lab daemon spawned as the real CLI: --json output, exit codes
// (0 ok, 1 API error, 2 usage, 3 unreachable), and a backup that restores to the same state.
import { execFile } from 'node:child_process'
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { SeamHttp } from '@seamapi/http'
import { startChildDaemon, stopGracefully, type ChildDaemon } from '../helpers/child-daemon.js'
import { startTestDaemon } from '../helpers/daemon.js'

const ROOT = resolve(import.meta.dirname, '../..')
let lab: ChildDaemon
let dataDir: string

interface Run { code: number; stdout: string; stderr: string; json: () => any }

function cli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((done) => {
    execFile(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], {
      cwd: ROOT,
      env: { ...process.env, LOCKSTEP_URL: lab.url, LOCKSTEP_DATA_DIR: dataDir, ...env },
      timeout: 30_000,
    }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 99) : 0
      done({ code, stdout, stderr, json: () => JSON.parse(stdout) })
    })
  })
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'lockstep-cli-'))
  delete process.env.LOCKSTEP_API_KEY // the lab generates its key and writes it to the data dir
  lab = await startChildDaemon('lab', { LOCKSTEP_DATA_DIR: dataDir })
})
afterAll(async () => {
  if (lab?.child.exitCode === null) await stopGracefully(lab)
  rmSync(dataDir, { recursive: true, force: true })
})

test('the lab prints its banner: API, console, key, and the locks with their ids', { timeout: 120_000 }, async () => {
  for (let i = 0; i < 100 && !lab.output().includes('Stop: Ctrl-C'); i++) await new Promise((r) => setTimeout(r, 50))
  const out = lab.output()
  const key = readFileSync(join(dataDir, 'lab-api-key'), 'utf8').trim()
  expect(out).toContain(`Console  ${lab.url}/`)
  expect(out).toContain(`API key  ${key}`)
  expect(out).toMatch(/Locks \(5\)\n\s+Front Door\s+[0-9a-f-]{36}\s+Yale /)
  // The simulated locks have reported in by the time the banner is printed (the Z-Wave Side Gate comes up in
  // the background: zwave-js interviews it after the API is up).
  for (const name of ['Front Door', 'Back Door', 'Gym', 'Office']) expect(out).toMatch(new RegExp(`${name}\\s+[0-9a-f-]{36}.*\\bonline\\n`))
})

test('status and devices with --json (key found in the lab data dir)', { timeout: 120_000 }, async () => {
  const [status, devices] = await Promise.all([cli(['status', '--json']), cli(['devices', '--json'])])
  expect(status.code, status.stderr).toBe(0)
  expect(status.json()).toMatchObject({ ok: true, mode: 'lab', key: 'accepted', devices: { total: 5 } })
  expect(devices.code, devices.stderr).toBe(0)
  expect(devices.json().map((d: any) => d.display_name)).toEqual(['Front Door', 'Back Door', 'Gym', 'Office', 'Side Gate'])
  // The last day's radio exchanges with each lock that counts them (the lab's locks were read on discovery).
  for (const d of devices.json()) if (d.display_name !== 'Side Gate') expect(d.lockstep_radio_exchanges_last_day).toBeGreaterThan(0)
  const human = await cli(['devices'])
  expect(human.stdout).toMatch(/^NAME\s+DEVICE ID\s+TYPE\s+ONLINE\s+LOCKED\s+RADIO 24H/)
  expect(human.stdout).toContain('Back Door')
})

test('codes create, list and delete with --json', { timeout: 120_000 }, async () => {
  const created = await cli(['codes', 'create', '--device', 'Front Door', '--code', '4826', '--name', 'Anna', '--json'])
  expect(created.code, created.stderr).toBe(0)
  const code = created.json()
  expect(code).toMatchObject({ code: '4826', name: 'Anna', status: 'setting', is_managed: true })

  const listed = await cli(['codes', 'list', '--device', code.device_id, '--json'])
  expect(listed.code, listed.stderr).toBe(0)
  expect(listed.json().map((c: any) => c.access_code_id)).toContain(code.access_code_id)

  const deleted = await cli(['codes', 'delete', code.access_code_id, '--json'])
  expect(deleted.code, deleted.stderr).toBe(0)
  const after = await cli(['codes', 'list', '--json'])
  expect(after.json().map((c: any) => c.access_code_id)).not.toContain(code.access_code_id)
})

test('push-data shows every problem item first and exits 1 when an item is rejected', { timeout: 120_000 }, async () => {
  const file = join(dataDir, 'push-reject.json')
  writeFileSync(file, JSON.stringify({
    customer_key: 'cli',
    guests: [{ guest_key: 'cli-a', name: 'Same Mail A', email_address: 'same@example.com' }, { guest_key: 'cli-b', name: 'Same Mail B', email_address: 'same@example.com' }, { guest_key: 'cli-ok', name: 'Fine' }],
  }))
  const r = await cli(['push-data', file])
  expect(r.code, r.stderr).toBe(1)
  const lines = r.stdout.trim().split('\n')
  expect(lines[0]).toMatch(/^run [0-9a-f-]{36}: 3 items \(/)
  expect(lines[2]).toMatch(/^rejected\s+guests\s+cli-b\s+user_identity_email_or_phone_conflict: .*same@example\.com/)
  expect(lines.slice(3).every((l) => l.startsWith('applied'))).toBe(true)
  const json = await cli(['push-data', file, '--json'])
  expect(json.json()).toMatchObject({ summary: { total: 3 } })
  const notJson = await cli(['push-data', join(dataDir, 'lab-api-key')])
  expect([notJson.code, notJson.stderr]).toEqual([2, expect.stringContaining('not JSON')])
})

test('exit codes: 1 API error, 2 usage or config, 3 daemon unreachable', { timeout: 120_000 }, async () => {
  const [notFound, badKey, missingOpt, badUrl, noKey, down, grants] = await Promise.all([
    cli(['codes', 'delete', '00000000-0000-4000-8000-000000000000']),
    cli(['devices', '--api-key', 'seam_not_a_real_key_1']),
    cli(['codes', 'create']),
    cli(['devices', '--url', 'ftp://x']),
    cli(['devices'], { LOCKSTEP_DATA_DIR: join(dataDir, 'nowhere') }),
    cli(['status', '--url', 'http://127.0.0.1:9']),
    cli(['grants', 'list']),
  ])
  const [encode, enter] = await Promise.all([
    cli(['encode', '00000000-0000-4000-8000-000000000001', '--encoder', '00000000-0000-4000-8000-000000000002', '--timeout', '2']),
    cli(['lab', 'enter-code', '--device', 'Gym', '1234']),
  ])
  // Card encoding and the lab routes come with other parts: an API error (exit 1) in words until then.
  expect([encode.code, encode.stderr]).toEqual([1, expect.stringMatching(/lockstep: \S+/)])
  if (enter.code !== 0) expect([enter.code, enter.stderr]).toEqual([1, expect.stringMatching(/enter_code|device/)])
  expect([notFound.code, notFound.stderr]).toEqual([1, expect.stringContaining('access_code_not_found')])
  expect([badKey.code, badKey.stderr]).toEqual([1, expect.stringContaining('unauthorized')])
  expect(missingOpt.code).toBe(2)
  expect(badUrl.code).toBe(2)
  expect([noKey.code, noKey.stderr]).toEqual([2, expect.stringContaining('no API key')])
  expect([down.code, down.stderr]).toEqual([3, expect.stringContaining('cannot reach the lockstep daemon')])
  // access_grants routes arrive with another part: until then a clear message, exit 1; after, success.
  if (grants.code !== 0) expect([grants.code, grants.stderr]).toEqual([1, expect.stringMatching(/does not serve that route|access_grants/)])
})

test('lab verbs: enter a code at a keypad, advance the clock, present a card', { timeout: 120_000 }, async () => {
  const created = await cli(['codes', 'create', '--device', 'Gym', '--code', '8642', '--json'])
  expect(created.code, created.stderr).toBe(0)
  const [enter, clock] = await Promise.all([
    cli(['lab', 'enter-code', '--device', 'Gym', '8642', '--json']),
    cli(['lab', 'clock', 'advance', '1m', '--json']),
  ])
  expect(enter.code, enter.stderr).toBe(0)
  expect(enter.json()).toHaveProperty('result')
  expect(clock.code, clock.stderr).toBe(0)
  expect(clock.json().clock.now).toMatch(/^\d{4}-\d\d-\d\dT/)

  const key = readFileSync(join(dataDir, 'lab-api-key'), 'utf8').trim()
  const auth = { authorization: `Bearer ${key}`, 'content-type': 'application/json' }
  const entrances = await (await fetch(lab.url + '/acs/entrances/list', { method: 'POST', headers: auth, body: '{}' })).json() as any
  const card = await (await fetch(lab.url + '/lab/cards/create', { method: 'POST', headers: auth, body: '{}' })).json() as any
  const present = await cli(['lab', 'present-card', '--entrance', entrances.acs_entrances[0].acs_entrance_id, '--card', card.card?.card_id ?? 'no-card', '--json'])
  if (card.ok) {
    expect(present.code, present.stderr).toBe(0)
    expect(present.json()).toHaveProperty('result')
  } else {
    // The simulated card locks come with another part; until then the lab says so, in words, exit 1.
    expect([present.code, present.stderr]).toEqual([1, expect.stringContaining(card.error.type)])
  }
})

test('lockstep backup (online, while the daemon runs) restores to the same state', { timeout: 120_000 }, async () => {
  const key = readFileSync(join(dataDir, 'lab-api-key'), 'utf8').trim()
  const seam = SeamHttp.fromApiKey(key, { endpoint: lab.url })
  const devices = await seam.devices.list()
  for (const [i, d] of devices.entries()) await seam.accessCodes.create({ device_id: d.device_id, code: `${716253 + i}`, name: `backup ${i}` })
  // Desired state (ids, devices, codes, names); status is the reconciler's and moves on its own.
  const snapshot = async (s: SeamHttp) => {
    const all = []
    for (const d of await s.devices.list()) all.push(...(await s.accessCodes.list({ device_id: d.device_id })).map((c) => [c.access_code_id, c.device_id, c.code, c.name]))
    return { devices: (await s.devices.list()).map((d) => d.device_id), codes: all }
  }
  const before = await snapshot(seam)

  const restoreDir = mkdtempSync(join(tmpdir(), 'lockstep-restore-'))
  try {
    const file = join(restoreDir, 'backup.db')
    const run = await cli(['backup', file, '--json'])
    expect(run.code, run.stderr).toBe(0)
    expect(run.json()).toMatchObject({ file, schema_version: expect.any(Number) })
    expect((await cli(['backup', file])).code).toBe(2) // refuses to overwrite without --force

    // Restore: the backup becomes the store of a fresh daemon.
    const restored = join(restoreDir, 'data')
    rmSync(restored, { recursive: true, force: true })
    const { mkdirSync } = await import('node:fs')
    mkdirSync(restored)
    copyFileSync(file, join(restored, 'lockstep.db'))
    const t = await startTestDaemon({ dataDir: restored })
    try {
      const after = await snapshot(SeamHttp.fromApiKey(t.apiKey, { endpoint: t.url }))
      expect(after).toEqual(before)
    } finally {
      await t.stop()
    }
  } finally {
    rmSync(restoreDir, { recursive: true, force: true })
  }
})

test('keys revoke from the CLI (another process) is refused by the running daemon on the next request', { timeout: 120_000 }, async () => {
  const created = await cli(['keys', 'create', '--name', 'pms-test'])
  expect(created.code, created.stderr).toBe(0)
  const key = created.stdout.trim()
  const id = /created key ([0-9a-f-]{36})/.exec(created.stderr)?.[1]
  expect(id, created.stderr).toBeTruthy()
  const devices = () => fetch(lab.url + '/devices/list', { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: '{}' })
  expect((await devices()).status).toBe(200)
  expect((await devices()).status).toBe(200) // now cached by the daemon

  const revoked = await cli(['keys', 'revoke', id!])
  expect(revoked.code, revoked.stderr).toBe(0)
  expect(revoked.stdout).toContain(`revoked ${id} (pms-test`)
  expect((await devices()).status).toBe(401)

  const again = await cli(['keys', 'revoke', id!])
  expect([again.code, again.stdout]).toEqual([0, expect.stringContaining('already revoked')])
  const unknown = await cli(['keys', 'revoke', '00000000-0000-4000-8000-00000000dead'])
  expect([unknown.code, unknown.stderr]).toEqual([1, expect.stringContaining('no API key with id 00000000-0000-4000-8000-00000000dead')])
})

test('a busy port (API or embedded broker) is one line naming the port and the variable, exit 2, and no key is generated', { timeout: 120_000 }, async () => {
  const { createServer } = await import('node:net')
  const busy = createServer()
  await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r))
  const port = String((busy.address() as { port: number }).port)
  const fresh = mkdtempSync(join(tmpdir(), 'lockstep-busy-'))
  try {
    const [http, mqtt] = await Promise.all([
      cli(['lab'], { LOCKSTEP_DATA_DIR: join(fresh, 'a'), LOCKSTEP_HTTP_PORT: port, LOCKSTEP_HTTP_HOST: '127.0.0.1', LOCKSTEP_MQTT_PORT: '0' }),
      cli(['lab'], { LOCKSTEP_DATA_DIR: join(fresh, 'b'), LOCKSTEP_HTTP_PORT: '0', LOCKSTEP_HTTP_HOST: '127.0.0.1', LOCKSTEP_MQTT_PORT: port }),
    ])
    for (const [run, variable] of [[http, 'LOCKSTEP_HTTP_PORT'], [mqtt, 'LOCKSTEP_MQTT_PORT']] as const) {
      expect(run.code, run.stdout + run.stderr).toBe(2)
      const lines = run.stderr.trim().split('\n')
      expect(lines).toEqual([expect.stringMatching(new RegExp(`^lockstep: .*port ${port} on 127\\.0\\.0\\.1 is already in use.*set ${variable}`))])
      expect(run.stdout).not.toMatch(/seam_|API key/)
    }
    // No key was generated for a daemon that never served.
    expect(existsSync(join(fresh, 'a', 'lab-api-key'))).toBe(false)
  } finally {
    busy.close()
    rmSync(fresh, { recursive: true, force: true })
  }
})

test('store verbs say which data dir they use (stderr, --json stays clean); keys list on an empty store says so; no store is never created', { timeout: 120_000 }, async () => {
  const listed = await cli(['keys', 'list', '--json'])
  expect(listed.code, listed.stderr).toBe(0)
  expect(listed.stderr).toContain(`lockstep: data dir ${dataDir} (LOCKSTEP_DATA_DIR)`)
  expect(listed.json().length).toBeGreaterThan(0)

  const empty = mkdtempSync(join(tmpdir(), 'lockstep-empty-'))
  try {
    const { Store } = await import('../../src/store/store.js')
    const { systemClock } = await import('../../src/kernel/clock.js')
    const { cryptoRandom } = await import('../../src/kernel/ids.js')
    Store.open(join(empty, 'lockstep.db'), systemClock, cryptoRandom).close()
    const none = await cli(['keys', 'list'], { LOCKSTEP_DATA_DIR: empty })
    expect([none.code, none.stdout]).toEqual([0, `no API keys in ${empty} (lockstep keys create makes one)\n`])
    expect((await cli(['keys', 'list', '--json'], { LOCKSTEP_DATA_DIR: empty })).json()).toEqual([])

    const nowhere = join(empty, 'nowhere')
    const missing = await cli(['keys', 'create', '--data-dir', nowhere])
    expect([missing.code, missing.stderr]).toEqual([2, expect.stringContaining(`no store at ${join(nowhere, 'lockstep.db')}`)])
    expect(missing.stderr).toContain(`data dir ${nowhere} (--data-dir)`)
    expect(existsSync(nowhere)).toBe(false)
  } finally {
    rmSync(empty, { recursive: true, force: true })
  }
  // Client verbs that read the lab key from the data dir say so too.
  const status = await cli(['status', '--json'])
  expect(status.stderr).toContain(`lockstep: API key from ${join(dataDir, 'lab-api-key')}`)
  expect(status.json()).toMatchObject({ ok: true })
})

test('Ctrl-C (SIGINT) stops the lab cleanly: exit 0, store closed (WAL checkpointed away), port released', { timeout: 120_000 }, async () => {
  const exited = new Promise<number | null>((r) => {
    lab.child.removeAllListeners('exit')
    lab.child.once('exit', (code) => r(code))
  })
  lab.child.kill('SIGINT')
  expect(await exited).toBe(0)
  expect(existsSync(join(dataDir, 'lockstep.db'))).toBe(true)
  expect(existsSync(join(dataDir, 'lockstep.db-wal'))).toBe(false)
  const down = await cli(['status'])
  expect(down.code).toBe(3)
})
