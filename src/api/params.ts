// Request parameters in both SDK styles: 2.x sends GET/DELETE parameters in the query string (Seam's
// serializer: repeated keys for arrays, `key=` for null or an empty array, dotted keys for objects,
// `_strict=true` appended) and POST/PATCH/PUT in JSON; 1.x sends nearly everything as POST JSON.
// The query is typed from the route's zod schema, never guessed from the text.
import type { z } from 'zod'
import { DomainError, type ValidationErrors } from '../domain/errors.js'

type Kind = 'array' | 'boolean' | 'number' | 'object' | 'scalar'

/** What a zod field expects, looking through optional/nullable/default/pipe wrappers. */
export function fieldKind(schema: z.ZodType): Kind {
  const def = unwrappedDef(schema)
  switch (def?.type) {
    case 'array': case 'tuple': return 'array'
    case 'boolean': return 'boolean'
    case 'number': case 'int': case 'bigint': return 'number'
    case 'object': case 'record': return 'object'
    case 'union': {
      const kinds = new Set<Kind>((def.options as z.ZodType[]).map(fieldKind))
      kinds.delete('scalar')
      return kinds.size === 1 ? [...kinds][0]! : 'scalar'
    }
    default: return 'scalar'
  }
}

/** The definition under optional/nullable/default/prefault/catch/readonly wrappers and a pipe's input. */
function unwrappedDef(schema: z.ZodType): any {
  let s: any = schema
  for (let i = 0; i < 20 && s; i++) {
    const def = s._zod?.def
    switch (def?.type) {
      case 'optional': case 'nullable': case 'default': case 'prefault': case 'catch': case 'readonly':
        s = def.innerType
        continue
      case 'pipe':
        s = def.in
        continue
      default:
        return def
    }
  }
  return undefined
}

function shapeOf(schema: z.ZodType): Record<string, z.ZodType> | undefined {
  let s: any = schema
  for (let i = 0; i < 20 && s; i++) {
    const def = s._zod?.def
    if (def?.type === 'object') return def.shape
    if (def?.type === 'pipe') s = def.in
    else if (def?.innerType) s = def.innerType
    else return undefined
  }
  return undefined
}

function queryError(field: string, message: string): DomainError {
  const validationErrors: ValidationErrors = { _errors: [], [field]: { _errors: [message] } }
  return new DomainError('invalid_input', `Invalid input: ${field}: ${message}`, 400, undefined, validationErrors)
}

/** Turns fastify's parsed query (string | string[] per key) into typed values for `schema`. */
export function parseQuery(raw: Record<string, unknown>, schema: z.ZodType): Record<string, unknown> {
  const shape = shapeOf(schema) ?? {}
  const out: Record<string, unknown> = {}
  const nested: Record<string, Record<string, unknown>> = {}
  for (const [key, value] of Object.entries(raw)) {
    if (key === '_strict') continue
    if (key.endsWith('[]')) throw queryError(key, 'bracket array syntax is not supported; repeat the key instead')
    const values = (Array.isArray(value) ? value : [value]).map(String)
    const dot = key.indexOf('.')
    if (dot > 0) {
      const [head, rest] = [key.slice(0, dot), key.slice(dot + 1)]
      if (values.length > 1) throw queryError(key, 'must not be repeated')
      ;(nested[head] ??= {})[rest] = coerceLoose(values[0]!)
      continue
    }
    const field = shape[key]
    const kind = field ? fieldKind(field) : 'scalar'
    if (kind === 'array') {
      const empties = values.filter((v) => v === '').length
      if (empties > 0 && empties < values.length) throw queryError(key, 'mixes empty and non-empty values')
      out[key] = empties ? [] : values
      continue
    }
    if (values.length > 1) throw queryError(key, 'must not be repeated')
    const v = values[0]!
    if (v === '') out[key] = null
    else if (kind === 'boolean') out[key] = v === 'true' ? true : v === 'false' ? false : v
    else if (kind === 'number') out[key] = /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v
    else out[key] = v
  }
  for (const [head, obj] of Object.entries(nested)) out[head] = obj
  return out
}

/** Values of dotted keys (custom_metadata_has.vip=true) keep booleans, as the serializer wrote them. */
function coerceLoose(v: string): unknown {
  return v === 'true' ? true : v === 'false' ? false : v
}

/** What a JSON value is, in the words an API user reads: "number", "null", "array", "a non-finite number". */
function jsonType(v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'array'
  if (typeof v === 'number' && !Number.isFinite(v)) return 'a number too large to represent'
  return typeof v
}

function valueAt(input: unknown, path: readonly PropertyKey[]): { found: boolean; value?: unknown } {
  let v: unknown = input
  for (const key of path) {
    if (v === null || typeof v !== 'object' || !Object.hasOwn(v, key as string)) return { found: false }
    v = (v as Record<PropertyKey, unknown>)[key]
  }
  return { found: true, value: v }
}

