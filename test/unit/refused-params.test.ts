// Rule 11 in the params layer: the refusal table and unknown keys, as pure functions.
import { describe, expect, test } from 'vitest'
import { z } from 'zod'
import { DomainError } from '../../src/domain/errors.js'
import { unknownKeys, unknownParamsError } from '../../src/api/params.js'
import { refuseUnsupported, refusalReason } from '../../src/api/refused-params.js'

describe('unknown keys', () => {
  const schema = z.object({
    name: z.string().optional(),
    who: z.object({ full_name: z.string() }).optional(),
    items: z.array(z.object({ mode: z.string() })).optional(),
    loose: z.object({ k: z.string() }).loose().optional(),
    meta: z.record(z.string(), z.string()).optional(),
  }).refine(() => true)
  test('are found at any depth, through refine, optional and arrays; loose objects and records take any key', () => {
    expect(unknownKeys(schema, { name: 'a', colour: 'red' })).toEqual(['colour'])
    expect(unknownKeys(schema, { who: { full_name: 'x', nick: 'y' }, items: [{ mode: 'code' }, { mode: 'card', x: 1 }] })).toEqual(['who.nick', 'items.1.x'])
    expect(unknownKeys(schema, { loose: { k: 'v', extra: 1 }, meta: { anything: 'goes' } })).toEqual([])
  })
  test('the error names each one, also keys such as toString or __proto__', () => {
    const err = unknownParamsError(['toString', 'who.nick'])
    expect(err.status).toBe(400)
    expect(Object.keys(err.validationErrors!)).toEqual(['_errors', 'toString', 'who'])
    expect((err.validationErrors as any).who._errors[0]).toMatch(/^who\.nick: unknown parameter/)
  })
})

describe('refused parameters', () => {
  test('a refusal without a value rule refuses any value, before parsing', () => {
    expect(() => refuseUnsupported('/devices/list', { connect_webview_id: 'x' })).toThrow(DomainError)
    expect(() => refuseUnsupported('/devices/list', { 'custom_metadata_has.vip': true })).toThrow(/custom_metadata_has/)
    expect(() => refuseUnsupported('/devices/list', { search: 'x' })).not.toThrow()
  })
  test('a value rule refuses only those parsed values', () => {
    expect(() => refuseUnsupported('/access_codes/create', { sync: false }, { sync: false })).not.toThrow()
    expect(() => refuseUnsupported('/access_codes/create', { sync: true })).not.toThrow() // not parsed yet
    const err = (() => { try { refuseUnsupported('/access_codes/create', { sync: true }, { sync: true }) } catch (e) { return e as DomainError } })()!
    expect(err.type).toBe('invalid_input')
    expect((err.validationErrors as any).sync._errors[0]).toMatch(/^not supported by lockstep: /)
    expect(refusalReason('/access_codes/create', 'sync')).toMatchObject({ conditional: true })
    expect(refusalReason('/access_codes/create', 'name')).toBeUndefined()
  })
})
