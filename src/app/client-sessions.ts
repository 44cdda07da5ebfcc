// Client sessions: create, get, get_or_create, list, grant_access, revoke — and, for every request that
// carries a session token, the scope it may see (src/api/client-session-policy.ts applies it on every route).
import {
  checkExpiry, DEFAULT_SESSION_LIFETIME_MS, eventVisible, mergeGrant, usable,
  type ClientScope, type ClientSession, type SessionGrant,
} from '../domain/client-session.js'
import { DomainError, notFound } from '../domain/errors.js'
import { userIdentityNotFound } from '../domain/user-identity.js'
import type { ClientSessionFilter } from '../store/client-sessions.js'
import type { Store } from '../store/store.js'

export interface CreateSessionRequest extends SessionGrant {
  expiresAt?: number
}

export class ClientSessionsApp {
  constructor(private readonly store: Store) {}

  create(r: CreateSessionRequest): ClientSession {
    return this.store.tx(() => {
      this.checkGrant(r)
      const key = r.userIdentifierKey ?? null
      const now = this.store.ctx.clock.now()
      // A user_identifier_key names one live session (get and get_or_create find it by that key); an expired
      // one gives its key up.
      const holder = key !== null ? this.store.clientSessions.findByUserIdentifierKey(key) : undefined
      if (holder && usable(holder, now)) {
        throw new DomainError('client_session_already_exists', `A client session with user_identifier_key ${key} already exists; use client_sessions/get_or_create`, 409)
      }
      if (holder) this.end(holder.clientSessionId)
      const expiresAt = r.expiresAt ?? now + DEFAULT_SESSION_LIFETIME_MS
      checkExpiry(expiresAt, now)
      return this.store.clientSessions.create({
        userIdentifierKey: key,
        userIdentityId: r.userIdentityId ?? null,
        customerKey: r.customerKey ?? null,
        connectedAccountIds: [...new Set(r.connectedAccountIds ?? [])],
        expiresAt,
      })
    })
  }

  /** The live session with this user_identifier_key, given what is asked added (and its expiry moved); else a new one. */
  getOrCreate(r: CreateSessionRequest): ClientSession {
    return this.store.tx(() => {
      const known = r.userIdentifierKey ? this.store.clientSessions.findByUserIdentifierKey(r.userIdentifierKey) : undefined
      if (!known || !usable(known, this.store.ctx.clock.now())) return this.create(r)
      return this.applyGrant(known, r)
    })
  }

  get(ref: { clientSessionId?: string | null; userIdentifierKey?: string | null }): ClientSession {
    const s = ref.clientSessionId
      ? this.store.clientSessions.find(ref.clientSessionId)
      : ref.userIdentifierKey ? this.store.clientSessions.findByUserIdentifierKey(ref.userIdentifierKey) : undefined
    if (!s || (ref.clientSessionId && ref.userIdentifierKey && s.userIdentifierKey !== ref.userIdentifierKey)) {
      throw notFound('client_session', ref.clientSessionId ?? undefined)
    }
    return s
  }

  list(f: ClientSessionFilter): ClientSession[] {
    return this.store.clientSessions.list(f)
  }

  /** Adds access to the session with this id (or, without an id, with this user_identifier_key). */
  grantAccess(ref: { clientSessionId?: string | null; userIdentifierKey?: string | null }, g: SessionGrant): ClientSession {
    return this.store.tx(() => {
      const s = ref.clientSessionId ? this.get({ clientSessionId: ref.clientSessionId }) : this.get({ userIdentifierKey: ref.userIdentifierKey })
      return this.applyGrant(s, g)
    })
  }

  /** Revoked sessions are gone: their token answers 401, get answers 404. A repeated revoke is ok. */
  revoke(clientSessionId: string): void {
    this.store.tx(() => {
      if (!this.store.clientSessions.known(clientSessionId)) throw notFound('client_session', clientSessionId)
      this.end(clientSessionId)
    })
  }

  /** Revokes a live session and logs Seam's `client_session.deleted` (nothing when it was already gone). */
  private end(clientSessionId: string): void {
    if (this.store.clientSessions.revoke(clientSessionId)) {
      this.store.events.append({ event_type: 'client_session.deleted', client_session_id: clientSessionId })
    }
  }

  /** The usable session holding this token, if any. */
  authenticate(token: string): ClientSession | undefined {
    const s = this.store.clientSessions.findByToken(token)
    return s && usable(s, this.store.ctx.clock.now()) ? s : undefined
  }

  /** What a request with this session's token may see; computed once per request, lazily. */
  scope(s: ClientSession): ClientScope {
    return buildScope(this.store, s)
  }

  /** The scope of the live session with this user_identifier_key (the `user_identifier_key` filter of list routes). */
  scopeForUserIdentifierKey(key: string): ClientScope | undefined {
    const s = this.store.clientSessions.findByUserIdentifierKey(key)
    return s && this.scope(s)
  }

  private applyGrant(s: ClientSession, g: CreateSessionRequest): ClientSession {
    this.checkGrant(g)
    const merged = mergeGrant(s, g)
    if (g.userIdentifierKey && g.userIdentifierKey !== s.userIdentifierKey) {
      const other = this.store.clientSessions.findByUserIdentifierKey(g.userIdentifierKey)
      if (other && other.clientSessionId !== s.clientSessionId) {
        throw new DomainError('client_session_already_exists', `Another client session has user_identifier_key ${g.userIdentifierKey}`, 409)
      }
    }
    if (g.expiresAt !== undefined) {
      checkExpiry(g.expiresAt, this.store.ctx.clock.now())
      merged.expiresAt = g.expiresAt
    }
    return this.store.clientSessions.save(merged)
  }

