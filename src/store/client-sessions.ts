// Client sessions: rows and queries. Tokens are found by their SHA-256 (as API keys are); the token itself is
// kept too, because Seam's client_session object carries it on every get and list.
import { createHash } from 'node:crypto'
import { CLIENT_SESSION_TOKEN_PREFIX, type ClientSession } from '../domain/client-session.js'
import { json, type StoreContext } from './context.js'

interface Row {
  seq: number
  client_session_id: string
  token: string
  user_identifier_key: string | null
  user_identity_id: string | null
  customer_key: string | null
  connected_account_ids: string
  created_at: number
  expires_at: number
  revoked_at: number | null
}

const fromRow = (r: Row): ClientSession => ({
  seq: r.seq,
  clientSessionId: r.client_session_id,
  token: r.token,
  userIdentifierKey: r.user_identifier_key,
  userIdentityId: r.user_identity_id,
  customerKey: r.customer_key,
  connectedAccountIds: json.parse<string[]>(r.connected_account_ids),
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  revokedAt: r.revoked_at,
})

const hash = (token: string) => createHash('sha256').update(token).digest('hex')

export interface ClientSessionFilter {
  clientSessionId?: string
  userIdentifierKey?: string
  userIdentityId?: string
  withoutUserIdentifierKey?: boolean
}

export class ClientSessions {
  constructor(private readonly ctx: StoreContext) {}

  /** `seam_cst` + 40 base62 characters (the SDK tells token kinds apart by prefix). */
  private newToken(): string {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
    let tail = ''
    for (const b of this.ctx.random.bytes(40)) tail += alphabet[b % alphabet.length]
    return CLIENT_SESSION_TOKEN_PREFIX + tail
  }

  create(s: Omit<ClientSession, 'seq' | 'clientSessionId' | 'token' | 'createdAt' | 'revokedAt'>): ClientSession {
    const id = this.ctx.random.uuid()
    const token = this.newToken()
    this.ctx.db.prepare(
      `INSERT INTO client_sessions (client_session_id, token, token_hash, user_identifier_key, user_identity_id, customer_key, connected_account_ids, created_at, expires_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(id, token, hash(token), s.userIdentifierKey, s.userIdentityId, s.customerKey, json.str(s.connectedAccountIds), this.ctx.clock.now(), s.expiresAt)
    return this.find(id)!
  }

  /** Writes the grantable fields and the expiry of an existing session. */
  save(s: ClientSession): ClientSession {
    this.ctx.db.prepare(
      'UPDATE client_sessions SET user_identifier_key = ?, user_identity_id = ?, customer_key = ?, connected_account_ids = ?, expires_at = ? WHERE client_session_id = ?',
    ).run(s.userIdentifierKey, s.userIdentityId, s.customerKey, json.str(s.connectedAccountIds), s.expiresAt, s.clientSessionId)
    return this.find(s.clientSessionId)!
  }

  /** A live (not revoked) session; expired ones are still found (they show their expires_at). */
  find(clientSessionId: string): ClientSession | undefined {
    const r = this.ctx.db.prepare('SELECT * FROM client_sessions WHERE client_session_id = ? AND revoked_at IS NULL').get(clientSessionId) as Row | undefined
    return r && fromRow(r)
  }

  findByUserIdentifierKey(key: string): ClientSession | undefined {
    const r = this.ctx.db.prepare('SELECT * FROM client_sessions WHERE user_identifier_key = ? AND revoked_at IS NULL ORDER BY seq DESC LIMIT 1').get(key) as Row | undefined
    return r && fromRow(r)
  }

  findByToken(token: string): ClientSession | undefined {
    const r = this.ctx.db.prepare('SELECT * FROM client_sessions WHERE token_hash = ? AND revoked_at IS NULL').get(hash(token)) as Row | undefined
    return r && fromRow(r)
  }

  list(f: ClientSessionFilter = {}): ClientSession[] {
    return (this.ctx.db.prepare('SELECT * FROM client_sessions WHERE revoked_at IS NULL ORDER BY seq').all() as Row[]).map(fromRow).filter((s) =>
      (!f.clientSessionId || s.clientSessionId === f.clientSessionId) &&
      (!f.userIdentifierKey || s.userIdentifierKey === f.userIdentifierKey) &&
      (!f.userIdentityId || s.userIdentityId === f.userIdentityId) &&
      (!f.withoutUserIdentifierKey || s.userIdentifierKey === null))
  }

  /** True when a live session was revoked now. */
  revoke(clientSessionId: string): boolean {
    return this.ctx.db.prepare('UPDATE client_sessions SET revoked_at = ? WHERE client_session_id = ? AND revoked_at IS NULL').run(this.ctx.clock.now(), clientSessionId).changes === 1
  }

  /** Whether the id was ever issued (a repeated revoke of a revoked session is ok, an unknown id is not). */
  known(clientSessionId: string): boolean {
    return this.ctx.db.prepare('SELECT 1 FROM client_sessions WHERE client_session_id = ?').get(clientSessionId) !== undefined
  }

  /** The access grants a code was made for (through their access methods); empty for a code made directly. */
  grantsOfCode(accessCodeId: string): string[] {
    return (this.ctx.db.prepare(
      'SELECT DISTINCT m.access_grant_id FROM access_method_codes mc JOIN access_methods m ON m.access_method_id = mc.access_method_id WHERE mc.access_code_id = ?',
    ).all(accessCodeId) as { access_grant_id: string }[]).map((r) => r.access_grant_id)
  }

  /** The device an action attempt acts on (lock/unlock), for a session's scope. */
  attemptDevice(actionAttemptId: string): string | null | undefined {
    const r = this.ctx.db.prepare('SELECT device_id FROM action_attempts WHERE action_attempt_id = ?').get(actionAttemptId) as { device_id: string | null } | undefined
    return r?.device_id
  }
}
