// Shared zod pieces for request parameters.
import { z } from 'zod'

export const uuid = z.uuid({ message: 'must be a UUID' })

/** An ISO 8601 timestamp with a time zone (Z or an offset), returned as epoch milliseconds. */
export const timestamp = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/, 'must be an ISO 8601 timestamp with a time zone, e.g. 2026-01-01T15:00:00Z')
  .transform((s, ctx) => {
    const ms = Date.parse(s)
    if (Number.isNaN(ms)) {
      ctx.addIssue({ code: 'custom', message: 'is not a valid date' })
      return z.NEVER
    }
    return ms
  })

export const pageParams = {
  limit: z.int().min(1).max(100_000).optional(),
  page_cursor: z.string().nullish(),
}

export const idList = z.array(uuid)
