// A route added to the API some other way than addRoute (a plugin's plain app.get) never answers a client
// session: the server refuses it (403) unless someone classified and guarded it; an API key still gets it.
import { afterAll, expect, test } from 'vitest'
import { buildApi } from '../../src/api/server.js'
import { createUseCases } from '../../src/app/index.js'
import { ManualClock } from '../../src/kernel/clock.js'
import { seededRandom } from '../../src/kernel/ids.js'
import { createLogger } from '../../src/log.js'
import { Store } from '../../src/store/store.js'

const store = Store.open(':memory:', new ManualClock(Date.parse('2026-01-01T00:00:00Z')), seededRandom('deny'))
const useCases = createUseCases(store, { log: createLogger('silent') })
const app = buildApi({
  useCases,
  log: createLogger('silent'),
  plugins: [async (a) => void a.get('/plain/secret', async () => ({ secret: 'for API keys', ok: true }))],
})
afterAll(async () => {
  await app.close()
  useCases.close()
  store.close()
})

test('a plain route refuses a client session token and serves an API key', async () => {
  const { key } = useCases.keys.create('test')
  const session = useCases.clientSessions.create({ userIdentifierKey: 'u1' })
  const asSession = await app.inject({ method: 'GET', url: '/plain/secret', headers: { authorization: `Bearer ${session.token}` } })
  expect([asSession.statusCode, asSession.json().error.type]).toEqual([403, 'forbidden'])
  expect(asSession.body).not.toContain('for API keys')
  const asKey = await app.inject({ method: 'GET', url: '/plain/secret', headers: { authorization: `Bearer ${key}` } })
  expect(asKey.json()).toEqual({ secret: 'for API keys', ok: true })
  // An unknown path stays a plain 404 for a session, as for a key.
  const missing = await app.inject({ method: 'GET', url: '/nowhere', headers: { 'client-session-token': session.token } })
  expect([missing.statusCode, missing.json().error.type]).toEqual([404, 'route_not_found'])
})
