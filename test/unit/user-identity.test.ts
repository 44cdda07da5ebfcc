import { describe, expect, test } from 'vitest'
import {
  assertUniqueContact,
  findContactConflict,
  normalizeEmail,
  normalizePhone,
  userIdentityNotFound,
  type UserIdentityRecord,
} from '../../src/domain/user-identity.js'

const alice: UserIdentityRecord = { userIdentityId: 'u1', userIdentityKey: 'guest-alice', emailAddress: 'Alice@Example.com', phoneNumber: '+1 (555) 010-0001' }
const strict = { allowSharedEmails: false }

describe('normalisation', () => {
  test('email: trimmed, lower-cased, empty is none', () => {
    expect(normalizeEmail('  Alice@Example.COM ')).toBe('alice@example.com')
    expect(normalizeEmail('   ')).toBeNull()
    expect(normalizeEmail(undefined)).toBeNull()
  })
  test('phone: keeps + and digits', () => {
    expect(normalizePhone('+1 (555) 010-0001')).toBe('+15550100001')
    expect(normalizePhone('555.010.0001')).toBe('5550100001')
    expect(normalizePhone(' - ')).toBeNull()
  })
})

describe('uniqueness', () => {
  test('same email in another case conflicts with 409 user_identity_email_or_phone_conflict', () => {
    expect(() => assertUniqueContact({ userIdentityKey: 'guest-bob', emailAddress: 'alice@example.com' }, [alice], strict)).toThrowError(
      expect.objectContaining({ type: 'user_identity_email_or_phone_conflict', status: 409, data: expect.objectContaining({ field: 'email_address', conflicting_user_identity_key: 'guest-alice' }) }),
    )
  })
  test('same phone in another format conflicts', () => {
    const c = findContactConflict({ phoneNumber: '+15550100001' }, [alice], strict)
    expect(c).toMatchObject({ field: 'phone_number', userIdentityId: 'u1' })
  })
  test('an identity does not conflict with itself (by id or by key)', () => {
    expect(findContactConflict({ userIdentityId: 'u1', emailAddress: 'alice@example.com' }, [alice], strict)).toBeNull()
    expect(findContactConflict({ userIdentityKey: 'guest-alice', emailAddress: 'alice@example.com' }, [alice], strict)).toBeNull()
  })
  test('shared emails allowed by the site; phones stay unique', () => {
    const shared = { allowSharedEmails: true }
    expect(findContactConflict({ emailAddress: 'alice@example.com' }, [alice], shared)).toBeNull()
    expect(findContactConflict({ emailAddress: 'alice@example.com', phoneNumber: '15550100001' }, [{ ...alice, phoneNumber: '15550100001' }], shared)).toMatchObject({ field: 'phone_number' })
  })
  test('no contact → no conflict', () => {
    expect(findContactConflict({}, [alice, { ...alice, userIdentityId: 'u2', emailAddress: null, phoneNumber: null }], strict)).toBeNull()
  })
  test('missing identity is 400 user_identity_not_found', () => {
    expect(userIdentityNotFound('x')).toMatchObject({ type: 'user_identity_not_found', status: 400 })
  })
})
