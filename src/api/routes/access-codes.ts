// /access_codes/* and /access_codes/unmanaged/* (Seam wire format).
import { createHash } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import type { AccessCode } from '../../domain/access-code.js'
import type { UseCases } from '../../app/index.js'
import { DomainError, notFound } from '../../domain/errors.js'
import { paginate } from '../pagination.js'
import { addRoute } from '../route.js'
import { idList, pageParams, timestamp, uuid } from '../schemas.js'
import { accessCodeWire } from '../wire.js'

const codeString = z.string().regex(/^\d+$/, 'must contain digits only').min(1).max(12)

const createFields = {
  name: z.string().max(200).nullish(),
  code: codeString.nullish(),
  starts_at: timestamp.nullish(),
  ends_at: timestamp.nullish(),
  allow_external_modification: z.boolean().optional(),
  is_external_modification_allowed: z.boolean().optional(),
  is_one_time_use: z.boolean().optional(),
  common_code_key: z.string().max(200).nullish(),
  preferred_code_length: z.int().min(1).max(12).nullish(),
  use_backup_access_code_pool: z.boolean().optional(),
}

// Seam's scheduling and delivery options. lockstep's drivers have no native schedules: lockstep programs a
// time-bound code at starts_at and removes it at ends_at, which is what Seam does when native scheduling is
// not supported, so either prefer_native_scheduling value is honoured. attempt_for_offline_device=false
// refuses an offline lock. The rest are refused by value in refused-params.ts (offline codes, sync=true).
const deliveryOptions = {
  prefer_native_scheduling: z.boolean().optional(),
  attempt_for_offline_device: z.boolean().optional(),
}
const singleCodeOptions = {
  ...deliveryOptions,
  sync: z.boolean().optional(),
  is_offline_access_code: z.boolean().optional(),
  use_offline_access_code: z.boolean().optional(),
  max_time_rounding: z.enum(['1hour', '1day', '1h', '1d']).optional(),
}

const createParams = z.object({ device_id: uuid, ...createFields, ...singleCodeOptions })
const createMultipleParams = z.object({
  device_ids: z.array(uuid).min(1),
  behavior_when_code_cannot_be_shared: z.enum(['throw', 'create_random_code']).optional(),
  ...createFields,
  ...deliveryOptions,
})
const getParams = z
  .object({ access_code_id: uuid.optional(), device_id: uuid.optional(), code: codeString.optional() })
  .refine((p) => p.access_code_id || (p.device_id && p.code), { message: 'access_code_id, or device_id and code, is required' })
const listFilters = {
  device_id: uuid.optional(),
  access_code_ids: idList.optional(),
  access_grant_id: uuid.optional(),
  access_grant_key: z.string().min(1).optional(),
  access_method_id: uuid.optional(),
  customer_key: z.string().min(1).optional(),
  search: z.string().optional(),
}
const listParams = z
  .object({ ...listFilters, ...pageParams })
  .refine((p) => Object.keys(listFilters).some((k) => (p as Record<string, unknown>)[k] != null), {
    message: `one of ${Object.keys(listFilters).join(', ')} is required`,
  })
const updateParams = z.object({
  access_code_id: uuid,
  device_id: uuid.optional(),
  type: z.enum(['ongoing', 'time_bound']).optional(),
  is_managed: z.literal(true).optional(),
  ...createFields,
  ...singleCodeOptions,
})
const deleteParams = z.object({ access_code_id: uuid, device_id: uuid.optional(), sync: z.boolean().optional() })
const unmanagedDeleteParams = z.object({ access_code_id: uuid, sync: z.boolean().optional() })
const generateParams = z.object({ device_id: uuid })
const unmanagedListParams = z.object({ device_id: uuid, search: z.string().optional(), ...pageParams })
const convertParams = z.object({
  access_code_id: uuid,
  allow_external_modification: z.boolean().optional(),
  is_external_modification_allowed: z.boolean().optional(),
  force: z.boolean().optional(),
  sync: z.boolean().optional(),
})

