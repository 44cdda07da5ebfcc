// /acs/systems/*, /acs/entrances/*, /acs/encoders/list|get — the offline card-lock side.
import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import { isoUtc } from '../../kernel/clock.js'
import { notFound } from '../../domain/errors.js'
import type { AcsEncoder, AcsEntrance } from '../../app/records.js'
import type { UseCases } from '../../app/index.js'
import { paginate } from '../pagination.js'
import { addRoute } from '../route.js'
import { idList, pageParams, uuid } from '../schemas.js'

export function entranceWire(e: AcsEntrance, uc: UseCases): Record<string, unknown> {
  return {
    acs_entrance_id: e.acsEntranceId,
    acs_system_id: e.acsSystemId,
    connected_account_id: uc.acs.connectedAccountId,
    display_name: e.displayName,
    created_at: isoUtc(e.createdAt),
    space_ids: uc.spaces.ofEntrance(e.acsEntranceId),
    errors: [],
    warnings: [],
    can_unlock_with_card: true,
    can_unlock_with_code: false,
    can_unlock_with_mobile_key: false,
    can_belong_to_reservation: e.canBelongToReservation,
  }
}

export function encoderWire(e: AcsEncoder, uc: UseCases, online: boolean): Record<string, unknown> {
  return {
    acs_encoder_id: e.acsEncoderId,
    acs_system_id: e.acsSystemId,
    connected_account_id: uc.acs.connectedAccountId,
    workspace_id: uc.workspaceId,
    display_name: e.displayName,
    created_at: isoUtc(e.createdAt),
    // Seam's schema admits only `acs_encoder_removed` here, so reachability goes in our own object.
    errors: [],
    lockstep_metadata: { is_online: online },
  }
}

export function acsSystemWire(s: { acsSystemId: string; name: string; createdAt: number }, uc: UseCases): Record<string, unknown> {
  return {
    acs_system_id: s.acsSystemId,
    name: s.name,
    is_credential_manager: false,
    location: { time_zone: null },
    created_at: isoUtc(s.createdAt),
    workspace_id: uc.workspaceId,
    connected_account_ids: [uc.acs.connectedAccountId],
    connected_account_id: uc.acs.connectedAccountId,
    image_url: 'https://connect.getseam.com/assets/images/acs_systems/default.png',
    image_alt_text: s.name,
    errors: [],
    warnings: [],
    external_type_display_name: 'lockstep offline card locks',
  }
}

export function acsRoutes(app: FastifyInstance, uc: UseCases, encoderOnline: (acsEncoderId: string) => boolean = () => false): void {
  const systemWire = (s: { acsSystemId: string; name: string; createdAt: number }) => acsSystemWire(s, uc)

  addRoute(app, {
    path: '/acs/systems/list', verbs: ['GET'], params: z.object({ connected_account_id: uuid.optional(), search: z.string().optional(), ...pageParams }),
    handler: (p) => {
      const q = p.search?.toLowerCase()
      const systems = uc.acs.systems()
        .filter((s) => (!p.connected_account_id || p.connected_account_id === uc.acs.connectedAccountId) && (!q || s.name.toLowerCase().includes(q)))
      const { page, pagination } = paginate(systems.map((s, i) => ({ ...s, seq: i })), p, 500)
      return { acs_systems: page.map(systemWire), pagination }
    },
  })
  addRoute(app, {
    path: '/acs/systems/get', verbs: ['GET'], params: z.object({ acs_system_id: uuid }),
    handler: (p) => {
      const s = uc.acs.systems().find((x) => x.acsSystemId === p.acs_system_id)
      if (!s) throw notFound('acs_system', p.acs_system_id)
      return { acs_system: systemWire(s) }
    },
  })
  addRoute(app, {
    path: '/acs/entrances/list', verbs: ['GET'],
    params: z.object({
      acs_system_id: uuid.optional(), space_id: uuid.optional(), acs_entrance_ids: idList.optional(), search: z.string().optional(),
      acs_credential_id: uuid.optional(), connected_account_id: uuid.optional(), customer_key: z.string().min(1).optional(),
      location_id: uuid.nullish(), // Seam's deprecated name for a space
      ...pageParams,
    }),
    handler: (p) => {
      const q = p.search?.toLowerCase()
      const ofCredential = p.acs_credential_id ? new Set(uc.acs.entrancesOfCredential(p.acs_credential_id) ?? []) : undefined
      // An entrance belongs to a customer through a space of that customer.
      const ofCustomer = p.customer_key ? new Set(uc.spaces.list({ customerKey: p.customer_key }).flatMap((s) => s.acsEntranceIds)) : undefined
      const inSpace = (e: AcsEntrance, spaceId: string | null | undefined) => !spaceId || uc.spaces.ofEntrance(e.acsEntranceId).includes(spaceId)
      const list = uc.acs.entrances().filter((e) =>
        (!p.acs_system_id || e.acsSystemId === p.acs_system_id) &&
        (!p.acs_entrance_ids?.length || p.acs_entrance_ids.includes(e.acsEntranceId)) &&
        inSpace(e, p.space_id) && inSpace(e, p.location_id) &&
        (!ofCredential || ofCredential.has(e.acsEntranceId)) &&
        (!ofCustomer || ofCustomer.has(e.acsEntranceId)) &&
        (!p.connected_account_id || p.connected_account_id === uc.acs.connectedAccountId) &&
        (!q || e.displayName.toLowerCase().includes(q)))
      const { page, pagination } = paginate(list, p, 900)
      return { acs_entrances: page.map((e) => entranceWire(e, uc)), pagination }
    },
  })
  addRoute(app, {
    path: '/acs/entrances/get', verbs: ['GET'], params: z.object({ acs_entrance_id: uuid }),
    handler: (p) => ({ acs_entrance: entranceWire(uc.acs.entrance(p.acs_entrance_id), uc) }),
  })
  addRoute(app, {
    path: '/acs/encoders/list', verbs: ['GET'],
    params: z.object({ acs_system_id: uuid.optional(), acs_system_ids: idList.optional(), acs_encoder_ids: idList.optional(), ...pageParams }),
    handler: (p) => {
      const systems = [...(p.acs_system_ids ?? []), ...(p.acs_system_id ? [p.acs_system_id] : [])]
      const list = uc.acs.encoders().filter((e) => (!systems.length || systems.includes(e.acsSystemId)) && (!p.acs_encoder_ids?.length || p.acs_encoder_ids.includes(e.acsEncoderId)))
      const { page, pagination } = paginate(list, p, 500)
      return { acs_encoders: page.map((e) => encoderWire(e, uc, encoderOnline(e.acsEncoderId))), pagination }
    },
  })
  addRoute(app, {
    path: '/acs/encoders/get', verbs: ['GET'], params: z.object({ acs_encoder_id: uuid }),
    handler: (p) => ({ acs_encoder: encoderWire(uc.acs.encoder(p.acs_encoder_id), uc, encoderOnline(p.acs_encoder_id)) }),
  })
}
