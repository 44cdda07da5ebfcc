// /acs/credentials/list|get|delete: the cards the encoder issued.
import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import { isoUtc } from '../../kernel/clock.js'
import type { UseCases } from '../../app/index.js'
import type { CardCredentialView } from '../../app/acs-credentials.js'
import { paginate } from '../pagination.js'
import { refused } from '../refused.js'
import { addRoute } from '../route.js'
import { pageParams, timestamp, uuid } from '../schemas.js'

export function cardCredentialWire(v: CardCredentialView, uc: UseCases): Record<string, unknown> {
  const c = v.card
  const valid = !v.expired && v.overriddenBy.length === 0
  return {
    acs_credential_id: c.acsCredentialId,
    ...(c.userIdentityId ? { user_identity_id: c.userIdentityId } : {}),
    connected_account_id: uc.acsCredentials.connectedAccountId,
    acs_system_id: uc.acsCredentials.acsSystemId,
    display_name: `${c.level === 'guest' ? 'Guest' : 'Staff'} card ${c.credentialNumber}`,
    code: null,
    card_number: String(c.credentialNumber),
    access_method: 'card',
    external_type_display_name: 'lockstep offline card',
    is_issued: true,
    issued_at: isoUtc(c.issuedAt),
    is_one_time_use: false,
    is_multi_phone_sync_credential: false,
    created_at: isoUtc(c.issuedAt),
    workspace_id: uc.workspaceId,
    starts_at: isoUtc(c.startsAt),
    ...(c.endsAt !== null ? { ends_at: isoUtc(c.endsAt) } : {}),
    errors: [],
    warnings: [],
    is_managed: true,
    lockstep_metadata: {
      card_uid: c.cardUid,
      credential_number: c.credentialNumber,
      access_method_id: c.accessMethodId,
      access_grant_id: c.accessGrantId,
      acs_encoder_id: c.acsEncoderId,
      acs_entrance_ids: c.acsEntranceIds,
      level: c.level,
      is_joiner: c.joiner,
      reservation_key: c.reservationKey,
      is_valid: valid,
      is_expired: v.expired,
      is_overridden: v.overriddenBy.length > 0,
      overridden_by_acs_credential_ids: v.overriddenBy,
      superseded_by_acs_credential_id: v.supersededBy,
    },
  }
}

const listParams = z.strictObject({
  acs_system_id: uuid.optional(),
  user_identity_id: uuid.optional(),
  acs_user_id: refused('lockstep has no ACS users; filter by user_identity_id'),
  created_before: timestamp.optional(),
  is_multi_phone_sync_credential: z.boolean().optional(),
  search: z.string().min(1).optional(),
  ...pageParams,
})

export function acsCredentialRoutes(app: FastifyInstance, uc: UseCases): void {
  addRoute(app, {
    path: '/acs/credentials/list', verbs: ['GET'], params: listParams,
    handler: (p) => {
      // No card is a multi-phone-sync credential: `true` matches none, `false` all.
      const all = p.is_multi_phone_sync_credential === true ? [] : uc.acsCredentials.list({
        acsSystemId: p.acs_system_id, userIdentityId: p.user_identity_id, createdBefore: p.created_before, search: p.search,
      })
      const { page, pagination } = paginate(all, p, 500)
      return { acs_credentials: page.map((v) => cardCredentialWire(v, uc)), pagination }
    },
  })
  addRoute(app, {
    path: '/acs/credentials/get', verbs: ['GET'], params: z.strictObject({ acs_credential_id: uuid }),
    handler: (p) => ({ acs_credential: cardCredentialWire(uc.acsCredentials.get(p.acs_credential_id), uc) }),
  })
  addRoute(app, {
    path: '/acs/credentials/delete', verbs: ['DELETE'], params: z.strictObject({ acs_credential_id: uuid }),
    handler: (p) => (uc.acsCredentials.delete(p.acs_credential_id), {}),
  })
}
