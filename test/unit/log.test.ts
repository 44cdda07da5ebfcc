import { Writable } from 'node:stream'
import { expect, test } from 'vitest'
import { createLogger } from '../../src/log.js'

test('PINs, API keys and card keys never reach the log', async () => {
  const lines: string[] = []
  const sink = new Writable({ write(chunk, _enc, cb) { lines.push(String(chunk)); cb() } })
  const log = createLogger('info', sink)
  log.info({ code: '4826', access_code: { code: '1357' }, pin_code: '2468', api_key: 'seam_lk_secret', headers: { authorization: 'Bearer seam_lk_secret' }, site_key: 'aabbcc', key_b: 'ffeedd' }, 'x')
  log.info({ req: { headers: { authorization: 'Bearer seam_lk_secret' } } }, 'y')
  await new Promise((r) => setImmediate(r))
  const all = lines.join('')
  for (const secret of ['4826', '1357', '2468', 'seam_lk_secret', 'aabbcc', 'ffeedd']) expect(all).not.toContain(secret)
  expect(all).toContain('[redacted]')
})
