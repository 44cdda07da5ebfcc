// The simulator's state file: written atomically when something changed, never when nothing did, and read
// back with its buffers (a door's stamp tags) intact.
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { emptySimState, loadSimState, SimStateFile, type SimState } from '../../src/lab/sim-state.js'
import { installState } from '../../simulators/offline-lock/decide.js'

let dir: string
afterEach(() => rmSync(dir, { recursive: true, force: true }))
const fresh = () => (dir = mkdtempSync(join(tmpdir(), 'sim-state-')))

describe('SimStateFile', () => {
  it('writes on a change only: an idle property writes nothing', () => {
    const path = join(fresh(), 'state.json')
    let state: SimState = emptySimState()
    const file = new SimStateFile(path, () => state, 60_000)
    file.start(undefined)
    file.flush()
    expect(file.writes).toBe(1)
    file.flush()
    file.flush()
    expect(file.writes).toBe(1)
    state = { ...state, zigbee: { 'Front Door': [{ slot: 3, code: '1357' }] } }
    file.flush()
    expect(file.writes).toBe(2)
    file.stop()
    expect(file.writes).toBe(2)
    expect(statSync(path).mode & 0o777).toBe(0o600)
    expect(JSON.parse(readFileSync(path, 'utf8')).zigbee).toEqual({ 'Front Door': [{ slot: 3, code: '1357' }] })
  })

  it('a restart that changes nothing writes nothing; stamp tags come back as buffers', () => {
    const path = join(fresh(), 'state.json')
    const lock = installState()
    lock.slots.guest = { stamp: { time: 1_800_000_000, seq: 4 }, tag: Buffer.from('0102030405060708', 'hex') }
    const saved: SimState = { ...emptySimState(), entrances: { 'Room 101': { state: lock, audit: [] } }, encoders: { Desk: { card: null } } }
    const first = new SimStateFile(path, () => saved, 60_000)
    first.start(undefined)
    first.stop()
    const loaded = loadSimState(path)
    expect(loaded.existed).toBe(true)
    const tag = loaded.state.entrances['Room 101']!.state.slots.guest.tag
    expect(Buffer.isBuffer(tag) && tag.toString('hex')).toBe('0102030405060708')
    const again = new SimStateFile(path, () => loaded.state, 60_000)
    again.start(loaded.state)
    again.stop()
    expect(again.writes).toBe(0)
  })

  it('refuses a file that is not its own instead of overwriting it', () => {
    const path = join(fresh(), 'state.json')
    writeFileSync(path, '{"hello":1}')
    expect(() => loadSimState(path)).toThrow(/not a lockstep simulate state/)
    writeFileSync(path, 'nope')
    expect(() => loadSimState(path)).toThrow(/is not JSON/)
    expect(loadSimState(join(dir, 'missing.json')).existed).toBe(false)
  })
})
