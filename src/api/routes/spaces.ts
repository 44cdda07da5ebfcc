// /spaces/* — groups of doors that grants and reservations target.
import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import { isoUtc } from '../../kernel/clock.js'
import type { Space } from '../../app/records.js'
import type { UseCases } from '../../app/index.js'
import { paginate } from '../pagination.js'
import { addRoute } from '../route.js'
import { idList, pageParams, uuid } from '../schemas.js'

const customerData = z.object({
  address: z.string().optional(),
  default_checkin_time: z.string().regex(/^\d{2}:\d{2}(:\d{2})?$/, 'must be HH:MM or HH:MM:SS').optional(),
  default_checkout_time: z.string().regex(/^\d{2}:\d{2}(:\d{2})?$/, 'must be HH:MM or HH:MM:SS').optional(),
  time_zone: z.string().optional(),
})
const key = z.string().min(1).max(200)

const createParams = z.object({
  name: z.string().min(1).max(200),
  space_key: key.optional(),
  device_ids: idList.optional(),
  acs_entrance_ids: idList.optional(),
  customer_key: key.optional(),
  customer_data: customerData.optional(),
})
const refParams = z
  .object({ space_id: uuid.optional(), space_key: key.optional() })
  .refine((p) => p.space_id || p.space_key, { message: 'space_id or space_key is required' })
const updateParams = z
  .object({
    space_id: uuid.optional(),
    space_key: key.optional(),
    name: z.string().min(1).max(200).optional(),
    device_ids: idList.optional(),
    acs_entrance_ids: idList.optional(),
    customer_data: customerData.optional(),
  })
  .refine((p) => p.space_id || p.space_key, { message: 'space_id or space_key is required' })
const listParams = z.object({ search: z.string().optional(), space_key: key.optional(), customer_key: key.optional(), ...pageParams })
const devicesParams = z.object({ space_id: uuid, device_ids: idList.min(1, 'must name at least one device') })
const entrancesParams = z.object({ space_id: uuid, acs_entrance_ids: idList.min(1, 'must name at least one entrance') })

export function spaceWire(s: Space, workspaceId: string): Record<string, unknown> {
  return {
    space_id: s.spaceId,
    workspace_id: workspaceId,
    name: s.name,
    display_name: s.name,
    created_at: isoUtc(s.createdAt),
    device_count: s.deviceIds.length,
    acs_entrance_count: s.acsEntranceIds.length,
    ...(s.spaceKey !== null ? { space_key: s.spaceKey } : {}),
    ...(s.customerKey !== null ? { customer_key: s.customerKey } : {}),
    ...(s.customerData !== null ? { customer_data: s.customerData } : {}),
    // Beyond Seam's schema, only under lockstep_ keys (stripped by the SDK's zod, shown to raw clients and the console):
    lockstep_metadata: { device_ids: s.deviceIds, acs_entrance_ids: s.acsEntranceIds },
  }
}

export function spaceRoutes(app: FastifyInstance, uc: UseCases): void {
  const spaces = uc.spaces
  const wire = (s: Space) => spaceWire(s, uc.workspaceId)
  addRoute(app, {
    path: '/spaces/create', verbs: ['POST'], params: createParams,
    handler: (p) => ({
      space: wire(spaces.create({
        name: p.name, spaceKey: p.space_key, customerKey: p.customer_key, customerData: p.customer_data,
        deviceIds: p.device_ids, acsEntranceIds: p.acs_entrance_ids,
      })),
    }),
  })
  addRoute(app, {
    path: '/spaces/get', verbs: ['GET'], params: refParams,
    handler: (p) => ({ space: wire(spaces.get({ spaceId: p.space_id, spaceKey: p.space_key })) }),
  })
  addRoute(app, {
    path: '/spaces/list', verbs: ['GET'], params: listParams,
    handler: (p) => {
      const { page, pagination } = paginate(spaces.list({ search: p.search, spaceKey: p.space_key, customerKey: p.customer_key }), p, 500)
      return { spaces: page.map(wire), pagination }
    },
  })
  addRoute(app, {
    path: '/spaces/update', verbs: ['PATCH', 'PUT'], params: updateParams,
    handler: (p) => {
      const space = spaces.update(
        { spaceId: p.space_id, spaceKey: p.space_key },
        { name: p.name, customerData: p.customer_data, deviceIds: p.device_ids, acsEntranceIds: p.acs_entrance_ids },
      )
      return { space: wire(space) }
    },
  })
  addRoute(app, {
    path: '/spaces/delete', verbs: ['DELETE'], params: z.object({ space_id: uuid }),
    handler: (p) => {
      spaces.delete(p.space_id)
      return {}
    },
  })
  addRoute(app, {
    path: '/spaces/add_devices', verbs: ['PUT'], params: devicesParams,
    handler: (p) => (spaces.addDoors(p.space_id, p.device_ids, []), {}),
  })
  addRoute(app, {
    path: '/spaces/remove_devices', verbs: ['DELETE'], params: devicesParams,
    handler: (p) => (spaces.removeDoors(p.space_id, p.device_ids, []), {}),
  })
  addRoute(app, {
    path: '/spaces/add_acs_entrances', verbs: ['PUT'], params: entrancesParams,
    handler: (p) => (spaces.addDoors(p.space_id, [], p.acs_entrance_ids), {}),
  })
  addRoute(app, {
    path: '/spaces/remove_acs_entrances', verbs: ['DELETE'], params: entrancesParams,
    handler: (p) => (spaces.removeDoors(p.space_id, [], p.acs_entrance_ids), {}),
  })
}