/** "expected string, got number" from the issue and the value that was sent (zod's own text says "Required" or guesses). */
function issueMessage(issue: z.core.$ZodIssue, input: unknown, haveInput: boolean): string {
  if (issue.code !== 'invalid_type') return issue.message
  // Without the input (a ZodError thrown elsewhere), zod's own words: "expected string, received number".
  if (!haveInput) return /received undefined$/.test(issue.message) ? 'Required' : issue.message.replace(/^Invalid input: /, '').replace('received', 'got')
  const sent = valueAt(input, issue.path)
  if (!sent.found || sent.value === undefined) return 'Required'
  const expected = issue.expected === 'int' ? 'integer' : issue.expected
  const got = jsonType(sent.value)
  // An int field given 1.5 is a number of the wrong kind: show the value itself.
  if (expected === 'integer' && got === 'number') return `expected integer, got ${String(sent.value)}`
  if (expected === 'number' && got !== 'number' && typeof sent.value === 'number') return `expected a finite number, got ${got}`
  return `expected ${expected}, got ${got}`
}

/** Zod issues → Seam's invalid_input envelope naming the field; `input` is what was parsed, to say what came. */
export function zodToDomain(error: z.ZodError, ...input: [unknown?]): DomainError {
  const validationErrors: ValidationErrors = { _errors: [] }
  const parts: string[] = []
  for (const issue of error.issues) {
    const field = issue.path.length ? issue.path.map(String).join('.') : ''
    const message = issueMessage(issue, input[0], input.length > 0)
    if (field) {
      const top = String(issue.path[0])
      const slot = (validationErrors[top] ??= { _errors: [] }) as { _errors: string[] }
      slot._errors.push(field === top ? message : `${field}: ${message}`)
    } else validationErrors._errors.push(message)
    parts.push(field ? `${field}: ${message}` : message)
  }
  return new DomainError('invalid_input', `Invalid input: ${parts.join('; ')}`, 400, undefined, validationErrors)
}

// C0 and C1 controls (NUL, newline, escape…), DEL, and the bidirectional embeddings, overrides and isolates
// that make a name display as something else than it is.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/u

/** Refuses control and bidi-override characters in any name parameter (`name`, `full_name`, `display_name`…), at any depth. */
export function refuseControlCharacters(params: unknown, path: string[] = []): void {
  if (params === null || typeof params !== 'object') return
  for (const [key, value] of Object.entries(params)) {
    const here = [...path, key]
    if (typeof value === 'string' && /name$/.test(key)) {
      const m = CONTROL.exec(value)
      if (m) {
        const field = here.join('.')
        const cp = 'U+' + m[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')
        const message = `must not contain control or bidirectional-override characters (found ${cp} at position ${m.index})`
        const validationErrors: ValidationErrors = { _errors: [], [here[0]!]: { _errors: [field === here[0] ? message : `${field}: ${message}`] } }
        throw new DomainError('invalid_input', `Invalid input: ${field}: ${message}`, 400, undefined, validationErrors)
      }
    } else if (value !== null && typeof value === 'object') refuseControlCharacters(value, here)
  }
}

/**
 * Keys of `value` that `schema` does not know, as dotted paths (`user_identity.nickname`,
 * `requested_access_methods.0.colour`). zod strips unknown keys; rule 11 refuses them instead. Objects
 * that declare a catchall (loose items) and records accept any key; unions are not walked.
 */
export function unknownKeys(schema: z.ZodType, value: unknown, path: string[] = []): string[] {
  const def = unwrappedDef(schema)
  switch (def?.type) {
    case 'object': {
      if (value === null || typeof value !== 'object' || Array.isArray(value) || def.catchall) return []
      const shape = def.shape as Record<string, z.ZodType>
      return Object.entries(value).flatMap(([k, v]) =>
        Object.hasOwn(shape, k) ? unknownKeys(shape[k]!, v, [...path, k]) : [[...path, k].join('.')])
    }
    case 'array':
      return Array.isArray(value) ? value.flatMap((v, i) => unknownKeys(def.element, v, [...path, String(i)])) : []
    default:
      return []
  }
}

/** The 400 for parameters a route does not know. */
export function unknownParamsError(paths: string[]): DomainError {
  const message = 'unknown parameter: not in Seam\'s API for this route nor a lockstep extension (see /openapi.json)'
  const validationErrors: ValidationErrors = { _errors: [] }
  for (const p of paths) {
    const top = p.split('.')[0]!
    // Own keys only: a parameter may be called `toString` or `__proto__`.
    if (!Object.hasOwn(validationErrors, top)) Object.defineProperty(validationErrors, top, { value: { _errors: [] }, enumerable: true, writable: true })
    ;(validationErrors[top] as { _errors: string[] })._errors.push(p === top ? message : `${p}: ${message}`)
  }
  return new DomainError('invalid_input', `Invalid input: ${paths.join(', ')}: ${message}`, 400, undefined, validationErrors)
}
