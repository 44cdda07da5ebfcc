// The uplink's pure parts: which requests are mutations, the duplicate ledger, and the fleet config overrides.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { Answers, OUTCOME_UNKNOWN, type DurableAnswers } from '../../src/uplink/answers.js'
import { isMutation, type ApiResponse } from '../../src/uplink/wire.js'
import { siteOfTopic, siteTopics } from '../../src/uplink/topics.js'
import { ConfigError, loadConfig } from '../../src/config.js'

const ok = (body: string): ApiResponse => ({ status: 200, headers: {}, body })

function memoryDurable(): DurableAnswers & { rows: Map<string, ApiResponse | 'started'> } {
  const rows = new Map<string, ApiResponse | 'started'>()
  return { rows, recall: (id) => rows.get(id), markStarted: (id) => void rows.set(id, 'started'), remember: (id, a) => void rows.set(id, a) }
}

describe('uplink requests', () => {
  it('tells reads from mutations (Seam reads are POST …/list and …/get too)', () => {
    expect(isMutation({ method: 'POST', path: '/access_codes/create' })).toBe(true)
    expect(isMutation({ method: 'POST', path: '/access_codes/delete' })).toBe(true)
    expect(isMutation({ method: 'POST', path: '/access_codes/list' })).toBe(false)
    expect(isMutation({ method: 'GET', path: '/devices/get' })).toBe(false)
    expect(isMutation({ method: 'POST', path: '/acs/credentials/list_accessible_entrances' })).toBe(false)
  })

  it('runs a request id once; a duplicate while it runs waits for the same answer; one after is answered from memory', async () => {
    const answers = new Answers(null)
    let runs = 0
    let release!: () => void
    const gate = new Promise<void>((r) => (release = r))
    const first = answers.run('r1', true, async () => (runs++, await gate, ok('one')))
    const dup = answers.admit('r1', true)
    expect('running' in dup).toBe(true)
    release()
    expect(await first).toEqual(ok('one'))
    expect(await (dup as { running: Promise<ApiResponse> }).running).toEqual(ok('one'))
    expect(answers.admit('r1', true)).toEqual({ answer: ok('one') })
    expect(runs).toBe(1)
  })

  it('keeps mutation answers durably, reads only in memory; a start without an answer is "outcome unknown", not a second run', async () => {
    const durable = memoryDurable()
    await new Answers(durable).run('m', true, async () => ok('made'))
    await new Answers(durable).run('q', false, async () => ok('listed'))
    expect(durable.rows.get('m')).toEqual(ok('made'))
    expect(durable.rows.has('q')).toBe(false)
    // A new process (empty memory) answers the mutation from disk.
    expect(new Answers(durable).admit('m', true)).toEqual({ answer: ok('made') })
    // Killed between running and storing: the marker alone.
    durable.rows.set('k', 'started')
    expect(new Answers(durable).admit('k', true)).toEqual({ answer: OUTCOME_UNKNOWN })
    expect(OUTCOME_UNKNOWN.status).toBe(409)
  })

  it('forgets the oldest answers beyond its capacity', async () => {
    const answers = new Answers(null, 2)
    for (const id of ['a', 'b', 'c']) await answers.run(id, false, async () => ok(id))
    expect(answers.admit('a', false)).toEqual({ run: true })
    expect(answers.admit('c', false)).toEqual({ answer: ok('c') })
  })

  it('names topics and reads the site back', () => {
    expect(siteTopics('hotel-1').api).toBe('lockstep/v1/sites/hotel-1/api')
    expect(siteOfTopic('lockstep/v1/sites/hotel-1/status')).toBe('hotel-1')
    expect(siteOfTopic('lockstep/v1/gateways/x/responses')).toBeUndefined()
  })
})

describe('fleet config', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lockstep-fleet-config-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  let n = 0
  const file = (body: object) => {
    const p = join(dir, `c${n++}.json`)
    writeFileSync(p, JSON.stringify(body))
    return p
  }

  it('has no uplink unless asked; LOCKSTEP_UPLINK_URL and LOCKSTEP_SITE_ID make one, in lab mode too', () => {
    expect(loadConfig({ mode: 'serve', path: file({}), env: {} }).uplink).toBeNull()
    const c = loadConfig({ mode: 'lab', path: file({}), env: { LOCKSTEP_UPLINK_URL: 'mqtt://127.0.0.1:1883', LOCKSTEP_SITE_ID: 'lab-1', LOCKSTEP_UPLINK_PASSWORD: 'pw' } })
    expect(c.uplink).toMatchObject({ url: 'mqtt://127.0.0.1:1883', site_id: 'lab-1', password: 'pw', keepalive_seconds: 30, session_expiry_seconds: 604_800 })
  })

  it('lets the environment override the file, and refuses a bad site id or a session shorter than a day by name', () => {
    const p = file({ uplink: { url: 'mqtts://broker:8883', site_id: 'from-file' } })
    expect(loadConfig({ mode: 'serve', path: p, env: { LOCKSTEP_SITE_ID: 'from-env' } }).uplink?.site_id).toBe('from-env')
    expect(() => loadConfig({ mode: 'serve', path: p, env: { LOCKSTEP_SITE_ID: 'Bad/Site' } })).toThrow(/uplink\.site_id/)
    expect(() => loadConfig({ mode: 'serve', path: file({ uplink: { url: 'mqtt://b', site_id: 's', session_expiry_seconds: 60 } }), env: {} })).toThrow(ConfigError)
    expect(() => loadConfig({ mode: 'serve', path: file({ uplink: { url: 'http://b', site_id: 's' } }), env: {} })).toThrow(/uplink\.url/)
  })

  it('reads the gateway section with defaults', () => {
    const c = loadConfig({ mode: 'serve', path: file({ gateway: { key_sites: { seam_key_abcdef: 'site-b' } } }), env: {} })
    expect(c.gateway).toEqual({ timeout_ms: 15_000, operator_keys: [], key_sites: { seam_key_abcdef: 'site-b' } })
  })
})
