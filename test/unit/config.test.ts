import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { spawnSync } from 'node:child_process'
import { describe, expect, test } from 'vitest'
import { ConfigError, loadConfig } from '../../src/config.js'

const dir = mkdtempSync(join(tmpdir(), 'lockstep-config-'))
function file(content: unknown): string {
  const p = join(dir, `${Math.random().toString(36).slice(2)}.json`)
  writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content))
  return p
}

describe('configuration', () => {
  test('defaults and environment overrides', () => {
    const c = loadConfig({ mode: 'serve', path: file({}), env: { LOCKSTEP_HTTP_PORT: '4000', LOCKSTEP_HTTP_HOST: '127.0.0.2', LOCKSTEP_DATA_DIR: '/tmp/x', LOCKSTEP_MQTT_PORT: '1999' } })
    expect(c.http).toEqual({ host: '127.0.0.2', port: 4000 })
    expect(c.data_dir).toBe('/tmp/x')
    expect(c.mqtt.port).toBe(1999)
    expect(c.lab).toBe(false)
  })
  test('drift checks: a daily safety net, per-driver intervals for locks that report nothing, a typo refused by name', () => {
    const c = loadConfig({ mode: 'serve', path: file({}), env: {} })
    expect(c.reconcile.drift).toEqual({ reported_check_hours: 24, unreported_check_minutes: { zigbee2mqtt: 720, 'nuki-ble': 60, 'zwave-js': 60 } })
    const set = loadConfig({ mode: 'serve', path: file({ reconcile: { drift: { unreported_check_minutes: { 'nuki-ble': 30 } } } }), env: {} })
    expect(set.reconcile.drift.unreported_check_minutes).toEqual({ zigbee2mqtt: 720, 'nuki-ble': 30, 'zwave-js': 60 })
    expect(() => loadConfig({ mode: 'serve', path: file({ reconcile: { drift: { unreported_check_minutes: { nuki: 30 } } } }), env: {} })).toThrow(/reconcile\.drift\.unreported_check_minutes.*nuki|nuki/)
    expect(() => loadConfig({ mode: 'serve', path: file({ reconcile: { drift: { reported_check_hours: 0 } } }), env: {} })).toThrow(/reconcile\.drift\.reported_check_hours/)
    expect(loadConfig({ mode: 'lab', env: {} }).locks.find((l) => l.name === 'Gym')?.reports_code_changes).toBe(true)
  })
  test('the shipped configs are valid', () => {
    expect(loadConfig({ mode: 'lab', env: {} }).locks.length).toBeGreaterThan(0)
    expect(loadConfig({ mode: 'serve', env: {} }).locks).toEqual([])
  })
  test('errors name the field', () => {
    const cases: [unknown, RegExp][] = [
      [{ http: { port: 'x' } }, /http\.port/],
      [{ locks: [{ name: 'A' }] }, /locks\.0\.driver/],
      [{ bogus: 1 }, /bogus|Unrecognized/],
      ['{not json', /config .*:/],
    ]
    for (const [content, pattern] of cases) expect(() => loadConfig({ mode: 'serve', path: file(content), env: {} })).toThrow(pattern)
    expect(() => loadConfig({ mode: 'serve', path: file({}), env: { LOCKSTEP_API_KEY: 'abc' } })).toThrow(/LOCKSTEP_API_KEY/)
    expect(() => loadConfig({ mode: 'serve', path: file({}), env: { LOCKSTEP_API_KEY: 'seam_pk_1234567890' } })).toThrow(ConfigError)
    expect(() => loadConfig({ mode: 'serve', path: file({}), env: { LOCKSTEP_HTTP_PORT: '99999' } })).toThrow(/LOCKSTEP_HTTP_PORT/)
  })
  test('zwave_js: off by default; a ws:// URL; a zwave-js lock is addressed by its node id', () => {
    expect(loadConfig({ mode: 'serve', path: file({}), env: {} }).zwave_js).toEqual({ url: null })
    expect(loadConfig({ mode: 'serve', path: file({ zwave_js: { url: 'ws://127.0.0.1:3000' } }), env: {} }).zwave_js.url).toBe('ws://127.0.0.1:3000')
    expect(() => loadConfig({ mode: 'serve', path: file({ zwave_js: { url: 'http://127.0.0.1:3000' } }), env: {} })).toThrow(/zwave_js\.url/)
    const lock = { name: 'Side Gate', driver: 'zwave-js', manufacturer: 'Schlage', model: 'BE469', device_type: 'schlage_lock', slots: 30, code_length: [4, 8] }
    expect(loadConfig({ mode: 'serve', path: file({ locks: [{ ...lock, native_id: '5' }] }), env: {} }).locks[0]!.driver).toBe('zwave-js')
    expect(() => loadConfig({ mode: 'serve', path: file({ locks: [{ ...lock, native_id: 'Side Gate' }] }), env: {} })).toThrow(/locks\.0\.native_id: .*node id/)
  })
  test('a bad config ends the process with one line and exit status 2', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'serve'], {
      env: { ...process.env, LOCKSTEP_CONFIG: file({ http: { port: -1 } }) },
      encoding: 'utf8',
      timeout: 30_000,
    })
    expect(r.status).toBe(2)
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    expect(r.stderr).toMatch(/http\.port/)
  })
})
