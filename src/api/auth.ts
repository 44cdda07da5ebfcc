// Bearer API keys, checked against stored hashes. Routes listed in `open` answer without a key.
import type { FastifyReply, FastifyRequest } from 'fastify'
import { DomainError } from '../domain/errors.js'
import { envelope } from './errors.js'

export function authHook(keys: { verify(key: string): boolean }, open: (path: string) => boolean) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const path = request.url.split('?')[0]!
    if (open(path)) return
    const header = request.headers.authorization
    const key = header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined
    if (key && keys.verify(key)) return
    const err = new DomainError('unauthorized', key ? 'Unauthorized: the API key is unknown or revoked' : 'Unauthorized: send "Authorization: Bearer <api key>"', 401)
    return reply.status(401).type('application/json').send(envelope(err, request.id))
  }
}
