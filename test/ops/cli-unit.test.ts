// Pure pieces of the operator surface: banner layout, durations, how the CLI finds daemon and key.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { renderBanner } from '../../src/banner.js'
import { parseDuration } from '../../src/cli/verbs.js'
import { CliError, resolveTarget } from '../../src/cli/client.js'
import { table } from '../../src/cli/output.js'
import { chooseDataDir } from '../../src/cli/data-dir.js'

describe('banner', () => {
  test('shows URLs, key and every section, empty ones with their note', () => {
    const text = renderBanner({
      title: 'lockstep lab', apiUrl: 'http://127.0.0.1:3590', consoleUrl: 'http://127.0.0.1:3590/', apiKey: 'seam_lk_x', apiKeySource: 'from file', dataDir: '/d',
      sections: [
        { title: 'Locks (2)', rows: [['Front Door', 'id-1', 'online'], ['Gym', 'id-22', 'offline']] },
        { title: 'Encoders', rows: [], empty: 'none configured' },
      ],
    })
    expect(text).toContain('API      http://127.0.0.1:3590')
    expect(text).toContain('Console  http://127.0.0.1:3590/')
    expect(text).toContain('API key  seam_lk_x  (from file)')
    expect(text).toMatch(/Front Door  id-1   online\n\s+Gym         id-22  offline/)
    expect(text).toContain('none configured')
    expect(text).toContain('Ctrl-C')
  })
})

describe('cli', () => {
  test('durations', () => {
    expect(parseDuration('90')).toBe(90)
    expect(parseDuration('15m')).toBe(900)
    expect(parseDuration('2h')).toBe(7200)
    expect(parseDuration('1.5d')).toBe(129600)
    expect(() => parseDuration('soon')).toThrow(CliError)
  })

  test('target: flags over environment over defaults; the lab key file last', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lockstep-unit-'))
    writeFileSync(join(dir, 'lab-api-key'), 'seam_lk_fromfile\n')
    expect(resolveTarget({}, { LOCKSTEP_DATA_DIR: dir })).toEqual({ url: 'http://127.0.0.1:3590', apiKey: 'seam_lk_fromfile', keyFile: join(dir, 'lab-api-key') })
    expect(resolveTarget({}, { LOCKSTEP_DATA_DIR: dir, LOCKSTEP_URL: 'http://box:1/', LOCKSTEP_API_KEY: 'seam_env_key' })).toEqual({ url: 'http://box:1', apiKey: 'seam_env_key' })
    expect(resolveTarget({ url: 'http://flag:2', apiKey: 'seam_flag_key' }, { LOCKSTEP_URL: 'http://box:1', LOCKSTEP_API_KEY: 'seam_env_key' })).toEqual({ url: 'http://flag:2', apiKey: 'seam_flag_key' })
    const noKey = (() => { try { resolveTarget({}, { LOCKSTEP_DATA_DIR: join(dir, 'missing') }) } catch (e) { return e } })() as CliError
    expect(noKey.exitCode).toBe(2)
  })

  test('tables pad columns and show missing values as a dash', () => {
    expect(table(['A', 'BB'], [['x', null], ['long', 'y']])).toBe('A     BB\nx     —\nlong  y')
  })

  test('data dir for store verbs: --data-dir, LOCKSTEP_DATA_DIR, --config / LOCKSTEP_CONFIG, the lab store in a checkout, the site default', () => {
    const cwd = process.cwd()
    const dir = mkdtempSync(join(tmpdir(), 'lockstep-dirs-'))
    const config = join(dir, 'site.json')
    writeFileSync(config, JSON.stringify({ data_dir: join(dir, 'site-data') }))
    try {
      process.chdir(dir)
      expect(chooseDataDir({ dataDir: 'x' }, { LOCKSTEP_DATA_DIR: '/e' })).toEqual({ dir: join(dir, 'x'), source: '--data-dir' })
      expect(chooseDataDir({ config }, { LOCKSTEP_DATA_DIR: '/e' })).toEqual({ dir: '/e', source: 'LOCKSTEP_DATA_DIR' })
      expect(chooseDataDir({ config }, {})).toEqual({ dir: join(dir, 'site-data'), source: `data_dir of ${config}` })
      expect(chooseDataDir({}, { LOCKSTEP_CONFIG: config }).dir).toBe(join(dir, 'site-data'))
      // No lab store here: a real site's default, and the line says why.
      expect(chooseDataDir({}, {})).toEqual({ dir: '/var/lib/lockstep', source: expect.stringContaining('no lab store in ./data/lab') })
      // In a checkout where the lab has run (what npm start uses), its data dir.
      mkdirSync(join(dir, 'data/lab'), { recursive: true })
      writeFileSync(join(dir, 'data/lab/lockstep.db'), '')
      expect(chooseDataDir({}, {})).toEqual({ dir: join(dir, 'data/lab'), source: "the lab's data dir (what npm start uses)" })
    } finally {
      process.chdir(cwd)
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
