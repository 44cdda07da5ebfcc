// /access_grants/* and /access_methods/get|list|delete (encode lives with the card encoder).
// Reservation rules answer through the envelope with the seed's status, type and "title. sentence" message.
import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import { isoUtc } from '../../kernel/clock.js'
import type { UseCases } from '../../app/index.js'
import type { AccessGrant, AccessMethodView } from '../../app/records.js'
import { paginate } from '../pagination.js'
import { addRoute } from '../route.js'
import { grantWarningsWire } from '../wire.js'
import { idList, pageParams, timestamp, uuid } from '../schemas.js'
import { contactFields } from './user-identities.js'

const key = z.string().min(1).max(200)
const MODE_NAMES: Record<string, string> = { code: 'PIN Code Credential', card: 'Plastic Card', mobile_key: 'Mobile Key', cloud_key: 'Cloud Key' }

function status(startsAt: number, endsAt: number | null, now: number): string {
  if (endsAt !== null && endsAt <= now) return 'ended'
  return startsAt > now ? 'upcoming' : 'active'
}

export function accessMethodWire(m: AccessMethodView, workspaceId: string): Record<string, unknown> {
  const card = m.mode === 'card'
  return {
    access_method_id: m.accessMethodId,
    workspace_id: workspaceId,
    display_name: MODE_NAMES[m.mode] ?? m.mode,
    mode: m.mode,
    created_at: isoUtc(m.createdAt),
    issued_at: m.issuedAt === null ? null : isoUtc(m.issuedAt),
    is_issued: m.isIssued,
    errors: [],
    warnings: m.warnings,
    pending_mutations: [],
    display_status: m.deletedAt !== null ? 'deleted' : m.isIssued && !m.isEncodingRequired ? 'issued' : card ? 'encoding_required' : 'issuing',
    ...(m.mode === 'code' ? { code: m.code } : {}),
    ...(card ? { is_encoding_required: m.isEncodingRequired, is_ready_for_encoding: m.isEncodingRequired && m.entranceIds.length > 0 } : {}),
    // Beyond Seam's schema, only under lockstep_ keys (docs/seam-compatibility.md; the SDK's zod strips them):
    lockstep_metadata: {
      access_grant_id: m.accessGrantId,
      access_code_ids: m.accessCodes.map((c) => c.accessCodeId),
      device_ids: m.accessCodes.map((c) => c.deviceId),
      acs_entrance_ids: m.entranceIds,
      ...(card
        ? {
            card_uid: m.cardUid,
            acs_credential_id: m.acsCredentialId,
            encoded_starts_at: m.encoded ? isoUtc(m.encoded.window.startsAt) : null,
            encoded_ends_at: m.encoded?.window.endsAt != null ? isoUtc(m.encoded.window.endsAt) : null,
            encoded_acs_entrance_ids: m.encoded?.entranceIds ?? null,
          }
        : {}),
    },
  }
}

export function accessGrantWire(g: AccessGrant, uc: UseCases): Record<string, unknown> {
  const methods = uc.accessGrants.methodsOf(g.accessGrantId)
  const resolved = uc.accessGrants.resolve(g)
  const now = uc.now()
  return {
    access_grant_id: g.accessGrantId,
    workspace_id: uc.workspaceId,
    user_identity_id: g.userIdentityId,
    name: g.name,
    display_name: g.name ?? g.accessGrantKey ?? `Access grant ${g.accessGrantId.slice(0, 8)}`,
    starts_at: isoUtc(g.startsAt),
    ends_at: g.endsAt === null ? null : isoUtc(g.endsAt),
    space_ids: g.spaceIds,
    access_method_ids: methods.map((m) => m.accessMethodId),
    location_ids: [],
    requested_access_methods: g.requested.map((r) => ({
      mode: r.mode,
      display_name: MODE_NAMES[r.mode] ?? r.mode,
      created_at: r.created_at,
      created_access_method_ids: methods.filter((m) => m.mode === r.mode).map((m) => m.accessMethodId),
      ...(r.code !== undefined ? { code: r.code } : {}),
    })),
    created_at: isoUtc(g.createdAt),
    errors: g.errors,
    warnings: grantWarningsWire(g.warnings, uc.accessGrants.staleCardMethodIds(g, methods), g.updatedAt),
    pending_mutations: [],
    display_status: status(g.startsAt, g.endsAt, now),
    ...(g.accessGrantKey !== null ? { access_grant_key: g.accessGrantKey } : {}),
    ...(g.reservationKey !== null ? { reservation_key: g.reservationKey } : {}),
    // Beyond Seam's schema, only under lockstep_ keys:
    lockstep_metadata: {
      device_ids: resolved.devices.map((d) => d.deviceId),
      acs_entrance_ids: resolved.entrances.map((e) => e.entranceId),
      reservation_entrance_ids: g.reservationEntranceIds,
      reservation_capable_acs_entrance_ids: g.capableEntranceIds,
      source: g.source === 'api' ? 'api' : `customers/push_data:${g.source}`,
      customer_key: g.customerKey,
    },
  }
}

