// The fias config section (LOCKSTEP_FIAS_URL, the lab's port 0) and FIAS local dates and times.
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadConfig } from '../../../src/config.js'
import { fiasClock, fiasDate, parseDepartureTime, parseFiasDate, zonedInstant } from '../../../src/fias/fias-time.js'

const dir = mkdtempSync(join(tmpdir(), 'lockstep-fias-config-'))
const file = (content: unknown) => {
  const p = join(dir, `${Math.random().toString(36).slice(2)}.json`)
  writeFileSync(p, JSON.stringify(content))
  return p
}

describe('fias config', () => {
  it('the lab maps rooms 101-103 and KC 1, on the lab PMS (port 0); LOCKSTEP_FIAS_URL points elsewhere', () => {
    const lab = loadConfig({ mode: 'lab', env: {} })
    expect(lab.fias).toMatchObject({ url: 'tcp://127.0.0.1:0', encoders: { '1': 'Front Desk Encoder' }, rooms: { '101': 'Room 101', '102': 'Room 102', '103': 'Room 103' }, code_page: 'cp850' })
    expect(loadConfig({ mode: 'lab', env: { LOCKSTEP_FIAS_URL: 'tcp://10.0.0.5:5010' } }).fias?.url).toBe('tcp://10.0.0.5:5010')
    // A site without a fias section: the variable alone turns FIAS on, other keys at their defaults.
    const site = loadConfig({ mode: 'serve', path: file({}), env: { LOCKSTEP_FIAS_URL: 'tcp://ifc8:5010' } })
    expect(site.fias).toMatchObject({ url: 'tcp://ifc8:5010', code_page: 'cp850', departure_time_default: '12:00', answer_timeout_seconds: 10, time_zone: 'UTC' })
    expect(loadConfig({ mode: 'serve', path: file({}), env: {} }).fias).toBeNull()
  })

  it('refuses bad values by name, and the lab port outside the lab', () => {
    const bad = (fias: unknown, re: RegExp) => expect(() => loadConfig({ mode: 'serve', path: file({ fias }), env: {} })).toThrow(re)
    bad({ url: 'http://x:1' }, /fias\.url: must be tcp:\/\/host:port/)
    bad({ url: 'tcp://x:1', code_page: 'utf8' }, /fias\.code_page/)
    bad({ url: 'tcp://x:1', time_zone: 'Mars/Olympus' }, /fias\.time_zone: unknown time zone/)
    bad({ url: 'tcp://x:1', departure_time_default: '25:00' }, /fias\.departure_time_default/)
    bad({ url: 'tcp://x:1', encoders: { 'toolongkc1': 'E' } }, /fias\.encoders/)
    bad({ url: 'tcp://x:0' }, /fias\.url: port 0 \(the lab PMS\) only in lab mode/)
  })
})

describe('FIAS dates and times', () => {
  it('parses YYMMDD (pivot 70), HH:MM and HHMM, and refuses impossible ones', () => {
    expect(parseFiasDate('251205')).toBe('2025-12-05')
    expect(parseFiasDate('991230')).toBe('1999-12-30')
    expect(parseFiasDate('240229')).toBe('2024-02-29')
    expect(parseFiasDate('250229')).toBeNull()
    expect(parseFiasDate('2512')).toBeNull()
    expect(parseDepartureTime('12:00')).toBe('12:00')
    expect(parseDepartureTime('1130')).toBe('11:30')
    expect(parseDepartureTime('24:00')).toBeNull()
  })

  it('formats and reads local wall time in the property zone, across a DST change', () => {
    const t = Date.parse('2026-03-29T00:30:00Z') // Berlin 01:30 CET; DST starts at 02:00 local
    expect(fiasDate(t, 'Europe/Berlin')).toBe('260329')
    expect(fiasClock(t, 'Europe/Berlin')).toBe('013000')
    expect(new Date(zonedInstant('2026-03-29', '11:00', 'Europe/Berlin')).toISOString()).toBe('2026-03-29T09:00:00.000Z')
    expect(new Date(zonedInstant('2026-03-28', '11:00', 'Europe/Berlin')).toISOString()).toBe('2026-03-28T10:00:00.000Z')
    expect(new Date(zonedInstant('2025-12-05', '12:00', 'UTC')).toISOString()).toBe('2025-12-05T12:00:00.000Z')
  })
})