export function accessCodeRoutes(app: FastifyInstance, uc: UseCases): void {
  const codes = uc.accessCodes
  const wire = (c: AccessCode) => accessCodeWire(c, codes.deviceOf(c), uc.workspaceId, { backupAvailable: uc.backupCodes.available(c) })
  const fields = (p: z.infer<typeof createParams> | z.infer<typeof createMultipleParams>) => ({
    name: p.name ?? null,
    code: p.code ?? null,
    startsAt: p.starts_at ?? null,
    endsAt: p.ends_at ?? null,
    allowExternalModification: p.allow_external_modification ?? p.is_external_modification_allowed ?? false,
    isOneTimeUse: p.is_one_time_use ?? false,
    commonCodeKey: p.common_code_key ?? null,
    preferredCodeLength: p.preferred_code_length ?? null,
    useBackupPool: p.use_backup_access_code_pool ?? false,
  })

  const existing = (id: string): AccessCode | undefined => {
    try {
      return codes.get(id, true)
    } catch (err) {
      if (err instanceof DomainError && err.status === 404) return undefined
      throw err
    }
  }

  // access_grant_id / access_grant_key / access_method_id / customer_key: the codes the matching grants'
  // access methods hold (a grant belongs to a customer through push_data's customer_key).
  const ofGrants = (p: z.infer<typeof listParams>): ((c: AccessCode) => boolean) => {
    const sets: Set<string>[] = []
    const methodCodes = (methods: { accessCodes: AccessCode[] }[]) => new Set(methods.flatMap((m) => m.accessCodes.map((c) => c.accessCodeId)))
    const grantCodes = (grantIds: string[]) => methodCodes(grantIds.flatMap((id) => uc.accessGrants.methodsOf(id)))
    if (p.access_grant_id) sets.push(grantCodes([p.access_grant_id]))
    if (p.access_grant_key) sets.push(grantCodes(uc.accessGrants.list({ accessGrantKey: p.access_grant_key }).map((g) => g.accessGrantId)))
    if (p.access_method_id) sets.push(methodCodes([uc.accessGrants.getMethod(p.access_method_id)]))
    if (p.customer_key) sets.push(grantCodes(uc.accessGrants.list({ customerKey: p.customer_key }).map((g) => g.accessGrantId)))
    return (c) => sets.every((s) => s.has(c.accessCodeId))
  }

  addRoute(app, {
    path: '/access_codes/create',
    verbs: ['POST'],
    params: createParams,
    handler: (p) => ({ access_code: wire(codes.create({ deviceId: p.device_id, ...fields(p) }, { attemptForOfflineDevice: p.attempt_for_offline_device })) }),
  })

  addRoute(app, {
    path: '/access_codes/create_multiple',
    verbs: ['PUT'],
    params: createMultipleParams,
    handler: (p, request) => {
      // PUT may be retried by the SDK after a lost answer: the same body within 10 minutes returns the same codes.
      const requestHash = createHash('sha256').update(JSON.stringify(request.body ?? request.query)).digest('hex')
      const made = codes.createMultiple({
        ...fields(p), deviceIds: p.device_ids, behaviorWhenCodeCannotBeShared: p.behavior_when_code_cannot_be_shared, requestHash,
      }, { attemptForOfflineDevice: p.attempt_for_offline_device })
      return { access_codes: made.map(wire) }
    },
  })

  addRoute(app, {
    path: '/access_codes/get',
    verbs: ['GET'],
    params: getParams,
    handler: (p) => {
      const c = p.access_code_id ? codes.get(p.access_code_id, true) : codes.getByCode(p.device_id!, p.code!, true)
      if (p.device_id && c.deviceId !== p.device_id) throw notFound('access_code', p.access_code_id)
      return { access_code: wire(c) }
    },
  })

  addRoute(app, {
    path: '/access_codes/list',
    verbs: ['GET'],
    params: listParams,
    handler: (p) => {
      const all = codes.list({ managed: true, deviceId: p.device_id, accessCodeIds: p.access_code_ids, search: p.search })
        .filter(ofGrants(p))
      const { page, pagination } = paginate(all, p, 55_000)
      return { access_codes: page.map(wire), pagination }
    },
  })

  addRoute(app, {
    path: '/access_codes/update',
    verbs: ['PATCH', 'PUT'],
    params: updateParams,
    handler: (p) => {
      const updated = codes.update(p.access_code_id, {
        name: p.name,
        code: p.code,
        startsAt: p.starts_at,
        endsAt: p.ends_at,
        type: p.type,
        allowExternalModification: p.allow_external_modification ?? p.is_external_modification_allowed,
        isOneTimeUse: p.is_one_time_use,
        preferredCodeLength: p.preferred_code_length,
        useBackupPool: p.use_backup_access_code_pool,
      }, p.device_id, { attemptForOfflineDevice: p.attempt_for_offline_device })
      return { access_code: wire(updated) }
    },
  })

  addRoute(app, {
    path: '/access_codes/delete',
    verbs: ['DELETE'],
    params: deleteParams,
    handler: (p) => {
      // device_id must be the code's lock; a code already gone is left to delete (a repeated DELETE answers ok).
      const current = p.device_id ? existing(p.access_code_id) : undefined
      if (current && current.deviceId !== p.device_id) throw notFound('access_code', p.access_code_id)
      codes.delete(p.access_code_id, true)
      return {}
    },
  })

  addRoute(app, {
    path: '/access_codes/generate_code',
    verbs: ['GET'],
    params: generateParams,
    // A whole access code, as Seam answers: one that could be created, stored nowhere.
    handler: (p) => ({ generated_code: wire(codes.generateCode(p.device_id)) }),
  })

  addRoute(app, {
    path: '/access_codes/pull_backup_access_code',
    verbs: ['POST'],
    params: z.strictObject({ access_code_id: uuid }),
    handler: (p) => {
      const { accessCode, backup } = uc.backupCodes.pull(p.access_code_id)
      return { access_code: wire(accessCode), backup_access_code: wire(backup) }
    },
  })

  addRoute(app, {
    path: '/access_codes/unmanaged/list',
    verbs: ['GET'],
    params: unmanagedListParams,
    handler: (p) => {
      const all = codes.list({ managed: false, deviceId: p.device_id, search: p.search })
      const { page, pagination } = paginate(all, p, 300_000)
      return { access_codes: page.map(wire), pagination }
    },
  })

  addRoute(app, {
    path: '/access_codes/unmanaged/get',
    verbs: ['GET'],
    params: getParams,
    handler: (p) => {
      const c = p.access_code_id ? codes.get(p.access_code_id, false) : codes.getByCode(p.device_id!, p.code!, false)
      return { access_code: wire(c) }
    },
  })

  addRoute(app, {
    path: '/access_codes/unmanaged/convert_to_managed',
    verbs: ['PATCH'],
    params: convertParams,
    handler: (p) => (codes.convertToManaged(p.access_code_id, p.allow_external_modification ?? p.is_external_modification_allowed ?? false), {}),
  })

  addRoute(app, {
    path: '/access_codes/unmanaged/delete',
    verbs: ['DELETE'],
    params: unmanagedDeleteParams,
    handler: (p) => (codes.delete(p.access_code_id, false), {}),
  })
}