const requestedMethod = z.object({
  mode: z.enum(['code', 'card', 'mobile_key', 'cloud_key']),
  code: z.string().optional(),
  instant_key_max_use_count: z.int().min(1).optional(),
})

const createParams = z
  .object({
    user_identity_id: uuid.optional(),
    user_identity: z.object(contactFields).optional(),
    requested_access_methods: z.array(requestedMethod).min(1, 'must request at least one access method'),
    space_ids: idList.optional(),
    space_keys: z.array(key).optional(),
    device_ids: idList.optional(),
    acs_entrance_ids: idList.optional(),
    starts_at: timestamp.optional(),
    ends_at: timestamp.nullish(),
    name: z.string().max(200).nullish(),
    access_grant_key: key.optional(),
    reservation_key: key.optional(),
    customization_profile_id: uuid.optional(),
    location_ids: idList.optional(),
  })
  .refine((p) => (p.user_identity_id === undefined) !== (p.user_identity === undefined), { message: 'give exactly one of user_identity_id or user_identity', path: ['user_identity_id'] })

const refShape = { access_grant_id: uuid.optional(), access_grant_key: key.optional() }
const refParams = z.object(refShape).refine((p) => p.access_grant_id || p.access_grant_key, { message: 'access_grant_id or access_grant_key is required' })
const updateParams = z
  .object({ ...refShape, starts_at: timestamp.optional(), ends_at: timestamp.nullish(), name: z.string().max(200).nullish() })
  .refine((p) => p.access_grant_id || p.access_grant_key, { message: 'access_grant_id or access_grant_key is required' })
const listParams = z.object({
  user_identity_id: uuid.optional(),
  space_id: uuid.optional(),
  device_id: uuid.optional(),
  acs_entrance_id: uuid.optional(),
  acs_system_id: uuid.optional(),
  access_code_id: uuid.optional(),
  access_grant_ids: idList.optional(),
  access_grant_key: key.optional(),
  reservation_key: key.optional(),
  customer_key: key.optional(),
  location_id: uuid.optional(),
  search: z.string().optional(),
  ...pageParams,
})
const methodFilters = {
  access_grant_id: uuid.optional(),
  access_grant_key: key.optional(),
  device_id: uuid.optional(),
  acs_entrance_id: uuid.optional(),
  space_id: uuid.optional(),
  access_code_id: uuid.optional(),
}
const methodListParams = z
  .object({ ...methodFilters, ...pageParams })
  .refine((p) => Object.keys(methodFilters).some((k) => (p as Record<string, unknown>)[k] != null), {
    message: 'give one of access_grant_id, access_grant_key, device_id, acs_entrance_id, space_id, access_code_id',
  })
const methodDeleteParams = z
  .object({ access_method_id: uuid.optional(), access_grant_id: uuid.optional(), reservation_key: key.optional() })
  .refine((p) => [p.access_method_id, p.access_grant_id, p.reservation_key].filter((x) => x != null).length === 1, {
    message: 'give exactly one of access_method_id, access_grant_id, reservation_key',
  })