  /** Grants name things that exist: a user identity, connected accounts of this box. */
  private checkGrant(g: SessionGrant): void {
    if (g.userIdentityId && !this.store.userIdentities.find(g.userIdentityId)) throw userIdentityNotFound(g.userIdentityId)
    const accounts = connectedAccountIds(this.store)
    for (const id of g.connectedAccountIds ?? []) if (!accounts.has(id)) throw notFound('connected_account', id)
  }
}

/** The box's connected accounts: one per lock driver that has devices, and the offline card-lock system. */
function connectedAccountIds(store: Store): Set<string> {
  return new Set([...store.devices.list().map((d) => d.connectedAccountId), store.acs.connectedAccountId])
}

interface Reach {
  devices: Set<string>
  /** Doors reached as their operator (a connected account, a customer's spaces): every code on them is in reach. */
  operated: Set<string>
  entrances: Set<string>
  spaces: Set<string>
  grants: Set<string>
  identities: Set<string>
  accounts: Set<string>
  systems: Set<string>
}

/**
 * A session reaches: every lock and entrance of its connected accounts; its user identity, that identity's
 * grants, and the doors of those grants that have not ended; its customer's spaces with their doors, and the
 * customer's user identities and grants. Codes, methods, attempts and events follow the doors and grants; on a
 * door reached only through a grant, another grant's codes stay out of reach.
 */
function reach(store: Store, s: ClientSession): Reach {
  const now = store.ctx.clock.now()
  const r: Reach = { devices: new Set(), operated: new Set(), entrances: new Set(), spaces: new Set(), grants: new Set(), identities: new Set(), accounts: new Set(s.connectedAccountIds), systems: new Set() }
  const allDevices = store.devices.list()
  for (const d of allDevices) if (r.accounts.has(d.connectedAccountId)) r.operated.add(d.deviceId)
  const allEntrances = store.acs.entrances()
  if (r.accounts.has(store.acs.connectedAccountId)) for (const e of allEntrances) r.entrances.add(e.acsEntranceId)
  const addGrant = (g: ReturnType<Store['accessGrants']['list']>[number]) => {
    r.grants.add(g.accessGrantId)
    if (g.endsAt !== null && g.endsAt <= now) return
    const t = store.accessGrants.resolve(g)
    for (const d of t.devices) r.devices.add(d.deviceId)
    for (const e of t.entrances) r.entrances.add(e.entranceId)
    for (const id of t.spaceIds) r.spaces.add(id)
  }
  if (s.userIdentityId && store.userIdentities.find(s.userIdentityId)) {
    r.identities.add(s.userIdentityId)
    for (const g of store.accessGrants.list({ userIdentityId: s.userIdentityId })) addGrant(g)
  }
  if (s.customerKey) {
    for (const sp of store.spaces.list({ customerKey: s.customerKey })) {
      r.spaces.add(sp.spaceId)
      for (const id of sp.deviceIds) r.operated.add(id)
      for (const id of sp.acsEntranceIds) r.entrances.add(id)
    }
    for (const u of store.userIdentities.list({ customerKey: s.customerKey })) r.identities.add(u.userIdentityId)
    for (const g of store.accessGrants.list({ customerKey: s.customerKey })) addGrant(g)
  }
  for (const id of r.operated) r.devices.add(id)
  for (const d of allDevices) if (r.devices.has(d.deviceId)) r.accounts.add(d.connectedAccountId)
  for (const e of allEntrances) {
    if (!r.entrances.has(e.acsEntranceId)) continue
    r.systems.add(e.acsSystemId)
    r.accounts.add(store.acs.connectedAccountId)
  }
  return r
}

function buildScope(store: Store, s: ClientSession): ClientScope {
  let cached: Reach | undefined
  const get = () => (cached ??= reach(store, s))
  const scope: ClientScope = {
    clientSessionId: s.clientSessionId,
    device: (id) => get().devices.has(id),
    // A guest at a shared door sees the door's own codes and its grants' codes, never another guest's PIN.
    accessCode: (id) => {
      const c = store.accessCodes.find(id)
      if (c === undefined || !get().devices.has(c.deviceId)) return false
      if (get().operated.has(c.deviceId)) return true
      const grants = store.clientSessions.grantsOfCode(id)
      return grants.length === 0 || grants.some((g) => get().grants.has(g))
    },
    acsEntrance: (id) => get().entrances.has(id),
    acsSystem: (id) => get().systems.has(id),
    space: (id) => get().spaces.has(id),
    userIdentity: (id) => get().identities.has(id),
    accessGrant: (id) => get().grants.has(id),
    accessMethod: (id) => {
      const m = store.accessGrants.findMethod(id)
      return m !== undefined && get().grants.has(m.accessGrantId)
    },
    connectedAccount: (id) => get().accounts.has(id),
    actionAttempt: (id) => {
      const deviceId = store.clientSessions.attemptDevice(id)
      return typeof deviceId === 'string' && get().devices.has(deviceId)
    },
    event: (id) => {
      const body = store.events.get(id)
      return body !== undefined && eventVisible(body, scope)
    },
    clientSession: (id) => id === s.clientSessionId,
    deviceIds: () => [...get().devices],
  }
  return scope
}
