// The one place errors become Seam's envelope: {error:{type,message,data?,validation_errors?}, ok:false}.
import type { FastifyReply, FastifyRequest } from 'fastify'
import { ZodError } from 'zod'
import { DomainError } from '../domain/errors.js'
import type { Logger } from '../log.js'
import { zodToDomain } from './params.js'

export interface ErrorEnvelope {
  error: { type: string; message: string; data?: unknown; validation_errors?: unknown; request_id?: string }
  ok: false
}

export function toDomainError(err: unknown): DomainError {
  if (err instanceof DomainError) return err
  if (err instanceof ZodError) return zodToDomain(err)
  const e = err as { code?: string; statusCode?: number; message?: string }
  switch (e.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new DomainError('invalid_content_type', 'Unsupported content-type: send the body as JSON (content-type: application/json)', 415)
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new DomainError('invalid_input', 'Request body is too large', 413)
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'LOCKSTEP_BAD_JSON':
      return new DomainError('invalid_input', 'Request body is not valid JSON', 400, undefined, { _errors: ['Request body is not valid JSON'] })
  }
  if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) {
    return new DomainError('invalid_input', e.message ?? 'Bad request', e.statusCode)
  }
  return new DomainError('internal_server_error', 'Internal error; the request may not have been applied. See the daemon log.', 500)
}

export function envelope(err: DomainError, requestId?: string): ErrorEnvelope {
  return {
    error: {
      type: err.type,
      message: err.message,
      ...(err.data !== undefined ? { data: err.data } : {}),
      ...(err.validationErrors !== undefined ? { validation_errors: err.validationErrors } : {}),
      ...(requestId ? { request_id: requestId } : {}),
    },
    ok: false,
  }
}

export function errorHandler(log: Logger) {
  return (err: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const domain = toDomainError(err)
    if (domain.status >= 500) log.error({ err, url: request.url, method: request.method, request_id: request.id }, 'request failed')
    else log.debug({ type: domain.type, url: request.url, status: domain.status }, 'request refused')
    void reply.status(domain.status).type('application/json').send(envelope(domain, request.id))
  }
}
