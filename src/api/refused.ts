// A documented Seam parameter lockstep does not implement: accepted by the schema only to be refused by
// name (design rule 11), so the caller learns it was not applied instead of getting unfiltered data.
import { z } from 'zod'

export function refused(reason: string) {
  return z.unknown().optional().superRefine((value, ctx) => {
    if (value !== undefined) ctx.addIssue({ code: 'custom', message: `is not supported by lockstep: ${reason}` })
  })
}
