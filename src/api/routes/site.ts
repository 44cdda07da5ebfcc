// /workspaces/get (the site), /connected_accounts/list|get (each driver of the box), /action_attempts/list.
import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import { isoUtc } from '../../kernel/clock.js'
import type { UseCases } from '../../app/index.js'
import type { ConnectedAccount } from '../../app/site.js'
import { paginate } from '../pagination.js'
import { refused } from '../refused.js'
import { addRoute } from '../route.js'
import { idList, pageParams, uuid } from '../schemas.js'
import { actionAttemptWire } from '../wire.js'

export function connectedAccountWire(a: ConnectedAccount): Record<string, unknown> {
  const created = isoUtc(a.createdAt)
  return {
    connected_account_id: a.connectedAccountId,
    account_type: `lockstep_${a.driver.replace(/-/g, '_')}`,
    account_type_display_name: a.displayName,
    display_name: a.displayName,
    created_at: created,
    errors: a.connected ? [] : [{ error_code: 'account_disconnected', message: `The ${a.displayName} driver is not running`, created_at: created, is_connected_account_error: true }],
    warnings: [],
    custom_metadata: {},
    automatically_manage_new_devices: true,
    accepted_capabilities: a.capabilities,
    lockstep_metadata: { driver: a.driver, device_ids: a.deviceIds, acs_entrance_ids: a.acsEntranceIds },
  }
}

const accountListParams = z.strictObject({
  search: z.string().min(1).optional(),
  space_id: uuid.optional(),
  custom_metadata_has: z.record(z.string(), z.union([z.string(), z.boolean()])).optional(),
  customer_key: refused('connected accounts are the box\'s own drivers and belong to no customer'),
  user_identifier_key: refused('connected accounts are the box\'s own drivers and have no user identifier'),
  ...pageParams,
})

export function siteRoutes(app: FastifyInstance, uc: UseCases): void {
  addRoute(app, {
    path: '/workspaces/get', verbs: ['GET'], params: z.strictObject({}),
    handler: () => {
      const w = uc.site.workspace()
      return {
        workspace: {
          workspace_id: w.workspaceId, name: w.name, company_name: w.name, is_sandbox: w.isSandbox, connect_webview_customization: {},
          is_suspended: false, connect_partner_name: null, is_publishable_key_auth_enabled: false, organization_id: null,
        },
      }
    },
  })

  addRoute(app, {
    path: '/connected_accounts/list', verbs: ['GET'], params: accountListParams,
    handler: (p) => {
      const q = p.search?.toLowerCase()
      const inSpace = p.space_id ? uc.spaces.get({ spaceId: p.space_id }) : undefined
      const list = uc.site.connectedAccounts().filter((a) =>
        (!q || a.displayName.toLowerCase().includes(q) || a.driver.includes(q) || a.connectedAccountId === p.search) &&
        (!inSpace || a.deviceIds.some((d) => inSpace.deviceIds.includes(d)) || a.acsEntranceIds.some((e) => inSpace.acsEntranceIds.includes(e))) &&
        // The box keeps no custom metadata on its accounts: a non-empty filter matches none.
        (!p.custom_metadata_has || Object.keys(p.custom_metadata_has).length === 0))
      const { page, pagination } = paginate(list, p, 11_000)
      return { connected_accounts: page.map(connectedAccountWire), pagination }
    },
  })

  addRoute(app, {
    path: '/connected_accounts/get', verbs: ['GET'],
    params: z.strictObject({ connected_account_id: uuid, email: refused('connected accounts are the box\'s own drivers and have no email; use connected_account_id') }),
    handler: (p) => ({ connected_account: connectedAccountWire(uc.site.connectedAccount(p.connected_account_id)) }),
  })

  addRoute(app, {
    path: '/action_attempts/list', verbs: ['GET'],
    params: z.strictObject({ device_id: uuid.optional(), action_attempt_ids: idList.optional(), ...pageParams }),
    handler: (p) => {
      const all = uc.events.actionAttempts({ deviceId: p.device_id, actionAttemptIds: p.action_attempt_ids })
      const { page, pagination } = paginate(all, p, 500)
      return { action_attempts: page.map(actionAttemptWire), pagination }
    },
  })
}
