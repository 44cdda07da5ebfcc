// /access_methods/encode, /acs/encoders/encode_credential, /acs/encoders/scan_credential: each answers a
// pending action attempt at once; the card encoder finishes it in the background (bounded time).
import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import { invalidInput } from '../../domain/errors.js'
import type { CardEncoderAttempts } from '../../app/card-encoder-attempts.js'
import { addRoute } from '../route.js'
import { uuid } from '../schemas.js'
import { actionAttemptWire } from '../wire.js'

export function encodingRoutes(app: FastifyInstance, encoding: CardEncoderAttempts): void {
  addRoute(app, {
    path: '/access_methods/encode', verbs: [], params: z.object({ access_method_id: uuid, acs_encoder_id: uuid }),
    handler: (p) => ({ action_attempt: actionAttemptWire(encoding.encode(p.acs_encoder_id, { accessMethodId: p.access_method_id })) }),
  })
  addRoute(app, {
    path: '/acs/encoders/encode_credential', verbs: [],
    params: z.object({ acs_encoder_id: uuid, access_method_id: uuid.optional(), acs_credential_id: uuid.optional() }),
    handler: (p) => {
      if ((p.access_method_id === undefined) === (p.acs_credential_id === undefined)) {
        throw invalidInput('Exactly one of access_method_id or acs_credential_id is required')
      }
      const target = p.access_method_id !== undefined ? { accessMethodId: p.access_method_id } : { acsCredentialId: p.acs_credential_id! }
      return { action_attempt: actionAttemptWire(encoding.encode(p.acs_encoder_id, target)) }
    },
  })
  addRoute(app, {
    path: '/acs/encoders/scan_credential', verbs: [],
    params: z.object({ acs_encoder_id: uuid, salto_ks_metadata: z.object({ detect_new_tags: z.boolean().optional() }).optional() }),
    handler: (p) => ({ action_attempt: actionAttemptWire(encoding.scan(p.acs_encoder_id)) }),
  })
}