export function accessGrantRoutes(app: FastifyInstance, uc: UseCases): void {
  const grants = uc.accessGrants
  const wire = (g: AccessGrant) => accessGrantWire(g, uc)

  addRoute(app, {
    path: '/access_grants/create', verbs: ['POST'], params: createParams,
    handler: (p) => {
      const u = p.user_identity
      const grant = grants.create({
        ...(u
          ? { userIdentity: { fullName: u.full_name, emailAddress: u.email_address, phoneNumber: u.phone_number, userIdentityKey: u.user_identity_key } }
          : { userIdentityId: p.user_identity_id! }),
        requested: p.requested_access_methods.map((r) => (r.code === undefined ? { mode: r.mode } : { mode: r.mode, code: r.code })),
        targets: { spaceIds: p.space_ids, spaceKeys: p.space_keys, deviceIds: p.device_ids, acsEntranceIds: p.acs_entrance_ids },
        startsAt: p.starts_at,
        endsAt: p.ends_at ?? null,
        name: p.name ?? null,
        accessGrantKey: p.access_grant_key ?? null,
        reservationKey: p.reservation_key ?? null,
      })
      return { access_grant: wire(grant) }
    },
  })
  addRoute(app, {
    path: '/access_grants/get', verbs: ['GET'], params: refParams,
    handler: (p) => ({ access_grant: wire(grants.get({ id: p.access_grant_id, key: p.access_grant_key })) }),
  })
  addRoute(app, {
    path: '/access_grants/list', verbs: ['GET'], params: listParams,
    handler: (p) => {
      const list = grants.list({
        userIdentityId: p.user_identity_id, spaceId: p.space_id ?? p.location_id, deviceId: p.device_id, acsEntranceId: p.acs_entrance_id,
        acsSystemId: p.acs_system_id, accessCodeId: p.access_code_id, accessGrantIds: p.access_grant_ids, accessGrantKey: p.access_grant_key,
        reservationKey: p.reservation_key, customerKey: p.customer_key, search: p.search,
      })
      const { page, pagination } = paginate(list, p, 500)
      return { access_grants: page.map(wire), pagination }
    },
  })
  addRoute(app, {
    path: '/access_grants/update', verbs: ['PATCH', 'PUT'], params: updateParams,
    handler: (p) => {
      const g = grants.update({ id: p.access_grant_id, key: p.access_grant_key }, { startsAt: p.starts_at, endsAt: p.ends_at, name: p.name })
      return { access_grant: wire(g) }
    },
  })
  addRoute(app, {
    path: '/access_grants/delete', verbs: ['DELETE'], params: z.object({ access_grant_id: uuid }),
    // Seam answers a bare ok; issued cards that stay valid are told on their access_method.deleted events (lockstep_warnings).
    handler: (p) => (grants.delete(p.access_grant_id), {}),
  })

  addRoute(app, {
    path: '/access_methods/get', verbs: ['GET'], params: z.object({ access_method_id: uuid }),
    handler: (p) => ({ access_method: accessMethodWire(grants.getMethod(p.access_method_id), uc.workspaceId) }),
  })
  addRoute(app, {
    path: '/access_methods/list', verbs: ['GET'], params: methodListParams,
    handler: (p) => {
      const list = grants.listMethods({
        accessGrantId: p.access_grant_id, accessGrantKey: p.access_grant_key, deviceId: p.device_id, acsEntranceId: p.acs_entrance_id,
        spaceId: p.space_id, accessCodeId: p.access_code_id,
      })
      const { page, pagination } = paginate(list, p, 500)
      return { access_methods: page.map((m) => accessMethodWire(m, uc.workspaceId)), pagination }
    },
  })
  addRoute(app, {
    path: '/access_methods/delete', verbs: ['DELETE'], params: methodDeleteParams,
    handler: (p) => (grants.deleteMethods({ accessMethodId: p.access_method_id, accessGrantId: p.access_grant_id, reservationKey: p.reservation_key }), {}),
  })
}
