// Every command README shows, run against a lab daemon as written (`npx lockstep` is the CLI from the sources;
// <placeholders> are the ids earlier commands printed). Extraction is exhaustive: a fenced command that this
// file does not know fails the test, so a new example arrives with its run.
import { exec } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { SeamHttp } from '@seamapi/http'
import { startChildDaemon, stopGracefully, type ChildDaemon } from '../helpers/child-daemon.js'
import { startReceiver } from '../../testkit/webhook-receiver.js'
import { eventually } from '../helpers/eventually.js'

const ROOT = resolve(import.meta.dirname, '../..')
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
const scratch = mkdtempSync(join(tmpdir(), 'lockstep-readme-cli-'))
const dataDir = join(scratch, 'lab')
let lab: ChildDaemon
let seam: SeamHttp
const vars: Record<string, string> = { file: join(scratch, 'backup.db') }
const ran = new Set<string>()

/** Every line of every ```sh block, without its trailing comment. */
function fencedCommands(text: string): string[] {
  const out: string[] = []
  for (const m of text.matchAll(/^```(\w*)\n([\s\S]*?)^```/gm)) {
    expect(['sh', 'js'], `fence language of:\n${m[2]}`).toContain(m[1])
    if (m[1] !== 'sh') continue
    for (const line of m[2]!.split('\n')) {
      const cmd = line.replace(/\s+#\s.*$/, '').trim()
      if (cmd) out.push(cmd)
    }
  }
  return out
}

interface Run { code: number; stdout: string; stderr: string }

/** Runs one README line through the shell, `npx lockstep` being the CLI from the sources. */
function run(line: string, env: Record<string, string> = {}): Promise<Run> {
  ran.add(line)
  const filled = line.replace(/<(\w+)>/g, (_, name: string) => {
    const v = vars[name]
    if (v === undefined) throw new Error(`no value yet for <${name}> in: ${line}`)
    return `'${v}'`
  })
  const cmd = filled.replace(/^npx lockstep\b/, `'${process.execPath}' --import tsx src/cli.ts`)
  return new Promise((done) =>
    exec(cmd, { cwd: ROOT, timeout: 60_000, env: { ...process.env, LOCKSTEP_URL: lab.url, LOCKSTEP_DATA_DIR: dataDir, ...env } }, (err, stdout, stderr) =>
      done({ code: err ? Number(err.code ?? 99) : 0, stdout, stderr })),
  )
}

async function ok(line: string, env?: Record<string, string>): Promise<Run> {
  const r = await run(line, env)
  expect(r.code, `${line}\n${r.stderr}`).toBe(0)
  return r
}

// Lines not run by this test, each with the check that stands in for it.
const notRun: Record<string, () => void> = {
  // npm start is `lockstep lab`, which the daemon of this test is.
  'npm install && npm start': () => expect(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts.start).toBe('tsx src/cli.ts lab'),
  // The suite this test is part of.
  'npm test': () => expect(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts.test).toBeTruthy(),
  // No network in tests: the 2.x the command installs is the one lockstep's tests run on Node 20.
  'npm install @seamapi/http@2': () => expect(JSON.parse(readFileSync(join(ROOT, 'node_modules/@seamapi/http/package.json'), 'utf8')).version).toMatch(/^2\./),
}

beforeAll(async () => {
  delete process.env.LOCKSTEP_API_KEY
  lab = await startChildDaemon('lab', { LOCKSTEP_DATA_DIR: dataDir })
  ran.add('npx lockstep lab')
  seam = SeamHttp.fromApiKey(readFileSync(join(dataDir, 'lab-api-key'), 'utf8').trim(), { endpoint: lab.url })
}, 120_000)
afterAll(async () => {
  if (lab?.child.exitCode === null) await stopGracefully(lab)
  rmSync(scratch, { recursive: true, force: true })
})

test('the README commands run as written against the lab', { timeout: 300_000 }, async () => {
  // The lab banner, as `npx lockstep lab` promises.
  for (let i = 0; i < 200 && !lab.output().includes('Ctrl-C'); i++) await new Promise((r) => setTimeout(r, 50))
  expect(lab.output()).toMatch(/API key\s+seam_/)

  expect((await ok('npx lockstep status')).stdout).toContain('accepted')
  expect((await ok('npx lockstep devices')).stdout).toContain('Front Door')
  await ok('npx lockstep codes list --device "Front Door"')
  const created = await ok('npx lockstep codes create --device "Front Door" --code 4826 --name "Anna Smith"')
  vars.access_code_id = /created ([0-9a-f-]{36})/.exec(created.stdout)![1]!
  await ok('npx lockstep codes create --device "Back Door" --starts-at 2030-06-01T15:00:00Z --ends-at 2030-06-04T11:00:00Z')
  await ok('npx lockstep codes delete <access_code_id>')

  const grant = await ok('npx lockstep grants create --device "Front Door" --guest "Anna Smith" --mode code')
  vars.access_grant_id = /created access grant ([0-9a-f-]{36})/.exec(grant.stdout)![1]!
  const cardGrant = await ok('npx lockstep grants create --entrance "Room 101" --guest "Anna Smith" --mode card')
  const cardGrantId = /created access grant ([0-9a-f-]{36})/.exec(cardGrant.stdout)![1]!
  expect((await ok('npx lockstep grants list')).stdout).toContain(vars.access_grant_id)
  await ok('npx lockstep grants delete <access_grant_id>')

  // A PMS push: the guest is applied, the reservation waits for a space that does not exist yet; both are shown.
  vars.push_data_file = join(scratch, 'push.json')
  writeFileSync(vars.push_data_file, JSON.stringify({
    customer_key: 'readme', guests: [{ guest_key: 'readme-guest', name: 'Readme Guest' }],
    reservations: [{ reservation_key: 'readme-res', guest_key: 'readme-guest', space_keys: ['unit-later'], starts_at: '2031-01-01T15:00:00Z', ends_at: '2031-01-03T11:00:00Z' }],
  }))
  const pushed = (await ok('npx lockstep push-data <push_data_file>')).stdout
  expect(pushed).toMatch(/2 items \(1 applied, 1 waiting\)/)
  expect(pushed.split('\n')[2]).toMatch(/^waiting\s+reservations\s+readme-res\s+waiting for missing space keys: unit-later/) // problems first

  // A blank card on the encoder, then encode the card grant's method and read it back.
  const g = (await seam.accessGrants.get({ access_grant_id: cardGrantId })) as { access_method_ids: string[] }
  vars.access_method_id = g.access_method_ids[0]!
  const encoder = (await seam.acs.encoders.list()).find((e) => e.display_name === 'Front Desk Encoder')!
  const key = readFileSync(join(dataDir, 'lab-api-key'), 'utf8').trim()
  const post = async (path: string, body: object) =>
    (await (await fetch(lab.url + path, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) })).json()) as any
  vars.card_id = (await post('/lab/cards/create', {})).card.card_id
  expect((await post('/lab/encoders/place_card', { acs_encoder_id: encoder.acs_encoder_id, card_id: vars.card_id })).ok).toBe(true)
  await ok('npx lockstep encode <access_method_id> --encoder "Front Desk Encoder"')
  await ok('npx lockstep scan --encoder "Front Desk Encoder"')

  expect((await ok('npx lockstep lab enter-code --device Gym 1234')).stdout).toContain('entered 1234')
  expect((await ok('npx lockstep lab present-card --entrance "Room 101" --card <card_id>')).stdout).toContain('card presented')
  expect((await ok('npx lockstep lab clock advance 2h')).stdout).toContain('clock advanced by 7200 s')

  // Webhooks: an endpoint on loopback (allowed in the lab) gets a delivery; list, attempts and a re-send.
  const receiver = await startReceiver()
  try {
    const hook = await seam.webhooks.create({ url: receiver.url, event_types: ['access_code.created'] })
    vars.webhook_id = hook.webhook_id
    await seam.accessCodes.create({ device_id: (await seam.devices.get({ name: 'Back Door' })).device_id, name: 'Webhook Guest' })
    await eventually(() => expect(receiver.received.length).toBeGreaterThan(0), 20_000)
    vars.event_id = (JSON.parse(receiver.received[0]!.body) as { event_id: string }).event_id
    expect((await ok('npx lockstep webhooks list')).stdout).toContain(vars.webhook_id)
    expect((await ok('npx lockstep webhooks attempts <webhook_id>')).stdout).toContain(vars.event_id)
    await ok('npx lockstep webhooks resend <webhook_id> <event_id>')
    await eventually(() => expect(receiver.received.filter((r) => r.body.includes(vars.event_id!)).length).toBe(2), 20_000)
  } finally {
    await receiver.close()
  }

  // Keys and backup, on the lab's store.
  const key2 = await ok('npx lockstep keys create --name pms')
  vars.api_key_id = /created key ([0-9a-f-]{36})/.exec(key2.stderr)![1]!
  expect((await ok('npx lockstep keys list')).stdout).toContain('pms')
  expect((await ok('npx lockstep keys revoke <api_key_id>')).stdout).toContain(`revoked ${vars.api_key_id}`)
  await ok('npx lockstep backup <file>')
  expect(existsSync(vars.file!)).toBe(true)

  // A real site: `serve` from config/default.json, here with its own data dir and ports.
  const site = await startChildDaemon('serve', { LOCKSTEP_DATA_DIR: join(scratch, 'site'), LOCKSTEP_API_KEY: 'seam_readme_site_key_1' })
  ran.add('npx lockstep serve')
  try {
    expect(await (await fetch(site.url + '/health')).json()).toMatchObject({ ok: true, mode: 'site' })
  } finally {
    await stopGracefully(site)
  }

  for (const check of Object.values(notRun)) check()
  // Exhaustive: every fenced command was run here or has its stand-in check above, and nothing here is stale.
  const shown = fencedCommands(readme)
  expect(shown.filter((c) => !ran.has(c) && !(c in notRun)), 'README commands this test does not run').toEqual([])
  expect([...ran, ...Object.keys(notRun)].filter((c) => !shown.includes(c)), 'commands run here that README no longer shows').toEqual([])
})
