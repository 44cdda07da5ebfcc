// The pure rules of client sessions: usability, how grants merge, which events a scope sees.
import { describe, expect, test } from 'vitest'
import { eventVisible, isClientSessionToken, mergeGrant, usable, type ClientScope, type ClientSession } from '../../src/domain/client-session.js'

const session = (over: Partial<ClientSession> = {}): ClientSession => ({
  seq: 1, clientSessionId: 'cs', token: 'seam_cstabc', userIdentifierKey: null, userIdentityId: null, customerKey: null,
  connectedAccountIds: [], createdAt: 0, expiresAt: 1000, revokedAt: null, ...over,
})

const scope = (visible: string[]): ClientScope => {
  const has = (id: string) => visible.includes(id)
  return {
    clientSessionId: 'cs', device: has, accessCode: has, acsEntrance: has, acsSystem: has, space: has, userIdentity: has,
    accessGrant: has, accessMethod: has, connectedAccount: has, actionAttempt: has, event: has, clientSession: has, deviceIds: () => visible,
  }
}

describe('client session rules', () => {
  test('tokens are told apart by prefix', () => {
    expect(isClientSessionToken('seam_cst1abc')).toBe(true)
    expect(isClientSessionToken('seam_lk_abc')).toBe(false)
  })

  test('usable until expiry, never after revoke', () => {
    expect(usable(session(), 999)).toBe(true)
    expect(usable(session(), 1000)).toBe(false)
    expect(usable(session({ revokedAt: 5 }), 10)).toBe(false)
  })

  test('grants add connected accounts; one user identity and one key per session', () => {
    const s = mergeGrant(session({ connectedAccountIds: ['a'] }), { connectedAccountIds: ['a', 'b'], userIdentityId: 'u1', userIdentifierKey: 'k' })
    expect(s).toMatchObject({ connectedAccountIds: ['a', 'b'], userIdentityId: 'u1', userIdentifierKey: 'k' })
    expect(mergeGrant(s, { userIdentityId: 'u1' }).userIdentityId).toBe('u1')
    expect(() => mergeGrant(s, { userIdentityId: 'u2' })).toThrow(/already has user_identity_id u1/)
    expect(() => mergeGrant(s, { userIdentifierKey: 'other' })).toThrow(/user_identifier_key/)
  })

  test('an event is visible when it names something and everything it names is in scope', () => {
    const sc = scope(['d1', 'c1', 'g1'])
    expect(eventVisible({ event_type: 'access_code.created', device_id: 'd1', access_code_id: 'c1' }, sc)).toBe(true)
    expect(eventVisible({ event_type: 'access_code.created', device_id: 'd2', access_code_id: 'c2' }, sc)).toBe(false)
    // Someone else's identity at a visible door is not shown.
    expect(eventVisible({ event_type: 'lock.unlocked', device_id: 'd1', user_identity_id: 'u9' }, sc)).toBe(false)
    expect(eventVisible({ event_type: 'access_method.issued', access_grant_ids: ['g1'], access_method_id: 'g1' }, sc)).toBe(true)
    expect(eventVisible({ event_type: 'lockstep.push_data.completed' }, sc)).toBe(false)
    expect(eventVisible({ event_type: 'acs_encoder.added', acs_encoder_id: 'd1' }, sc)).toBe(false)
  })
})
