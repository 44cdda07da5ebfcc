// The control API of `lockstep simulate` (loopback only, no key): the lab routes' paths and Seam's
// envelope, so tests, the soak and `lockstep lab … --url` drive the separate simulator as they drive the
// in-process lab. Devices, encoders and entrances are named by the daemon's ids (from commissioning.json)
// or by name.
import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import { DomainError } from '../domain/errors.js'
import { addRoute } from '../api/route.js'
import type { VirtualCardStore } from '../../simulators/mifare-classic/card-store.js'
import type { Pn532Simulator } from '../../simulators/pn532-encoder/encoder.js'
import type { Zigbee2MqttSimulator } from '../../simulators/zigbee2mqtt-lock/simulator.js'
import type { PtyLink } from './pty-link.js'
import type { SimCardLocks } from './sim-card-locks.js'

export interface SimulatedEncoder {
  name: string
  /** The encoder on the current link (replaced on each plug). */
  sim: Pn532Simulator
  link: PtyLink
  /** The virtual card lying on it. */
  card: string | null
  /** Fault: pull the cable on this write exchange (1 = the first), then plug it back after replugMs. */
  unplugAt?: { write: number; seen: number; replugMs: number | null }
}

/** What the routes drive: SimulatedSite (simulate.ts). */
export interface SimSite {
  readonly brokerUrl: string
  readonly zigbee: Zigbee2MqttSimulator | null
  readonly encoders: Map<string, SimulatedEncoder>
  readonly cards: VirtualCardStore
  readonly cardLocks: SimCardLocks
  readonly skipped: string[]
  readonly opts: { statePath: string }
  readonly stateFile: { writes: number }
  encoder(ref: { name?: string | undefined; acs_encoder_id?: string | undefined }): SimulatedEncoder
  zigbeeLock(ref: { name?: string | undefined; device_id?: string | undefined }): string
  unplug(enc: SimulatedEncoder, replugMs: number | null): void
}

const hex = (bytes: number) => z.string().regex(new RegExp(`^[0-9a-fA-F]{${bytes * 2}}$`), `must be ${bytes} bytes of hex`)
const code = z.string().regex(/^\d{1,12}$/, 'must be 1-12 digits')
const lockRef = { device_id: z.string().min(1).optional(), name: z.string().min(1).optional() }
const encoderRef = { acs_encoder_id: z.string().min(1).optional(), name: z.string().min(1).optional() }
const entranceRef = { acs_entrance_id: z.string().min(1).optional(), name: z.string().min(1).optional() }

/** The card simulators signal an unknown card with RangeError: a 400 here, as in the in-process lab. */
function labCall<T>(fn: () => T): T {
  try {
    return fn()
  } catch (e) {
    if (e instanceof RangeError) throw new DomainError('lab_invalid_request', e.message, 400)
    throw e
  }
}

