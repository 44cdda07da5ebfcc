// /access_codes/* and /access_codes/unmanaged/* (Seam wire format).
import { createHash } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import { DomainError, invalidInput, notFound } from '../../domain/errors.js'
import { generateCode } from '../../domain/access-code.js'
import type { AccessCode } from '../../domain/access-code.js'
import type { Store } from '../../store/store.js'
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
}

const createParams = z.object({ device_id: uuid, ...createFields })
const createMultipleParams = z.object({
  device_ids: z.array(uuid).min(1),
  behavior_when_code_cannot_be_shared: z.enum(['throw', 'create_random_code']).optional(),
  ...createFields,
})
const getParams = z
  .object({ access_code_id: uuid.optional(), device_id: uuid.optional(), code: codeString.optional() })
  .refine((p) => p.access_code_id || (p.device_id && p.code), { message: 'access_code_id, or device_id and code, is required' })
const listParams = z
  .object({ device_id: uuid.optional(), access_code_ids: idList.optional(), search: z.string().optional(), ...pageParams })
  .refine((p) => p.device_id || p.access_code_ids, { message: 'device_id or access_code_ids is required' })
const updateParams = z.object({
  access_code_id: uuid,
  device_id: uuid.optional(),
  type: z.enum(['ongoing', 'time_bound']).optional(),
  is_managed: z.literal(true).optional(),
  ...createFields,
})
const deleteParams = z.object({ access_code_id: uuid, device_id: uuid.optional() })
const generateParams = z.object({ device_id: uuid })
const unmanagedListParams = z.object({ device_id: uuid, search: z.string().optional(), ...pageParams })
const convertParams = z.object({
  access_code_id: uuid,
  allow_external_modification: z.boolean().optional(),
  is_external_modification_allowed: z.boolean().optional(),
  force: z.boolean().optional(),
})

