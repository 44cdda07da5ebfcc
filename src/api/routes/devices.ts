// /devices/* and /locks/* — every device lockstep manages is a lock.
import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import type { Device } from '../../domain/device.js'
import type { UseCases } from '../../app/index.js'
import { paginate } from '../pagination.js'
import { addRoute } from '../route.js'
import { idList, pageParams, timestamp, uuid } from '../schemas.js'
import { actionAttemptWire, deviceWire } from '../wire.js'

/** A device capability flag (`can_remotely_lock`…); a flag lockstep's devices never set counts as false. */
const capabilityFlag = z.string().regex(/^can_[a-z_]+$/, 'must be a capability flag such as can_remotely_lock')
const listParams = z.object({
  device_ids: idList.optional(),
  device_type: z.string().optional(),
  device_types: z.array(z.string()).optional(),
  manufacturer: z.string().optional(),
  search: z.string().optional(),
  space_id: uuid.optional(),
  created_before: timestamp.optional(),
  connected_account_id: uuid.optional(),
  connected_account_ids: idList.optional(),
  custom_metadata_has: z.record(z.string(), z.union([z.string(), z.boolean()])).optional(),
  customer_key: z.string().min(1).optional(),
  unstable_location_id: uuid.nullish(),
  include_if: z.array(capabilityFlag).optional(),
  exclude_if: z.array(capabilityFlag).optional(),
  ...pageParams,
})
const getParams = z
  .object({ device_id: uuid.optional(), name: z.string().optional() })
  .refine((p) => p.device_id || p.name, { message: 'device_id or name is required' })
const actionParams = z.object({ device_id: uuid, sync: z.boolean().optional() }) // sync=true refused (refused-params.ts)

export function deviceRoutes(app: FastifyInstance, uc: UseCases): void {
  const spacesOf = (deviceId: string) => uc.spaces.ofDevice(deviceId)
  const wire = (d: Device) => deviceWire(d, uc.workspaceId, { spaceIds: spacesOf(d.deviceId) })
  const list = (p: z.infer<typeof listParams>) => {
    const types = [...(p.device_types ?? []), ...(p.device_type ? [p.device_type] : [])]
    let devices = uc.devices.list({
      deviceIds: p.device_ids, deviceTypes: types, manufacturer: p.manufacturer, search: p.search, createdBefore: p.created_before, customMetadataHas: p.custom_metadata_has,
    })
    // unstable_location_id: Seam's deprecated name for a space.
    for (const spaceId of [p.space_id, p.unstable_location_id]) if (spaceId) devices = devices.filter((d) => spacesOf(d.deviceId).includes(spaceId))
    // A device belongs to a customer through a space of that customer (spaces/create or push_data's customer_key).
    if (p.customer_key) {
      const owned = new Set(uc.spaces.list({ customerKey: p.customer_key }).flatMap((s) => s.deviceIds))
      devices = devices.filter((d) => owned.has(d.deviceId))
    }
    if (p.include_if?.length || p.exclude_if?.length) {
      devices = devices.filter((d) => {
        const w = wire(d)
        return (p.include_if ?? []).every((f) => w[f] === true) && !(p.exclude_if ?? []).some((f) => w[f] === true)
      })
    }
    const accounts = [...(p.connected_account_ids ?? []), ...(p.connected_account_id ? [p.connected_account_id] : [])]
    if (accounts.length) devices = devices.filter((d) => accounts.includes(d.connectedAccountId))
    return paginate(devices, p, 500)
  }
  const get = (p: z.infer<typeof getParams>) => uc.devices.getByIdOrName({ deviceId: p.device_id, name: p.name })

  addRoute(app, { path: '/devices/list', verbs: ['GET'], params: listParams, handler: (p) => {
    const { page, pagination } = list(p)
    return { devices: page.map(wire), pagination }
  } })
  addRoute(app, { path: '/devices/get', verbs: ['GET'], params: getParams, handler: (p) => ({ device: wire(get(p)) }) })
  addRoute(app, { path: '/locks/list', verbs: ['GET'], params: listParams, handler: (p) => {
    const { page, pagination } = list(p)
    const devices = page.map(wire)
    return { devices, locks: devices, pagination }
  } })
  addRoute(app, { path: '/locks/get', verbs: ['GET'], params: getParams, handler: (p) => {
    const device = wire(get(p))
    return { device, lock: device }
  } })
  for (const action of ['lock', 'unlock'] as const) {
    addRoute(app, {
      path: `/locks/${action}_door`,
      verbs: ['POST'],
      params: actionParams,
      handler: (p) => ({ action_attempt: actionAttemptWire(uc.lockActions.lockAction(p.device_id, action)) }),
    })
  }
}