export function simRoutes(app: FastifyInstance, site: SimSite): void {
  const z2m = () => site.zigbee!
  addRoute(app, {
    path: '/lab/status', verbs: ['GET'], params: z.strictObject({}),
    handler: () => ({
      simulation: {
        broker_url: site.brokerUrl,
        zigbee_locks: site.zigbee?.deviceNames() ?? [],
        encoders: [...site.encoders.values()].map((e) => ({ name: e.name, serial_path: e.link.hostPath, plugged: e.link.plugged, socat_pid: e.link.pid ?? null, card_id: e.card })),
        card_locks_commissioned: site.cardLocks.commissioned,
        state_file: site.opts.statePath,
        state_writes: site.stateFile.writes,
        skipped: site.skipped,
      },
    }),
  })
  addRoute(app, {
    path: '/lab/locks/enter_code', verbs: [], params: z.strictObject({ ...lockRef, code }),
    handler: (p) => {
      const r = z2m().enterCode(site.zigbeeLock(p), p.code)
      return { result: { granted: r.granted, reason: r.granted ? 'granted' : r.reason } }
    },
  })
  addRoute(app, {
    path: '/lab/locks/program_code', verbs: [], params: z.strictObject({ ...lockRef, slot: z.int().min(0).max(10_000), code: code.nullable() }),
    handler: (p) => {
      const r = z2m().programCode(site.zigbeeLock(p), p.slot, p.code)
      if (!r.accepted) throw new DomainError('lock_refused_code', `The lock refused the change: ${r.reason ?? 'refused'}`, 400)
      return {}
    },
  })
  addRoute(app, {
    path: '/lab/locks/slots', verbs: ['GET'], params: z.strictObject(lockRef),
    handler: (p) => ({ slots: z2m().slots(site.zigbeeLock(p)) }),
  })
  addRoute(app, {
    path: '/lab/devices/set_online', verbs: [], params: z.strictObject({ ...lockRef, online: z.boolean() }),
    handler: (p) => (z2m().setOnline(site.zigbeeLock(p), p.online), {}),
  })
  addRoute(app, {
    path: '/lab/clock/advance', verbs: [], params: z.strictObject({ seconds: z.number() }),
    handler: () => {
      throw new DomainError('clock_not_shared', 'lockstep simulate runs on real time: the daemon and the simulator are separate processes with their own clocks (use the one-process lab, npm start, to move time)', 400)
    },
  })

  addRoute(app, { path: '/lab/cards/create', verbs: [], params: z.strictObject({}), handler: () => ({ card: { card_id: site.cards.createBlank().cardId } }) })
  addRoute(app, {
    path: '/lab/cards/get', verbs: [], params: z.strictObject({ card_id: z.string().min(1) }),
    handler: (p) => {
      const c = labCall(() => site.cards.get(p.card_id))
      return { card: { card_id: c.cardId, uid: c.uid, blocks: c.blocks } }
    },
  })
  addRoute(app, {
    path: '/lab/cards/clone', verbs: [], params: z.strictObject({ card_id: z.string().min(1) }),
    handler: (p) => ({ card: { card_id: labCall(() => site.cards.clone(p.card_id)).cardId } }),
  })
  addRoute(app, {
    path: '/lab/cards/write_block', verbs: [], params: z.strictObject({ card_id: z.string().min(1), block: z.int().min(0).max(63), data: hex(16) }),
    handler: (p) => (labCall(() => site.cards.writeBlock(p.card_id, p.block, p.data)), {}),
  })

  addRoute(app, {
    path: '/lab/encoders/place_card', verbs: [], params: z.strictObject({ ...encoderRef, card_id: z.string().min(1) }),
    handler: (p) => {
      const enc = site.encoder(p)
      enc.sim.placeCard(labCall(() => site.cards.card(p.card_id)))
      enc.card = p.card_id
      return {}
    },
  })
  addRoute(app, {
    path: '/lab/encoders/remove_card', verbs: [], params: z.strictObject(encoderRef),
    handler: (p) => {
      const enc = site.encoder(p)
      enc.sim.removeCard()
      enc.card = null
      return {}
    },
  })
  addRoute(app, {
    path: '/lab/encoders/unplug', verbs: [],
    params: z.strictObject({
      ...encoderRef,
      /** Pull the cable during this write exchange (1 = the first write of the next encode) instead of now. */
      at_write: z.int().min(1).optional(),
      /** Plug it back after this long; null leaves it out until encoders/plug. */
      replug_after_ms: z.int().min(0).max(600_000).nullable().default(null),
    }),
    handler: (p) => {
      const enc = site.encoder(p)
      if (p.at_write !== undefined) enc.unplugAt = { write: p.at_write, seen: 0, replugMs: p.replug_after_ms }
      else site.unplug(enc, p.replug_after_ms)
      return {}
    },
  })
  addRoute(app, {
    path: '/lab/encoders/plug', verbs: [], params: z.strictObject(encoderRef),
    handler: async (p) => (await site.encoder(p).link.plug(), {}),
  })

  addRoute(app, {
    path: '/lab/entrances/present_card', verbs: [], params: z.strictObject({ ...entranceRef, card_id: z.string().min(1) }),
    handler: (p) => {
      const { fields, ...r } = site.cardLocks.lock(p).present(labCall(() => site.cards.card(p.card_id)))
      return {
        result: { granted: r.unlocked, reason: r.reason, outcome: r.outcome, ...(r.mode ? { mode: r.mode } : {}), ...(fields ? { credential_id: fields.credentialId } : {}) },
      }
    },
  })
  addRoute(app, {
    path: '/lab/entrances/set_privacy', verbs: [], params: z.strictObject({ ...entranceRef, on: z.boolean() }),
    handler: (p) => (site.cardLocks.lock(p).setPrivacy(p.on), {}),
  })
  addRoute(app, {
    path: '/lab/entrances/audit_log', verbs: [], params: z.strictObject(entranceRef),
    handler: (p) => ({ audit_log: site.cardLocks.lock(p).audit() }),
  })
}
