// Helpers around user identities, grants and spaces: what a user identity can open and per-lock
// grant/revoke, more access methods on a grant, and get_related batches.
import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import type { UseCases } from '../../app/index.js'
import type { Related } from '../../app/related.js'
import { invalidInput } from '../../domain/errors.js'
import { addRoute } from '../route.js'
import { idList, uuid } from '../schemas.js'
import { deviceWire } from '../wire.js'
import { acsSystemWire, entranceWire } from './acs.js'
import { accessGrantWire, accessMethodWire } from './access-grants.js'
import { connectedAccountWire } from './site.js'
import { spaceWire } from './spaces.js'
import { identityWire } from './user-identities.js'

const identityAndDevice = z.strictObject({ user_identity_id: uuid, device_id: uuid })
const requestedMethod = z.strictObject({
  mode: z.enum(['code', 'card', 'mobile_key', 'cloud_key']),
  code: z.string().regex(/^\d{4,9}$/, 'must be 4 to 9 digits').optional(),
  instant_key_max_use_count: z.int().min(1).optional(),
})

const SPACE_RELATED = ['spaces', 'devices', 'acs_entrances', 'connected_accounts', 'acs_systems', 'access_methods'] as const
const GRANT_RELATED = [...SPACE_RELATED, 'user_identities', 'acs_access_groups'] as const

export function accessHelperRoutes(app: FastifyInstance, uc: UseCases): void {
  const device = (d: Parameters<typeof deviceWire>[0]) => deviceWire(d, uc.workspaceId, { spaceIds: uc.spaces.ofDevice(d.deviceId) })

  addRoute(app, {
    path: '/user_identities/list_accessible_devices', verbs: ['GET'], params: z.strictObject({ user_identity_id: uuid }),
    handler: (p) => {
      const devices = uc.userAccess.accessibleDevices(p.user_identity_id).map(device)
      return { devices, accessible_devices: devices }
    },
  })
  addRoute(app, {
    path: '/user_identities/list_accessible_entrances', verbs: ['GET'], params: z.strictObject({ user_identity_id: uuid }),
    handler: (p) => ({ acs_entrances: uc.userAccess.accessibleEntrances(p.user_identity_id).map((e) => entranceWire(e, uc)) }),
  })
  addRoute(app, {
    path: '/user_identities/grant_access_to_device', verbs: ['PUT'], params: identityAndDevice,
    // Void in Seam's schema: the access grant that carries the access is listed under the user identity.
    handler: (p) => (uc.userAccess.grantAccessToDevice(p.user_identity_id, p.device_id), {}),
  })
  addRoute(app, {
    path: '/user_identities/revoke_access_to_device', verbs: ['DELETE'], params: identityAndDevice,
    handler: (p) => (uc.userAccess.revokeAccessToDevice(p.user_identity_id, p.device_id), {}),
  })

  addRoute(app, {
    path: '/access_grants/request_access_methods', verbs: ['POST'],
    params: z.strictObject({ access_grant_id: uuid, requested_access_methods: z.array(requestedMethod).min(1, 'must request at least one access method') }),
    handler: (p) => {
      if (p.requested_access_methods.some((r) => r.instant_key_max_use_count !== undefined)) {
        throw invalidInput('instant_key_max_use_count is not supported by lockstep: it issues no instant keys', 'requested_access_methods')
      }
      const g = uc.userAccess.requestAccessMethods(p.access_grant_id, p.requested_access_methods.map((r) => (r.code === undefined ? { mode: r.mode } : { mode: r.mode, code: r.code })))
      return { access_grant: accessGrantWire(g, uc) }
    },
  })

  const batch = (r: Related, kinds: readonly string[], include: readonly string[] | undefined, exclude: readonly string[] | undefined) => {
    const wanted = (k: string) => (!include || include.length === 0 || include.includes(k)) && !exclude?.includes(k)
    const all: Record<string, () => unknown[]> = {
      spaces: () => r.spaces.map((s) => spaceWire(s, uc.workspaceId)),
      devices: () => r.devices.map(device),
      acs_entrances: () => r.acsEntrances.map((e) => entranceWire(e, uc)),
      connected_accounts: () => r.connectedAccounts.map(connectedAccountWire),
      acs_systems: () => r.acsSystems.map((s) => acsSystemWire(s, uc)),
      access_methods: () => r.accessMethods.map((m) => accessMethodWire(m, uc.workspaceId)),
      user_identities: () => r.userIdentities.map((u) => identityWire(u, uc.workspaceId)),
      // lockstep has no ACS access groups.
      acs_access_groups: () => [],
    }
    return Object.fromEntries(kinds.filter(wanted).map((k) => [k, all[k]!()]))
  }

  addRoute(app, {
    path: '/spaces/get_related', verbs: ['GET'],
    params: z.strictObject({
      space_ids: idList.optional(), space_keys: z.array(z.string().min(1)).optional(),
      include: z.array(z.enum(SPACE_RELATED)).optional(), exclude: z.array(z.enum(SPACE_RELATED)).optional(),
    }),
    handler: (p) => {
      if (!p.space_ids?.length && !p.space_keys?.length) throw invalidInput('give space_ids or space_keys', 'space_ids')
      return { batch: batch(uc.related.ofSpaces(p.space_ids ?? [], p.space_keys ?? []), SPACE_RELATED, p.include, p.exclude) }
    },
  })
  addRoute(app, {
    path: '/access_grants/get_related', verbs: ['GET'],
    params: z.strictObject({
      access_grant_ids: idList.optional(), access_grant_keys: z.array(z.string().min(1)).optional(),
      include: z.array(z.enum(GRANT_RELATED)).optional(), exclude: z.array(z.enum(GRANT_RELATED)).optional(),
    }),
    handler: (p) => {
      if (!p.access_grant_ids?.length && !p.access_grant_keys?.length) throw invalidInput('give access_grant_ids or access_grant_keys', 'access_grant_ids')
      return { batch: batch(uc.related.ofGrants(p.access_grant_ids ?? [], p.access_grant_keys ?? []), GRANT_RELATED, p.include, p.exclude) }
    },
  })
}