export function accessCodeRoutes(app: FastifyInstance, store: Store): void {
  const wire = (c: AccessCode) => accessCodeWire(c, store.devices.get(c.deviceId), store.workspaceId)
  const findByCode = (deviceId: string, code: string, managed: boolean) => {
    store.devices.get(deviceId)
    const c = store.accessCodes.onDevice(deviceId).find((x) => x.code === code && x.isManaged === managed)
    if (!c) throw notFound('access_code')
    return c
  }

  addRoute(app, {
    path: '/access_codes/create',
    verbs: ['POST'],
    params: createParams,
    handler: (p) => {
      const created = store.tx(() =>
        store.accessCodes.create({
          deviceId: p.device_id,
          name: p.name ?? null,
          code: p.code ?? null,
          startsAt: p.starts_at ?? null,
          endsAt: p.ends_at ?? null,
          allowExternalModification: p.allow_external_modification ?? p.is_external_modification_allowed ?? false,
          isOneTimeUse: p.is_one_time_use ?? false,
          commonCodeKey: p.common_code_key ?? null,
          preferredCodeLength: p.preferred_code_length ?? null,
        }),
      )
      return { access_code: wire(created) }
    },
  })

  addRoute(app, {
    path: '/access_codes/create_multiple',
    verbs: ['PUT'],
    params: createMultipleParams,
    handler: (p, request) => {
      // PUT may be retried by the SDK after a lost answer: the same body within 10 minutes returns the same codes.
      const bodyHash = createHash('sha256').update(JSON.stringify(request.body ?? request.query)).digest('hex')
      const codes = store.tx(() => {
        const earlier = store.idempotency.recall('access_codes/create_multiple', bodyHash, 10 * 60_000)
        if (earlier) return (JSON.parse(earlier) as string[]).map((id) => store.accessCodes.get(id, true))
        const commonKey = p.common_code_key ?? `auto_set_by_lockstep_${store.ctx.random.uuid()}`
        let shared = p.code ?? null
        if (shared === null) {
          // One code every device accepts and none already holds.
          const devices = p.device_ids.map((id) => store.devices.get(id))
          const taken = new Set(devices.flatMap((d) => store.accessCodes.onDevice(d.deviceId).map((c) => c.code ?? '')))
          const tightest = devices.reduce((acc, d) => ({
            ...acc,
            minLength: Math.max(acc.minLength, d.constraints.minLength),
            maxLength: Math.min(acc.maxLength, d.constraints.maxLength),
            alphabet: [...acc.alphabet].filter((ch) => d.constraints.alphabet.includes(ch)).join(''),
            noLeadingZero: acc.noLeadingZero || d.constraints.noLeadingZero,
          }), devices[0]!.constraints)
          if (tightest.minLength <= tightest.maxLength && tightest.alphabet.length > 0) {
            shared = generateCode(tightest, taken, store.ctx.random, p.preferred_code_length ?? undefined)
          } else if (p.behavior_when_code_cannot_be_shared !== 'create_random_code') {
            throw new DomainError('cannot_share_code', 'No single code fits every device in device_ids; pass behavior_when_code_cannot_be_shared=create_random_code', 400)
          }
        }
        const made = p.device_ids.map((deviceId) => {
          let code = shared
          if (code !== null && p.behavior_when_code_cannot_be_shared === 'create_random_code') {
            const d = store.devices.get(deviceId)
            const fits = code.length >= d.constraints.minLength && code.length <= d.constraints.maxLength &&
              [...code].every((ch) => d.constraints.alphabet.includes(ch)) && !store.accessCodes.onDevice(deviceId).some((c) => c.code === code)
            if (!fits) code = null
          }
          return store.accessCodes.create({
            deviceId, name: p.name ?? null, code, startsAt: p.starts_at ?? null, endsAt: p.ends_at ?? null,
            allowExternalModification: p.allow_external_modification ?? p.is_external_modification_allowed ?? false,
            isOneTimeUse: p.is_one_time_use ?? false, commonCodeKey: commonKey, preferredCodeLength: p.preferred_code_length ?? null,
          })
        })
        store.idempotency.remember('access_codes/create_multiple', bodyHash, JSON.stringify(made.map((c) => c.accessCodeId)))
        return made
      })
      return { access_codes: codes.map(wire) }
    },
  })

  addRoute(app, {
    path: '/access_codes/get',
    verbs: ['GET'],
    params: getParams,
    handler: (p) => {
      const c = p.access_code_id ? store.accessCodes.get(p.access_code_id, true) : findByCode(p.device_id!, p.code!, true)
      if (p.device_id && c.deviceId !== p.device_id) throw notFound('access_code', p.access_code_id)
      return { access_code: wire(c) }
    },
  })

  addRoute(app, {
    path: '/access_codes/list',
    verbs: ['GET'],
    params: listParams,
    handler: (p) => {
      if (p.device_id) store.devices.get(p.device_id)
      const all = store.accessCodes.list({ managed: true, deviceId: p.device_id, accessCodeIds: p.access_code_ids, search: p.search })
      const { page, pagination } = paginate(all, p, 55_000)
      return { access_codes: page.map(wire), pagination }
    },
  })

  addRoute(app, {
    path: '/access_codes/update',
    verbs: ['PATCH', 'PUT'],
    params: updateParams,
    handler: (p) => {
      if (p.device_id) {
        const current = store.accessCodes.get(p.access_code_id, true)
        if (current.deviceId !== p.device_id) throw invalidInput('an access code cannot move to another device; create a new one', 'device_id')
      }
      const updated = store.tx(() =>
        store.accessCodes.update(p.access_code_id, {
          name: p.name,
          code: p.code,
          startsAt: p.starts_at,
          endsAt: p.ends_at,
          type: p.type,
          allowExternalModification: p.allow_external_modification ?? p.is_external_modification_allowed,
          isOneTimeUse: p.is_one_time_use,
          preferredCodeLength: p.preferred_code_length,
        }),
      )
      return { access_code: wire(updated) }
    },
  })

  addRoute(app, {
    path: '/access_codes/delete',
    verbs: ['DELETE'],
    params: deleteParams,
    handler: (p) => {
      store.tx(() => store.accessCodes.delete(p.access_code_id, true))
      return {}
    },
  })

  addRoute(app, {
    path: '/access_codes/generate_code',
    verbs: ['GET'],
    params: generateParams,
    handler: (p) => {
      const device = store.devices.get(p.device_id)
      const taken = new Set(store.accessCodes.onDevice(device.deviceId).map((c) => c.code ?? ''))
      return { generated_code: { device_id: device.deviceId, code: generateCode(device.constraints, taken, store.ctx.random) } }
    },
  })

  addRoute(app, {
    path: '/access_codes/unmanaged/list',
    verbs: ['GET'],
    params: unmanagedListParams,
    handler: (p) => {
      store.devices.get(p.device_id)
      const all = store.accessCodes.list({ managed: false, deviceId: p.device_id, search: p.search })
      const { page, pagination } = paginate(all, p, 300_000)
      return { access_codes: page.map(wire), pagination }
    },
  })

  addRoute(app, {
    path: '/access_codes/unmanaged/get',
    verbs: ['GET'],
    params: getParams,
    handler: (p) => {
      const c = p.access_code_id ? store.accessCodes.get(p.access_code_id, false) : findByCode(p.device_id!, p.code!, false)
      return { access_code: wire(c) }
    },
  })

  addRoute(app, {
    path: '/access_codes/unmanaged/convert_to_managed',
    verbs: ['PATCH'],
    params: convertParams,
    handler: (p) => {
      store.tx(() => store.accessCodes.convertToManaged(p.access_code_id, p.allow_external_modification ?? p.is_external_modification_allowed ?? false))
      return {}
    },
  })

  addRoute(app, {
    path: '/access_codes/unmanaged/delete',
    verbs: ['DELETE'],
    params: deleteParams,
    handler: (p) => {
      store.tx(() => store.accessCodes.delete(p.access_code_id, false))
      return {}
    },
  })
}
