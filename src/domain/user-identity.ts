// User identity uniqueness (seed 000: a duplicate email made Seam's automation skip a reservation silently).
// Email addresses and phone numbers identify one person on the site, so two identities may not share
// either — unless the site explicitly allows shared emails (Seam's console toggle for automations).
//
// Status choice: the reference does not pin one; we answer 409 (the request is well formed but collides
// with existing state), through `conflict()`, and keep the Seam code `user_identity_email_or_phone_conflict`.
import { DomainError, conflict } from './errors.js'

export interface UserIdentityContact {
  readonly userIdentityId?: string
  readonly userIdentityKey?: string | null
  readonly emailAddress?: string | null
  readonly phoneNumber?: string | null
}

export interface UserIdentityRecord {
  readonly userIdentityId: string
  readonly userIdentityKey: string | null
  readonly emailAddress: string | null
  readonly phoneNumber: string | null
}

export interface UserIdentityPolicy {
  /** Allow several identities with one email (phones stay unique: they address one handset). */
  readonly allowSharedEmails: boolean
}

export const USER_IDENTITY_CONFLICT = 'user_identity_email_or_phone_conflict'

/** Case-insensitive, trimmed; empty means none. Domain part and local part are both folded: mailboxes
 *  that differ only by case are one person in practice, and a miss here is the silent failure we avoid. */
export function normalizeEmail(email: string | null | undefined): string | null {
  if (email === null || email === undefined) return null
  const s = email.trim().toLowerCase()
  return s === '' ? null : s
}

/** Keeps a leading '+' and the digits; drops spaces, dots, dashes, parentheses. Empty means none. */
export function normalizePhone(phone: string | null | undefined): string | null {
  if (phone === null || phone === undefined) return null
  const trimmed = phone.trim()
  const digits = trimmed.replace(/\D/g, '')
  if (digits === '') return null
  return trimmed.startsWith('+') ? `+${digits}` : digits
}

export interface IdentityConflict {
  readonly field: 'email_address' | 'phone_number'
  readonly value: string
  readonly userIdentityId: string
  readonly userIdentityKey: string | null
}

/**
 * The existing identity (other than the candidate itself, matched by id or key) that already uses the
 * candidate's email or phone, or null.
 */
export function findContactConflict(
  candidate: UserIdentityContact,
  existing: Iterable<UserIdentityRecord>,
  policy: UserIdentityPolicy,
): IdentityConflict | null {
  const email = normalizeEmail(candidate.emailAddress)
  const phone = normalizePhone(candidate.phoneNumber)
  for (const other of existing) {
    if (candidate.userIdentityId !== undefined && other.userIdentityId === candidate.userIdentityId) continue
    if (candidate.userIdentityKey && other.userIdentityKey === candidate.userIdentityKey) continue
    if (email && !policy.allowSharedEmails && normalizeEmail(other.emailAddress) === email) {
      return { field: 'email_address', value: email, userIdentityId: other.userIdentityId, userIdentityKey: other.userIdentityKey }
    }
    if (phone && normalizePhone(other.phoneNumber) === phone) {
      return { field: 'phone_number', value: phone, userIdentityId: other.userIdentityId, userIdentityKey: other.userIdentityKey }
    }
  }
  return null
}

export function contactConflictError(c: IdentityConflict): DomainError {
  const what = c.field === 'email_address' ? 'email address' : 'phone number'
  return conflict(USER_IDENTITY_CONFLICT, `Another user identity already uses this ${what}: ${c.value}.`, {
    field: c.field,
    conflicting_user_identity_id: c.userIdentityId,
    conflicting_user_identity_key: c.userIdentityKey,
  })
}

/** Throws 409 `user_identity_email_or_phone_conflict` when the candidate collides. */
export function assertUniqueContact(candidate: UserIdentityContact, existing: Iterable<UserIdentityRecord>, policy: UserIdentityPolicy): void {
  const c = findContactConflict(candidate, existing, policy)
  if (c) throw contactConflictError(c)
}

/** Seam's fake answers a missing identity with 400 (not 404); we follow it. */
export function userIdentityNotFound(ref: string): DomainError {
  return new DomainError('user_identity_not_found', `User identity not found: ${ref}`, 400)
}
