// /lockstep/devices/radio: the radio exchanges each lock's driver caused (issue 19), for `lockstep
// devices` and the console. A lockstep route, not a Seam one: Seam's device resource has no such field,
// and an unknown top-level field there could surprise an SDK. The daemon passes the report in, so this
// front door reaches neither the store nor a driver.
import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import { addRoute } from '../route.js'
import { uuid } from '../schemas.js'

export interface RadioCounts {
  exchanges: number
  /** By kind: 'read', 'write', 'clear', 'lock_action' (Zigbee requests), 'connection' (Nuki), … */
  by_kind: Record<string, number>
}

export interface DeviceRadio {
  device_id: string
  display_name: string
  driver: string
  /** Since the driver started. */
  total: RadioCounts
  /** The last 24 hours (hourly buckets). */
  last_day: RadioCounts
}

export function radioRoutes(app: FastifyInstance, report: () => DeviceRadio[]): void {
  addRoute(app, {
    path: '/lockstep/devices/radio',
    verbs: ['GET'],
    params: z.strictObject({ device_id: uuid.optional() }),
    handler: (p) => ({ devices: report().filter((d) => p.device_id === undefined || d.device_id === p.device_id) }),
  })
}
