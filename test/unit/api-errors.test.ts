import { describe, expect, test } from 'vitest'
import { z } from 'zod'
import { envelope, toDomainError } from '../../src/api/errors.js'
import { paginate } from '../../src/api/pagination.js'
import { parseQuery } from '../../src/api/params.js'
import { DomainError, notFound } from '../../src/domain/errors.js'

describe('error mapping to Seam envelopes', () => {
  test('domain errors keep type, status and message', () => {
    const e = toDomainError(notFound('access_code', 'x'))
    expect(e.status).toBe(404)
    expect(envelope(e, 'req-1')).toEqual({ error: { type: 'access_code_not_found', message: 'Access code not found: x', request_id: 'req-1' }, ok: false })
  })
  test('zod errors become invalid_input with validation_errors per field', () => {
    const parsed = z.object({ device_id: z.uuid(), name: z.string() }).safeParse({ device_id: 'nope' })
    const e = toDomainError(parsed.error)
    expect(e.type).toBe('invalid_input')
    expect(e.status).toBe(400)
    expect(Object.keys(e.validationErrors!)).toEqual(['_errors', 'device_id', 'name'])
    expect((e.validationErrors!.name as { _errors: string[] })._errors).toEqual(['Required'])
  })
  test('unknown errors are a 500 that reveals nothing', () => {
    const e = toDomainError(new Error('SQLITE_CORRUPT secret path'))
    expect(e.status).toBe(500)
    expect(e.message).not.toContain('SQLITE')
  })
  test('bad JSON and wrong content type are 400s', () => {
    expect(toDomainError({ code: 'LOCKSTEP_BAD_JSON' }).status).toBe(400)
    expect(toDomainError({ code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE' }).type).toBe('invalid_content_type')
  })
})

describe('query parsing follows the route schema (Seam serializer rules)', () => {
  const schema = z.object({ device_ids: z.array(z.string()).optional(), limit: z.int().optional(), flag: z.boolean().optional(), name: z.string().nullish() })
  test('repeated keys, empty arrays, null scalars, numbers and booleans', () => {
    expect(parseQuery({ device_ids: ['a', 'b'], limit: '5', flag: 'true', name: '', _strict: 'true' }, schema)).toEqual({ device_ids: ['a', 'b'], limit: 5, flag: true, name: null })
    expect(parseQuery({ device_ids: 'a' }, schema)).toEqual({ device_ids: ['a'] })
    expect(parseQuery({ device_ids: '' }, schema)).toEqual({ device_ids: [] })
  })
  test('dotted keys become objects; brackets, repeated scalars and mixed arrays are errors', () => {
    expect(parseQuery({ 'custom_metadata_has.vip': 'true', 'custom_metadata_has.unit': '12' }, schema)).toEqual({ custom_metadata_has: { vip: true, unit: '12' } })
    expect(() => parseQuery({ 'device_ids[]': 'a' }, schema)).toThrow(DomainError)
    expect(() => parseQuery({ limit: ['1', '2'] }, schema)).toThrow(/must not be repeated/)
    expect(() => parseQuery({ device_ids: ['', 'a'] }, schema)).toThrow(/mixes empty/)
  })
})

describe('pagination cursors', () => {
  const items = Array.from({ length: 7 }, (_, i) => ({ seq: i * 2 + 1 }))
  test('walks every item once and stops', () => {
    const seen: number[] = []
    let cursor: string | null = null
    do {
      const { page, pagination }: { page: { seq: number }[]; pagination: { next_page_cursor: string | null } } = paginate(items, { device_id: 'd', limit: 3, page_cursor: cursor }, 500)
      seen.push(...page.map((i) => i.seq))
      cursor = pagination.next_page_cursor
    } while (cursor)
    expect(seen).toEqual(items.map((i) => i.seq))
  })
  test('a cursor used with other parameters is refused', () => {
    const first = paginate(items, { device_id: 'd', limit: 3 }, 500)
    expect(() => paginate(items, { device_id: 'other', limit: 3, page_cursor: first.pagination.next_page_cursor }, 500)).toThrow(/different parameters/)
    expect(() => paginate(items, { device_id: 'd', page_cursor: 'garbage' }, 500)).toThrow(/cursor/)
  })
})
