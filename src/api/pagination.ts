// Cursor pagination as the SDK's paginator expects: the next page is the same request plus page_cursor.
// The cursor is opaque: a hash of the other parameters (so it cannot be reused with different filters)
// and the position (`seq`) of the last item served, so inserts between pages never shift or repeat items.
import { createHash } from 'node:crypto'
import { DomainError } from '../domain/errors.js'

export interface Pagination {
  has_next_page: boolean
  next_page_cursor: string | null
  next_page_url: string | null
}

function paramsHash(params: Record<string, unknown>): string {
  const { page_cursor: _c, limit: _l, _strict: _s, ...rest } = params
  const canonical = JSON.stringify(Object.keys(rest).sort().map((k) => [k, rest[k]]))
  return createHash('sha256').update(canonical).digest('base64url').slice(0, 16)
}

export function paginate<T extends { seq: number }>(
  items: T[],
  params: { page_cursor?: string | null; limit?: number | null } & Record<string, unknown>,
  defaultLimit: number,
): { page: T[]; pagination: Pagination } {
  const limit = params.limit ?? defaultLimit
  if (!Number.isInteger(limit) || limit < 1) {
    throw new DomainError('invalid_input', 'Invalid input: limit: must be a positive integer', 400, undefined, { _errors: [], limit: { _errors: ['must be a positive integer'] } })
  }
  const hash = paramsHash(params)
  let after = -Infinity
  if (params.page_cursor) {
    let decoded: { h?: unknown; a?: unknown }
    try {
      decoded = JSON.parse(Buffer.from(params.page_cursor, 'base64url').toString('utf8'))
    } catch {
      throw new DomainError('invalid_input', 'Invalid input: page_cursor: not a cursor this server issued', 400, undefined, { _errors: [], page_cursor: { _errors: ['not a cursor this server issued'] } })
    }
    if (typeof decoded?.a !== 'number') {
      throw new DomainError('invalid_input', 'Invalid input: page_cursor: not a cursor this server issued', 400, undefined, { _errors: [], page_cursor: { _errors: ['not a cursor this server issued'] } })
    }
    if (decoded.h !== hash) throw new DomainError('mismatched_page_parameters', 'page_cursor was issued for a request with different parameters', 400)
    after = decoded.a
  }
  const rest = items.filter((i) => i.seq > after)
  const page = rest.slice(0, limit)
  const more = rest.length > limit
  const cursor = more ? Buffer.from(JSON.stringify({ h: hash, a: page[page.length - 1]!.seq })).toString('base64url') : null
  return { page, pagination: { has_next_page: more, next_page_cursor: cursor, next_page_url: null } }
}
