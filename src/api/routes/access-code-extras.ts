// /access_codes/update_multiple, /access_codes/unmanaged/update, /access_codes/report_device_constraints
// (kept apart from access-codes.ts, whose parameters another change reworks).
import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import type { UseCases } from '../../app/index.js'
import { invalidInput } from '../../domain/errors.js'
import { addRoute } from '../route.js'
import { timestamp, uuid } from '../schemas.js'

const codeLength = z.int().min(4).max(20)

export function accessCodeExtraRoutes(app: FastifyInstance, uc: UseCases): void {
  addRoute(app, {
    path: '/access_codes/update_multiple', verbs: ['PATCH'],
    params: z.strictObject({ common_code_key: z.string().min(1).max(200), name: z.string().max(200).optional(), starts_at: timestamp.optional(), ends_at: timestamp.optional() }),
    handler: (p) => {
      if (p.name === undefined && p.starts_at === undefined && p.ends_at === undefined) throw invalidInput('nothing to update: give name, starts_at or ends_at')
      uc.accessCodes.updateMultiple(p.common_code_key, { name: p.name, startsAt: p.starts_at, endsAt: p.ends_at })
      return {}
    },
  })

  addRoute(app, {
    path: '/access_codes/unmanaged/update', verbs: ['PATCH'],
    params: z.strictObject({
      access_code_id: uuid,
      is_managed: z.boolean(),
      allow_external_modification: z.boolean().optional(),
      is_external_modification_allowed: z.boolean().optional(),
      // Conversion has no check to skip: only `false` (the default) means something here.
      force: z.literal(false, { message: 'is not supported by lockstep: converting a code has no check to force past' }).optional(),
    }),
    handler: (p) => {
      const allow = p.allow_external_modification ?? p.is_external_modification_allowed
      if (!p.is_managed) {
        if (allow !== undefined) {
          const field = p.allow_external_modification !== undefined ? 'allow_external_modification' : 'is_external_modification_allowed'
          throw invalidInput(`${field} applies only when converting the code to managed (is_managed: true)`, field)
        }
        uc.accessCodes.get(p.access_code_id, false) // it stays unmanaged: nothing to change, but it must exist
        return {}
      }
      uc.accessCodes.convertToManaged(p.access_code_id, allow ?? false)
      return {}
    },
  })

  addRoute(app, {
    path: '/access_codes/report_device_constraints', verbs: ['POST'],
    params: z.strictObject({
      device_id: uuid,
      min_code_length: codeLength.optional(),
      max_code_length: codeLength.optional(),
      supported_code_lengths: z.array(codeLength).min(1).optional(),
    }),
    handler: (p) => {
      const range = p.min_code_length !== undefined || p.max_code_length !== undefined
      if (range && p.supported_code_lengths) throw invalidInput('supported_code_lengths: give it or min_code_length/max_code_length, not both', 'supported_code_lengths')
      let lengths: { min: number; max: number }
      if (p.supported_code_lengths) {
        const sorted = [...new Set(p.supported_code_lengths)].sort((a, b) => a - b)
        // lockstep keeps a lock's code lengths as one range.
        if (sorted.some((n, i) => i > 0 && n !== sorted[i - 1]! + 1)) {
          throw invalidInput('supported_code_lengths: lockstep keeps code lengths as one range; give consecutive lengths (e.g. 4,5,6)', 'supported_code_lengths')
        }
        lengths = { min: sorted[0]!, max: sorted.at(-1)! }
      } else if (range) {
        lengths = { min: p.min_code_length ?? 4, max: p.max_code_length ?? 20 }
      } else {
        throw invalidInput('give supported_code_lengths or min_code_length/max_code_length', 'supported_code_lengths')
      }
      uc.devices.reportCodeLengths(p.device_id, lengths)
      return {}
    },
  })
}
