// `lockstep simulate` as its own process: a serve-mode daemon runs the simulated property as a real site
// (MQTT locks, a PN532 on a PTY, card locks), the devices outlive a kill -9 of the daemon, and stopping
// and starting the simulator keeps what the devices held (state file) unless --fresh is asked for.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { SeamHttp } from '@seamapi/http'
import { startServeDaemon, startSimulator, type DaemonChild, type SimulatorChild } from '../../testkit/processes.js'
import { eventually } from '../helpers/eventually.js'
import { skipSystemTier } from '../helpers/socat.js'

const KEY = 'seam_test_simulate_000001'
const HOUR = 3_600_000
const WAIT = { waitForActionAttempt: { pollingInterval: 100, timeout: 20_000 } } as const

describe.skipIf(skipSystemTier)('lockstep simulate, with a serve-mode daemon', () => {
  let dir: string
  let config: string
  let sim: SimulatorChild
  let daemon: DaemonChild
  let seam: SeamHttp
  let front: string
  let codeId: string
  let card: string
  let room: string
  const simOpts = () => ({ dir, config, dataDir: join(dir, 'daemon') })
  const slots = async () => ((await sim.lab('locks/slots', { name: 'Front Door' })).slots as { code: string | null }[]).flatMap((s) => (s.code ? [s.code] : []))

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lockstep-simulate-'))
    config = join(dir, 'lab.json')
    writeFileSync(config, JSON.stringify({
      site: { name: 'simulated site' },
      reconcile: { resync_seconds: 2, concurrency: 4 },
      log_level: 'warn',
      locks: [
        { name: 'Front Door', driver: 'zigbee2mqtt', native_id: 'Front Door', manufacturer: 'Yale', model: 'YRD256HA20BP', device_type: 'yale_lock', slots: 20, code_length: [4, 8] },
        { name: 'Office', driver: 'nuki-ble', native_id: '0FF1CE01', manufacturer: 'Nuki', model: 'Smart Lock 3.0 Pro', device_type: 'nuki_lock', slots: 100, code_length: [6, 6] },
      ],
      entrances: [{ name: 'Room 101' }],
      encoders: [{ name: 'Desk' }],
    }))
    sim = await startSimulator({ ...simOpts(), fresh: true })
    daemon = await startServeDaemon(sim.siteConfig, { LOCKSTEP_API_KEY: KEY })
    seam = SeamHttp.fromApiKey(KEY, { endpoint: daemon.url })
    front = (await seam.devices.list()).find((d) => d.display_name === 'Front Door')!.device_id
  })
  afterAll(async () => {
    await daemon?.stop()
    await sim?.stop()
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  test('says what it plays and where, and what it cannot (Nuki over BLE)', () => {
    const out = sim.output()
    expect(out).toMatch(/MQTT broker mqtt:\/\/127\.0\.0\.1:\d+ \(embedded\)/)
    expect(out).toMatch(/encoder "Desk" on serial \S+encoder-1\.tty \(socat PTY pair, pid \d+\)/)
    expect(out).toMatch(/skipped Nuki lock "Office": Bluetooth LE does not cross processes/)
    // The daemon's config names no lock the simulator does not play.
    expect(sim.encoders.get('Desk')).toBe(join(dir, 'encoder-1.tty'))
  })

  test('codes reach the lock over MQTT and a card encoded over the PTY opens the door', async () => {
    const c = await seam.accessCodes.create({ device_id: front, code: '482913', name: 'Guest' })
    codeId = c.access_code_id
    await eventually(async () => expect((await seam.accessCodes.get({ access_code_id: codeId })).status).toBe('set'), 20_000, 100)
    expect(await slots()).toEqual(['482913'])

    const entrance = (await seam.acs.entrances.list())[0]!
    room = entrance.acs_entrance_id
    const encoder = (await seam.acs.encoders.list())[0]!
    const user = await seam.userIdentities.create({ full_name: 'Simulated Guest', email_address: `sim-${Date.now()}@example.com` })
    const grant = await seam.accessGrants.create({
      user_identity_id: user.user_identity_id, acs_entrance_ids: [room], requested_access_methods: [{ mode: 'card' }],
      starts_at: new Date(Date.now() - HOUR).toISOString(), ends_at: new Date(Date.now() + 24 * HOUR).toISOString(), reservation_key: `sim-${Date.now()}`,
    })
    const method = (await seam.accessMethods.list({ access_grant_id: grant.access_grant_id })).find((m) => m.mode === 'card')!
    card = (await sim.lab('cards/create')).card.card_id
    await sim.lab('encoders/place_card', { acs_encoder_id: encoder.acs_encoder_id, card_id: card })
    const attempt = await seam.accessMethods.encode({ access_method_id: method.access_method_id, acs_encoder_id: encoder.acs_encoder_id }, WAIT)
    expect(attempt.status).toBe('success')
    await sim.lab('encoders/remove_card', { name: 'Desk' })
    expect((await sim.lab('entrances/present_card', { acs_entrance_id: room, card_id: card })).result).toMatchObject({ granted: true, mode: 'override' })
  }, 60_000)

  test('kill -9 of the daemon: the lock kept its code, and the restarted daemon finds it as it left it', async () => {
    await daemon.kill()
    expect(await slots()).toEqual(['482913'])
    daemon = await startServeDaemon(sim.siteConfig, { LOCKSTEP_API_KEY: KEY })
    seam = SeamHttp.fromApiKey(KEY, { endpoint: daemon.url })
    await eventually(async () => expect((await seam.devices.get({ device_id: front })).properties.online).toBe(true), 20_000, 100)
    const c = await seam.accessCodes.get({ access_code_id: codeId })
    expect(c).toMatchObject({ status: 'set', errors: [] })
    expect(c.warnings.map((w) => w.warning_code)).not.toContain('code_modified_external_to_seam')
  }, 60_000)

  test('a simulator restart keeps slots, cards and door stamps (and writes nothing for it); --fresh forgets them', async () => {
    await sim.stop()
    sim = await startSimulator(simOpts())
    expect(sim.output()).toMatch(/state restored from/)
    expect(await slots()).toEqual(['482913'])
    // Restoring is not a change: the state file is not rewritten (the daemon's reads change nothing either).
    await eventually(async () => expect((await seam.accessCodes.get({ access_code_id: codeId })).status).toBe('set'))
    expect((await sim.lab('status')).simulation.state_writes).toBe(0)
    expect((await sim.lab('entrances/present_card', { acs_entrance_id: room, card_id: card })).result).toMatchObject({ granted: true })
    // The door's audit survived the restart: the entry from before and the one from now.
    expect((await sim.lab('entrances/audit_log', { acs_entrance_id: room })).audit_log).toHaveLength(2)
    await sim.stop()
    sim = await startSimulator({ ...simOpts(), fresh: true })
    expect(await slots()).toEqual([])
    await expect(sim.lab('cards/get', { card_id: card })).rejects.toThrow(/lab_invalid_request/)
  }, 60_000)
})
