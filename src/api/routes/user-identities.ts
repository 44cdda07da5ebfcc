// /user_identities/* — the people grants belong to. Email and phone are unique on the site unless
// `site.allow_shared_emails` (seed 000: a duplicate email must never be a silent skip).
import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import { isoUtc } from '../../kernel/clock.js'
import type { UseCases } from '../../app/index.js'
import type { UserIdentity } from '../../app/records.js'
import { paginate } from '../pagination.js'
import { addRoute } from '../route.js'
import { idList, pageParams, timestamp, uuid } from '../schemas.js'

export type { SitePolicy } from '../../app/index.js'

const key = z.string().min(1).max(200)
export const contactFields = {
  full_name: z.string().max(200).nullish(),
  email_address: z.email({ message: 'must be an email address' }).max(320).nullish(),
  phone_number: z.string().regex(/^\+?[0-9 ().-]{3,32}$/, 'must be a phone number').nullish(),
  user_identity_key: key.nullish(),
}

export function identityWire(u: UserIdentity, workspaceId: string): Record<string, unknown> {
  return {
    user_identity_id: u.userIdentityId,
    workspace_id: workspaceId,
    user_identity_key: u.userIdentityKey,
    email_address: u.emailAddress,
    phone_number: u.phoneNumber,
    full_name: u.fullName,
    display_name: u.fullName ?? u.emailAddress ?? u.phoneNumber ?? u.userIdentityKey ?? 'Unnamed user',
    created_at: isoUtc(u.createdAt),
    acs_user_ids: [],
    errors: [],
    warnings: [],
    merged_user_identity_ids: [],
    merged_user_identity_keys: [],
    ...(u.customerKey !== null ? { lockstep_metadata: { customer_key: u.customerKey } } : {}),
  }
}

const one = <T extends z.ZodRawShape>(shape: T, a: keyof T & string, b: keyof T & string) =>
  z.object(shape).refine((p: Record<string, unknown>) => p[a] != null || p[b] != null, { message: `${a} or ${b} is required` })

export function userIdentityRoutes(app: FastifyInstance, uc: UseCases): void {
  const identities = uc.userIdentities
  const wire = (u: UserIdentity) => identityWire(u, uc.workspaceId)
  addRoute(app, {
    path: '/user_identities/create', verbs: ['POST'], params: z.object({ ...contactFields, acs_system_ids: idList.optional() }),
    handler: (p) => ({
      user_identity: wire(identities.create({ fullName: p.full_name, emailAddress: p.email_address, phoneNumber: p.phone_number, userIdentityKey: p.user_identity_key })),
    }),
  })
  addRoute(app, {
    path: '/user_identities/get', verbs: ['GET'], params: one({ user_identity_id: uuid.optional(), user_identity_key: key.optional() }, 'user_identity_id', 'user_identity_key'),
    handler: (p) => ({ user_identity: wire(identities.get({ id: p.user_identity_id, key: p.user_identity_key })) }),
  })
  addRoute(app, {
    path: '/user_identities/list', verbs: ['GET'],
    params: z.object({ user_identity_ids: idList.optional(), search: z.string().optional(), created_before: timestamp.optional(), customer_key: key.optional(), ...pageParams }),
    handler: (p) => {
      const list = identities.list({ ids: p.user_identity_ids, search: p.search ?? undefined, createdBefore: p.created_before, customerKey: p.customer_key })
      const { page, pagination } = paginate(list, p, 500)
      return { user_identities: page.map(wire), pagination }
    },
  })
  addRoute(app, {
    path: '/user_identities/update', verbs: ['PATCH', 'PUT'], params: z.object({ user_identity_id: uuid, ...contactFields }),
    handler: (p) => ({
      user_identity: wire(identities.update(
        p.user_identity_id,
        { fullName: p.full_name, emailAddress: p.email_address, phoneNumber: p.phone_number, userIdentityKey: p.user_identity_key },
      )),
    }),
  })
  addRoute(app, {
    path: '/user_identities/delete', verbs: ['DELETE'], params: z.object({ user_identity_id: uuid }),
    // Seam answers a bare ok; issued cards of the deleted grants are told on their access_method.deleted events.
    handler: (p) => (identities.delete(p.user_identity_id), {}),
  })
}
