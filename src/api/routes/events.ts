// /events/* and /action_attempts/get, read from the event log and the attempts table.
import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import { invalidInput, notFound } from '../../domain/errors.js'
import type { UseCases } from '../../app/index.js'
import { paginate } from '../pagination.js'
import { addRoute } from '../route.js'
import { idList, pageParams, timestamp, uuid } from '../schemas.js'
import { actionAttemptWire } from '../wire.js'
import { eventScopes, inScope } from './event-scope.js'

const listParams = z.object({
  since: timestamp.optional(),
  between: z.array(timestamp).length(2, 'must hold exactly two timestamps').optional(),
  device_id: uuid.optional(),
  device_ids: idList.optional(),
  access_code_id: uuid.optional(),
  access_code_ids: idList.optional(),
  event_type: z.string().optional(),
  event_types: z.array(z.string()).optional(),
  event_ids: idList.optional(),
  access_grant_id: uuid.optional(),
  access_grant_ids: idList.optional(),
  access_method_id: uuid.optional(),
  access_method_ids: idList.optional(),
  acs_credential_id: uuid.optional(),
  acs_encoder_id: uuid.optional(),
  acs_entrance_id: uuid.optional(),
  acs_system_id: uuid.optional(),
  acs_system_ids: idList.optional(),
  connected_account_id: uuid.optional(),
  customer_key: z.string().min(1).optional(),
  space_id: uuid.optional(),
  space_ids: idList.optional(),
  user_identity_id: uuid.optional(),
  unstable_offset: z.int().min(0).optional(),
  ...pageParams,
})
const getParams = z
  .object({ event_id: uuid.optional(), event_type: z.string().optional(), device_id: uuid.optional() })
  .refine((p) => p.event_id || p.event_type || p.device_id, { message: 'event_id, event_type or device_id is required' })

export function eventRoutes(app: FastifyInstance, uc: UseCases): void {
  addRoute(app, {
    path: '/events/list',
    verbs: ['GET'],
    params: listParams,
    handler: (p) => {
      if (p.since !== undefined && p.between !== undefined) throw invalidInput('pass either since or between, not both', 'between')
      // between is an exclusive interval (Seam's words); since is inclusive.
      const [from, to] = p.between ? [p.between[0]! + 1, p.between[1]! - 1] : [p.since, undefined]
      const stored = uc.events.list({
        sinceMs: from,
        untilMs: to,
        deviceIds: [...(p.device_ids ?? []), ...(p.device_id ? [p.device_id] : [])],
        accessCodeIds: [...(p.access_code_ids ?? []), ...(p.access_code_id ? [p.access_code_id] : [])],
        eventTypes: [...(p.event_types ?? []), ...(p.event_type ? [p.event_type] : [])],
        eventIds: p.event_ids,
      })
      // lockstep-only events (`lockstep.*`: push results, blocked re-provisioning) are not Seam event types:
      // listed only when asked for by type, so Seam clients validating every event never meet them.
      const asked = [...(p.event_types ?? []), ...(p.event_type ? [p.event_type] : [])]
      const grantIds = [...(p.access_grant_ids ?? []), ...(p.access_grant_id ? [p.access_grant_id] : [])]
      const methodIds = [...(p.access_method_ids ?? []), ...(p.access_method_id ? [p.access_method_id] : [])]
      const has = (v: unknown, ids: string[]) => (typeof v === 'string' ? ids.includes(v) : Array.isArray(v) && v.some((x) => ids.includes(x)))
      const direct: [string[], string, string?][] = [
        [p.acs_credential_id ? [p.acs_credential_id] : [], 'acs_credential_id'],
        [p.acs_encoder_id ? [p.acs_encoder_id] : [], 'acs_encoder_id'],
        [p.acs_entrance_id ? [p.acs_entrance_id] : [], 'acs_entrance_id', 'acs_entrance_ids'],
      ]
      const scopes = eventScopes(uc, {
        spaceIds: [...(p.space_ids ?? []), ...(p.space_id ? [p.space_id] : [])],
        userIdentityId: p.user_identity_id,
        customerKey: p.customer_key,
        acsSystemIds: [...(p.acs_system_ids ?? []), ...(p.acs_system_id ? [p.acs_system_id] : [])],
        connectedAccountId: p.connected_account_id,
      })
      const visible = stored.filter((e) => {
        const type = String(e.body.event_type)
        if (type.startsWith('lockstep.') && !asked.includes(type)) return false
        if (grantIds.length && !has(e.body.access_grant_id, grantIds) && !has(e.body.access_grant_ids, grantIds)) return false
        if (methodIds.length && !has(e.body.access_method_id, methodIds)) return false
        for (const [ids, field, plural] of direct) if (ids.length && !has(e.body[field], ids) && !(plural && has(e.body[plural], ids))) return false
        return scopes.every((scope) => inScope(e.body, scope))
      })
      const skipped = p.unstable_offset ? visible.slice(p.unstable_offset) : visible
      const { page, pagination } = paginate(skipped, p, 500)
      return { events: page.map((e) => e.body), pagination }
    },
  })

  addRoute(app, {
    path: '/events/get',
    verbs: ['GET'],
    params: getParams,
    handler: (p) => {
      // A lockstep-only event is returned only when asked for by its type (like /events/list).
      const hidden = (e: Record<string, unknown>) => String(e.event_type).startsWith('lockstep.') && e.event_type !== p.event_type
      if (p.event_id) {
        const event = uc.events.get(p.event_id)
        if (!event || hidden(event) || (p.event_type && event.event_type !== p.event_type) || (p.device_id && event.device_id !== p.device_id)) {
          throw notFound('event', p.event_id)
        }
        return { event }
      }
      // Newest event matching the filters.
      const matches = uc.events.list({ eventTypes: p.event_type ? [p.event_type] : [], deviceIds: p.device_id ? [p.device_id] : [] }).filter((e) => !hidden(e.body))
      const last = matches[matches.length - 1]
      if (!last) throw notFound('event')
      return { event: last.body }
    },
  })

  addRoute(app, {
    path: '/action_attempts/get',
    verbs: ['GET'],
    params: z.object({ action_attempt_id: uuid }),
    handler: (p) => ({ action_attempt: actionAttemptWire(uc.events.actionAttempt(p.action_attempt_id)) }),
  })
}
