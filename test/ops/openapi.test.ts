// /openapi.json is generated from the routes' own zod schemas: every served route is in it, every path in
// it answers (not route_not_found), and parameters match the schemas the routes parse with.
import { afterAll, beforeAll, expect, test } from 'vitest'
import { registeredRoutes } from '../../src/api/route.js'
import { servedRoutes } from '../../src/api/openapi.js'
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js'

let t: TestDaemon
let doc: any
beforeAll(async () => {
  t = await startTestDaemon()
  const res = await fetch(t.url + '/openapi.json') // open: no key
  expect(res.status).toBe(200)
  doc = await res.json()
})
afterAll(async () => t?.stop())

test('the document is OpenAPI 3.1 with bearer auth', () => {
  expect(doc.openapi).toBe('3.1.0')
  expect(doc.components.securitySchemes.api_key).toMatchObject({ type: 'http', scheme: 'bearer' })
  expect(Object.keys(doc.paths).length).toBeGreaterThan(15)
})

test('every route fastify serves is in the document, with each of its methods', () => {
  const served = servedRoutes(t.daemon.app).filter((r) => r.method !== 'HEAD' && r.method !== 'OPTIONS')
  expect(served.length).toBeGreaterThan(20)
  const missing = served.filter((r) => !doc.paths[r.url]?.[r.method.toLowerCase()]).map((r) => `${r.method} ${r.url}`)
  expect(missing).toEqual([])
})

test('every Seam route answers POST and its semantic verb, with parameters from its zod schema', () => {
  for (const r of registeredRoutes(t.daemon.app)) {
    const entry = doc.paths[r.path]
    expect(entry.post.requestBody.content['application/json'].schema.type).toBe('object')
    for (const verb of r.methods) expect(entry[verb.toLowerCase()], `${verb} ${r.path}`).toBeDefined()
  }
  const create = doc.paths['/access_codes/create'].post.requestBody.content['application/json'].schema
  expect(create.required).toContain('device_id')
  expect(create.properties.code).toBeDefined()
  const get = doc.paths['/access_codes/get'].get.parameters.map((p: any) => p.name)
  expect(get).toEqual(expect.arrayContaining(['access_code_id', 'device_id', 'code']))
})

test('every path in the document answers (never route_not_found)', async () => {
  const failures: string[] = []
  for (const [path, ops] of Object.entries<Record<string, unknown>>(doc.paths)) {
    for (const method of Object.keys(ops)) {
      const body = method === 'get' || method === 'delete' ? undefined : '{}'
      const res = await fetch(t.url + path, {
        method: method.toUpperCase(),
        headers: { authorization: `Bearer ${t.apiKey}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        body,
      })
      const text = await res.text()
      if (res.status === 404 && text.includes('route_not_found')) failures.push(`${method} ${path}`)
      if (res.status >= 500) failures.push(`${method} ${path}: ${res.status}`)
    }
  }
  expect(failures).toEqual([])
})

test('lists only what is implemented: no refused parameter, value refusals described', () => {
  const devices = doc.paths['/devices/list'].post.requestBody.content['application/json'].schema.properties
  expect(devices.connect_webview_id).toBeUndefined()
  expect(devices.custom_metadata_has).toBeUndefined()
  expect(devices.customer_key).toBeDefined()
  const create = doc.paths['/access_codes/create'].post.requestBody.content['application/json'].schema.properties
  expect(create.use_backup_access_code_pool).toBeUndefined()
  expect(create.sync.description).toMatch(/^Refused with a 400 for true/)
})
