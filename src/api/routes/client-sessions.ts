// /client_sessions/* — tokens (seam_cst…) a browser may hold, scoped to what the backend granted them.
// lockstep has no Connect Webviews and no customer ids: those parameters are refused by name
// (src/api/refused-params.ts).
import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import type { ClientSession } from '../../domain/client-session.js'
import { invalidInput } from '../../domain/errors.js'
import { isoUtc } from '../../kernel/clock.js'
import type { UseCases } from '../../app/index.js'
import { paginate } from '../pagination.js'
import { addRoute } from '../route.js'
import { timestamp, uuid } from '../schemas.js'

const key = z.string().min(1).max(200)
const grantFields = {
  user_identifier_key: key.optional(),
  user_identity_id: uuid.optional(),
  user_identity_ids: z.array(uuid).min(1).max(1, 'a client session belongs to one user identity').optional(),
  connected_account_ids: z.array(uuid).optional(),
  connect_webview_ids: z.array(z.string()).optional(),
}
const createParams = z.object({ ...grantFields, customer_key: key.optional(), expires_at: timestamp.optional() })
const getOrCreateParams = z.object({ ...grantFields, expires_at: timestamp.optional() })
const getParams = z.object({ client_session_id: uuid.optional(), user_identifier_key: z.string().optional() })
const grantParams = z.object({ client_session_id: uuid.optional(), ...grantFields })
const listParams = z.object({
  client_session_id: uuid.optional(),
  user_identifier_key: z.string().optional(),
  connect_webview_id: z.string().optional(),
  without_user_identifier_key: z.boolean().optional(),
  user_identity_id: uuid.optional(),
})
const idParams = z.object({ client_session_id: uuid })

/** The one user identity of user_identity_id / user_identity_ids (deprecated), refusing two different ones. */
function identityOf(p: { user_identity_id?: string; user_identity_ids?: string[] }): string | undefined {
  const fromList = p.user_identity_ids?.[0]
  if (p.user_identity_id && fromList && fromList !== p.user_identity_id) throw invalidInput('user_identity_ids names another user identity than user_identity_id', 'user_identity_ids')
  return p.user_identity_id ?? fromList
}

export function clientSessionWire(s: ClientSession, deviceCount: number, workspaceId: string): Record<string, unknown> {
  return {
    client_session_id: s.clientSessionId,
    workspace_id: workspaceId,
    created_at: isoUtc(s.createdAt),
    expires_at: isoUtc(s.expiresAt),
    token: s.token,
    user_identifier_key: s.userIdentifierKey,
    device_count: deviceCount,
    connected_account_ids: s.connectedAccountIds,
    connect_webview_ids: [],
    user_identity_ids: s.userIdentityId ? [s.userIdentityId] : [],
    ...(s.userIdentityId ? { user_identity_id: s.userIdentityId } : {}),
    ...(s.customerKey ? { customer_key: s.customerKey } : {}),
  }
}

export function clientSessionRoutes(app: FastifyInstance, uc: UseCases): void {
  const sessions = uc.clientSessions
  const wire = (s: ClientSession) => clientSessionWire(s, sessions.scope(s).deviceIds().length, uc.workspaceId)
  const grant = (p: z.infer<typeof getOrCreateParams> & { customer_key?: string }) => ({
    userIdentifierKey: p.user_identifier_key,
    userIdentityId: identityOf(p),
    connectedAccountIds: p.connected_account_ids,
    customerKey: p.customer_key,
    expiresAt: p.expires_at,
  })

  addRoute(app, {
    path: '/client_sessions/create', verbs: ['PUT'], params: createParams,
    handler: (p) => {
      return { client_session: wire(sessions.create(grant(p))) }
    },
  })
  addRoute(app, {
    path: '/client_sessions/get_or_create', verbs: ['POST'], params: getOrCreateParams,
    handler: (p) => {
      return { client_session: wire(sessions.getOrCreate(grant(p))) }
    },
  })
  addRoute(app, {
    path: '/client_sessions/get', verbs: ['GET'], params: getParams,
    handler: (p, request) => {
      // With a session token and no parameter: the session itself (the SDK's updateClientSessionToken asks so).
      const own = request.clientScope?.clientSessionId
      if (!p.client_session_id && !p.user_identifier_key) {
        if (!own) throw invalidInput('client_session_id or user_identifier_key is required')
        return { client_session: wire(sessions.get({ clientSessionId: own })) }
      }
      return { client_session: wire(sessions.get({ clientSessionId: p.client_session_id, userIdentifierKey: p.user_identifier_key })) }
    },
  })
  addRoute(app, {
    path: '/client_sessions/list', verbs: ['GET'], params: listParams,
    handler: (p) => {
      // No session has a Connect Webview on an edge box: that filter matches none.
      const list = p.connect_webview_id !== undefined ? [] : sessions.list({
        clientSessionId: p.client_session_id, userIdentifierKey: p.user_identifier_key,
        userIdentityId: p.user_identity_id, withoutUserIdentifierKey: p.without_user_identifier_key,
      })
      const { page, pagination } = paginate(list, {}, 100_000)
      return { client_sessions: page.map(wire), pagination }
    },
  })
  addRoute(app, {
    path: '/client_sessions/grant_access', verbs: ['PATCH'], params: grantParams,
    handler: (p) => {
      if (!p.client_session_id && !p.user_identifier_key) throw invalidInput('client_session_id or user_identifier_key is required')
      const ref = { clientSessionId: p.client_session_id, userIdentifierKey: p.client_session_id ? undefined : p.user_identifier_key }
      return { client_session: wire(sessions.grantAccess(ref, grant(p))) }
    },
  })
  addRoute(app, {
    path: '/client_sessions/revoke', verbs: ['POST'], params: idParams,
    handler: (p) => (sessions.revoke(p.client_session_id), {}),
  })
  addRoute(app, {
    path: '/client_sessions/delete', verbs: ['DELETE'], params: idParams,
    handler: (p) => (sessions.revoke(p.client_session_id), {}),
  })
}
