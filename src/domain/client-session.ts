// Client sessions: a token a browser may hold (Seam's `seam_cst…`), scoped to what the site's backend granted
// it — a user identity and the doors its grants reach, connected accounts (a radio and all its locks), a
// customer's spaces. The pure rules: what a session is, when it is usable, how grants merge.
import { DomainError, invalidInput } from './errors.js'

export const CLIENT_SESSION_TOKEN_PREFIX = 'seam_cst'
/** Seam's default lifetime is not documented in the types; a day keeps a leaked token short-lived. [G] */
export const DEFAULT_SESSION_LIFETIME_MS = 24 * 3600_000

export interface ClientSession {
  seq: number
  clientSessionId: string
  token: string
  userIdentifierKey: string | null
  userIdentityId: string | null
  customerKey: string | null
  connectedAccountIds: string[]
  createdAt: number
  expiresAt: number
  revokedAt: number | null
}

/** What a grant_access / get_or_create adds to a session. */
export interface SessionGrant {
  userIdentifierKey?: string | null
  userIdentityId?: string | null
  connectedAccountIds?: string[]
  customerKey?: string | null
}

export function isClientSessionToken(token: string): boolean {
  return token.startsWith(CLIENT_SESSION_TOKEN_PREFIX)
}

export function usable(s: ClientSession, now: number): boolean {
  return s.revokedAt === null && s.expiresAt > now
}

export function checkExpiry(expiresAt: number, now: number): void {
  if (expiresAt <= now) throw invalidInput('expires_at must be in the future', 'expires_at')
}

/**
 * Adds a grant to a session. A session belongs to one user identity and one user_identifier_key, as in Seam
 * (user_identity_ids holds at most one): naming another one is refused rather than silently replacing it.
 */
export function mergeGrant(s: ClientSession, g: SessionGrant): ClientSession {
  const pick = (field: string, current: string | null, next: string | null | undefined): string | null => {
    if (next == null || next === current) return current
    if (current !== null) throw new DomainError('invalid_input', `This client session already has ${field} ${current}; create another client session for ${next}`, 400, undefined, { _errors: [], [field]: { _errors: ['already set to another value on this client session'] } })
    return next
  }
  return {
    ...s,
    userIdentifierKey: pick('user_identifier_key', s.userIdentifierKey, g.userIdentifierKey),
    userIdentityId: pick('user_identity_id', s.userIdentityId, g.userIdentityId),
    customerKey: pick('customer_key', s.customerKey, g.customerKey),
    connectedAccountIds: [...new Set([...s.connectedAccountIds, ...(g.connectedAccountIds ?? [])])],
  }
}

/** What one request with a client-session token may see. Anything else is answered as if it did not exist. */
export interface ClientScope {
  readonly clientSessionId: string
  device(deviceId: string): boolean
  accessCode(accessCodeId: string): boolean
  acsEntrance(acsEntranceId: string): boolean
  acsSystem(acsSystemId: string): boolean
  space(spaceId: string): boolean
  userIdentity(userIdentityId: string): boolean
  accessGrant(accessGrantId: string): boolean
  accessMethod(accessMethodId: string): boolean
  connectedAccount(connectedAccountId: string): boolean
  actionAttempt(actionAttemptId: string): boolean
  event(eventId: string): boolean
  clientSession(clientSessionId: string): boolean
  /** Device ids in scope (client_session.device_count). */
  deviceIds(): string[]
}

/** The resources an event names; it is visible when it names at least one and every one is in scope. */
export function eventVisible(body: Record<string, unknown>, scope: ClientScope): boolean {
  const checks: [string, (id: string) => boolean][] = [
    ['device_id', (id) => scope.device(id)],
    ['access_code_id', (id) => scope.accessCode(id)],
    ['acs_entrance_id', (id) => scope.acsEntrance(id)],
    ['acs_system_id', (id) => scope.acsSystem(id)],
    ['access_grant_id', (id) => scope.accessGrant(id)],
    ['access_grant_ids', (id) => scope.accessGrant(id)],
    ['access_method_id', (id) => scope.accessMethod(id)],
    ['user_identity_id', (id) => scope.userIdentity(id)],
    ['space_id', (id) => scope.space(id)],
    ['acs_encoder_id', () => false],
    ['acs_credential_id', () => false],
    ['acs_user_id', () => false],
    ['client_session_id', (id) => scope.clientSession(id)],
  ]
  let named = 0
  for (const [field, visible] of checks) {
    const v = body[field]
    const ids = typeof v === 'string' ? [v] : Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []
    for (const id of ids) {
      named++
      if (!visible(id)) return false
    }
  }
  return named > 0
}
