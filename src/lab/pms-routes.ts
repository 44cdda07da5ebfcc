// /lab/pms/*: drive the lab's hotel PMS over FIAS (check-in, checkout, move, read), as a clerk at OPERA would.
import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import { addRoute } from '../api/route.js'
import type { LabPms } from './pms-lab.js'

const room = z.string().regex(/^[\x21-\x7e]{1,16}$/, 'a room number (RN)')
const fiasDate = z.string().regex(/^\d{6}$/, 'YYMMDD')
const stay = {
  room,
  guest: z.string().min(1).max(200).optional(),
  reservation: z.string().regex(/^\d{1,10}$/, 'a reservation number (G#, digits)').optional(),
  arrival: fiasDate.optional(),
  departure: fiasDate.optional(),
  departure_time: z.string().regex(/^\d{2}:?\d{2}$/, 'HH:MM').optional(),
  encoder: z.string().regex(/^[\x21-\x7e]{1,8}$/, 'a key coder id (KC)').optional(),
  workstation: z.string().regex(/^[\x21-\x7e]{1,16}$/).optional(),
  place_cards: z.boolean().optional(),
}

export function labPmsRoutes(app: FastifyInstance, pms: LabPms): void {
  addRoute(app, {
    path: '/lab/pms/checkin', verbs: [],
    params: z.strictObject({ ...stay, keys: z.int().min(1).max(10).optional(), first: z.enum(['new', 'duplicate', 'one_shot']).optional() }),
    handler: (p) => pms.checkin(p) as unknown as Promise<Record<string, unknown>>,
  })
  addRoute(app, {
    path: '/lab/pms/checkout', verbs: [],
    params: z.strictObject({ room, reservation: stay.reservation, encoder: stay.encoder, workstation: stay.workstation }),
    handler: async (p) => ({ exchange: await pms.checkout(p) }),
  })
  addRoute(app, {
    path: '/lab/pms/move', verbs: [],
    params: z.strictObject({ ...stay, reservation: z.string().regex(/^\d{1,10}$/), old_room: room.optional() }),
    handler: async (p) => ({ exchange: await pms.move(p) }),
  })
  addRoute(app, {
    path: '/lab/pms/read', verbs: [],
    params: z.strictObject({ card_id: z.string().min(1).optional(), encoder: stay.encoder, workstation: stay.workstation }),
    handler: async (p) => ({ exchange: await pms.read(p) }),
  })
  addRoute(app, { path: '/lab/pms/status', verbs: ['GET'], params: z.strictObject({}), handler: () => ({ pms: pms.status() }) })
  addRoute(app, {
    path: '/lab/pms/restart_link', verbs: [], params: z.strictObject({}),
    handler: () => (pms.sim.restartLink(), { pms: pms.status() }),
  })
  addRoute(app, {
    path: '/lab/pms/drop_connection', verbs: [], params: z.strictObject({}),
    handler: () => (pms.sim.dropConnection(), { pms: pms.status() }),
  })
}
