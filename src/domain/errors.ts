// One error vocabulary (design rule 8). Domain code throws DomainError; src/api/errors.ts maps it to
// Seam's envelope. `type` is a stable snake_case code; `status` the HTTP status Seam uses for it.

export type ValidationErrors = { _errors: string[] } & { [field: string]: { _errors: string[] } | string[] }

export class DomainError extends Error {
  override readonly name = 'DomainError'
  constructor(
    readonly type: string,
    message: string,
    readonly status: number = 400,
    readonly data?: Record<string, unknown>,
    readonly validationErrors?: ValidationErrors,
  ) {
    super(message)
  }
}

export function invalidInput(message: string, field?: string): DomainError {
  const validationErrors: ValidationErrors = { _errors: [] }
  if (field) validationErrors[field] = { _errors: [message] }
  else validationErrors._errors.push(message)
  return new DomainError('invalid_input', message, 400, undefined, validationErrors)
}

/** 404 `<resource>_not_found`, e.g. notFound('device', id). */
export function notFound(resource: string, id?: string): DomainError {
  const label = resource.replace(/_/g, ' ')
  return new DomainError(`${resource}_not_found`, id ? `${capitalize(label)} not found: ${id}` : `${capitalize(label)} not found`, 404)
}

export function conflict(type: string, message: string, data?: Record<string, unknown>): DomainError {
  return new DomainError(type, message, 409, data)
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1)
}
