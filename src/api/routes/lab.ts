// Lab-only routes (/lab/*): drive the simulated property. Same auth and envelope as the Seam routes.
import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import { isoUtc } from '../../kernel/clock.js'
import { DomainError } from '../../domain/errors.js'
import type { LabControl } from '../../lab/control.js'
import type { UseCases } from '../../app/index.js'
import { addRoute } from '../route.js'
import { uuid } from '../schemas.js'

const hex = (bytes: number) => z.string().regex(new RegExp(`^[0-9a-fA-F]{${bytes * 2}}$`), `must be ${bytes} bytes of hex`)

export function labRoutes(app: FastifyInstance, uc: UseCases, lab: LabControl): void {
  const lockOf = (deviceId: string) => {
    uc.devices.get(deviceId)
    const lock = lab.lock(deviceId)
    if (!lock) throw new DomainError('device_not_simulated', 'This device is not simulated by the lab', 400)
    return lock
  }
  const cards = () => {
    if (!lab.cards) throw new DomainError('lab_cards_unavailable', 'The lab has no simulated card encoder or card locks', 400)
    return lab.cards
  }

  addRoute(app, {
    path: '/lab/locks/enter_code', verbs: [], params: z.object({ device_id: uuid, code: z.string().regex(/^\d{1,12}$/, 'must be 1-12 digits') }),
    handler: async (p) => ({ result: await lockOf(p.device_id).enterCode(p.code) }),
  })
  addRoute(app, {
    path: '/lab/locks/program_code', verbs: [],
    params: z.object({ device_id: uuid, slot: z.int().min(0).max(10_000), code: z.string().regex(/^\d{1,12}$/, 'must be 1-12 digits').nullable() }),
    handler: async (p) => (await lockOf(p.device_id).programCode(p.slot, p.code), {}),
  })
  addRoute(app, {
    path: '/lab/locks/slots', verbs: [], params: z.object({ device_id: uuid }),
    handler: async (p) => ({ slots: await lockOf(p.device_id).slots() }),
  })
  addRoute(app, {
    path: '/lab/devices/set_online', verbs: [], params: z.object({ device_id: uuid, online: z.boolean() }),
    handler: async (p) => (await lockOf(p.device_id).setOnline(p.online), {}),
  })
  addRoute(app, {
    path: '/lab/devices/set_battery', verbs: [], params: z.object({ device_id: uuid, battery_level: z.number().min(0).max(1) }),
    handler: async (p) => {
      const lock = lockOf(p.device_id)
      if (!lock.setBattery) throw new DomainError('lab_battery_unsupported', 'This simulated lock does not model its battery', 400)
      return (await lock.setBattery(p.battery_level), {})
    },
  })
  addRoute(app, {
    path: '/lab/clock/advance', verbs: [], params: z.object({ seconds: z.number().positive().max(10 * 365 * 86400) }),
    handler: (p) => {
      lab.advanceClock(p.seconds)
      return { clock: { now: isoUtc(lab.now()) } }
    },
  })
  addRoute(app, {
    path: '/lab/clock/get', verbs: ['GET'], params: z.object({}),
    handler: () => ({ clock: { now: isoUtc(lab.now()) } }),
  })

  addRoute(app, { path: '/lab/cards/create', verbs: [], params: z.object({}), handler: () => ({ card: cards().create() }) })
  addRoute(app, { path: '/lab/cards/get', verbs: [], params: z.object({ card_id: z.string().min(1) }), handler: (p) => ({ card: cards().get(p.card_id) }) })
  addRoute(app, { path: '/lab/cards/clone', verbs: [], params: z.object({ card_id: z.string().min(1) }), handler: (p) => ({ card: cards().clone(p.card_id) }) })
  addRoute(app, {
    path: '/lab/cards/write_block', verbs: [], params: z.object({ card_id: z.string().min(1), block: z.int().min(0).max(63), data: hex(16) }),
    handler: (p) => (cards().writeBlock(p.card_id, p.block, p.data), {}),
  })
  addRoute(app, {
    path: '/lab/encoders/place_card', verbs: [], params: z.object({ acs_encoder_id: uuid, card_id: z.string().min(1) }),
    handler: (p) => (uc.acs.encoder(p.acs_encoder_id), cards().placeOnEncoder(p.acs_encoder_id, p.card_id), {}),
  })
  addRoute(app, {
    path: '/lab/encoders/remove_card', verbs: [], params: z.object({ acs_encoder_id: uuid }),
    handler: (p) => (uc.acs.encoder(p.acs_encoder_id), cards().removeFromEncoder(p.acs_encoder_id), {}),
  })
  addRoute(app, {
    path: '/lab/entrances/present_card', verbs: [], params: z.object({ acs_entrance_id: uuid, card_id: z.string().min(1) }),
    handler: (p) => (uc.acs.entrance(p.acs_entrance_id), { result: cards().present(p.acs_entrance_id, p.card_id) }),
  })
  addRoute(app, {
    path: '/lab/entrances/audit_log', verbs: [], params: z.object({ acs_entrance_id: uuid }),
    handler: (p) => (uc.acs.entrance(p.acs_entrance_id), { audit_log: cards().auditLog(p.acs_entrance_id) }),
  })
}

