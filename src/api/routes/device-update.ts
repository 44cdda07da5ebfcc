// /devices/update: a name and custom_metadata kept on the device (kept apart from devices.ts, whose list
// parameters another change reworks).
import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import type { UseCases } from '../../app/index.js'
import { invalidInput } from '../../domain/errors.js'
import { addRoute } from '../route.js'
import { uuid } from '../schemas.js'

const metadataKey = z.string().min(1).max(40)
const updateParams = z.strictObject({
  device_id: uuid,
  name: z.string().min(1).max(200).nullable().optional(),
  properties: z.strictObject({ name: z.string().min(1).max(200).nullable().optional() }).optional(),
  custom_metadata: z.record(metadataKey, z.union([z.string().max(500), z.boolean(), z.null()])).optional(),
  // Every lock the box knows is managed: it keeps them in step. Taking one out is a config change.
  is_managed: z.literal(true, { message: 'lockstep manages every lock it knows; remove the lock from the site config to stop managing it' }).optional(),
  backup_access_code_pool_enabled: z.boolean().optional(),
})

export function deviceUpdateRoutes(app: FastifyInstance, uc: UseCases): void {
  addRoute(app, {
    path: '/devices/update', verbs: ['PATCH'], params: updateParams,
    handler: (p) => {
      const viaProperties = p.properties?.name
      if (p.name !== undefined && viaProperties !== undefined && p.name !== viaProperties) {
        throw invalidInput('properties.name and name differ; give one', 'properties')
      }
      uc.devices.update(p.device_id, {
        name: p.name !== undefined ? p.name : viaProperties, customMetadata: p.custom_metadata, backupPoolEnabled: p.backup_access_code_pool_enabled,
      })
      return {}
    },
  })
}
