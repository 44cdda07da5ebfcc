// User identities: the people access grants belong to. Email and phone are unique on the site (seed 000's
// silent `user_identity_email_or_phone_conflict` made explicit), unless the site allows shared emails.
import { conflict } from '../domain/errors.js'
import { assertUniqueContact, userIdentityNotFound, type UserIdentityPolicy, type UserIdentityRecord } from '../domain/user-identity.js'
import type { StoreContext } from './context.js'

export interface UserIdentity extends UserIdentityRecord {
  seq: number
  fullName: string | null
  customerKey: string | null
  createdAt: number
}

interface Row {
  seq: number
  user_identity_id: string
  user_identity_key: string | null
  email_address: string | null
  phone_number: string | null
  full_name: string | null
  customer_key: string | null
  created_at: number
}

const fromRow = (r: Row): UserIdentity => ({
  seq: r.seq,
  userIdentityId: r.user_identity_id,
  userIdentityKey: r.user_identity_key,
  emailAddress: r.email_address,
  phoneNumber: r.phone_number,
  fullName: r.full_name,
  customerKey: r.customer_key,
  createdAt: r.created_at,
})

export interface UserIdentityInput {
  userIdentityKey?: string | null
  emailAddress?: string | null
  phoneNumber?: string | null
  fullName?: string | null
  customerKey?: string | null
}

export class UserIdentities {
  constructor(private readonly ctx: StoreContext) {}

  find(id: string): UserIdentity | undefined {
    const r = this.ctx.db.prepare('SELECT * FROM user_identities WHERE user_identity_id = ?').get(id) as Row | undefined
    return r && fromRow(r)
  }

  findByKey(key: string): UserIdentity | undefined {
    const r = this.ctx.db.prepare('SELECT * FROM user_identities WHERE user_identity_key = ?').get(key) as Row | undefined
    return r && fromRow(r)
  }

  /** 400 user_identity_not_found, as Seam's fake answers. */
  get(id: string): UserIdentity {
    const u = this.find(id)
    if (!u) throw userIdentityNotFound(id)
    return u
  }

  getByIdOrKey(ref: { id?: string | null; key?: string | null }): UserIdentity {
    const u = ref.id ? this.find(ref.id) : ref.key ? this.findByKey(ref.key) : undefined
    if (!u) throw userIdentityNotFound(ref.id ?? (ref.key ? `user_identity_key ${ref.key}` : '(none given)'))
    return u
  }

  all(): UserIdentity[] {
    return (this.ctx.db.prepare('SELECT * FROM user_identities ORDER BY seq').all() as Row[]).map(fromRow)
  }

  list(f: { ids?: string[]; search?: string; createdBefore?: number; customerKey?: string } = {}): UserIdentity[] {
    const q = f.search?.toLowerCase()
    return this.all().filter(
      (u) =>
        (!f.ids?.length || f.ids.includes(u.userIdentityId)) &&
        (f.createdBefore === undefined || u.createdAt < f.createdBefore) &&
        (!f.customerKey || u.customerKey === f.customerKey) &&
        (!q || [u.fullName, u.emailAddress, u.phoneNumber, u.userIdentityKey, u.userIdentityId].some((v) => v?.toLowerCase().includes(q))),
    )
  }

  /** `policy` null: uniqueness was already judged by the caller (push_data plans on the post-push state). */
  create(input: UserIdentityInput, policy: UserIdentityPolicy | null): UserIdentity {
    if (input.userIdentityKey && this.findByKey(input.userIdentityKey)) {
      throw conflict('user_identity_key_already_exists', `A user identity with user_identity_key "${input.userIdentityKey}" already exists`)
    }
    if (policy) assertUniqueContact({ userIdentityKey: input.userIdentityKey ?? null, emailAddress: input.emailAddress, phoneNumber: input.phoneNumber }, this.all(), policy)
    const id = this.ctx.random.uuid()
    this.ctx.db
      .prepare('INSERT INTO user_identities (user_identity_id, user_identity_key, email_address, phone_number, full_name, customer_key, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(id, input.userIdentityKey ?? null, input.emailAddress ?? null, input.phoneNumber ?? null, input.fullName ?? null, input.customerKey ?? null, this.ctx.clock.now())
    return this.get(id)
  }

  update(id: string, input: UserIdentityInput, policy: UserIdentityPolicy | null): UserIdentity {
    const cur = this.get(id)
    const next = {
      userIdentityKey: input.userIdentityKey === undefined ? cur.userIdentityKey : input.userIdentityKey,
      emailAddress: input.emailAddress === undefined ? cur.emailAddress : input.emailAddress,
      phoneNumber: input.phoneNumber === undefined ? cur.phoneNumber : input.phoneNumber,
      fullName: input.fullName === undefined ? cur.fullName : input.fullName,
      customerKey: input.customerKey === undefined ? cur.customerKey : input.customerKey,
    }
    if (next.userIdentityKey && next.userIdentityKey !== cur.userIdentityKey && this.findByKey(next.userIdentityKey)) {
      throw conflict('user_identity_key_already_exists', `A user identity with user_identity_key "${next.userIdentityKey}" already exists`)
    }
    if (policy) assertUniqueContact({ userIdentityId: id, emailAddress: next.emailAddress, phoneNumber: next.phoneNumber }, this.all(), policy)
    this.ctx.db
      .prepare('UPDATE user_identities SET user_identity_key = ?, email_address = ?, phone_number = ?, full_name = ?, customer_key = ? WHERE user_identity_id = ?')
      .run(next.userIdentityKey, next.emailAddress, next.phoneNumber, next.fullName, next.customerKey, id)
    return this.get(id)
  }

  /** Removes the row; the caller deletes the identity's grants first. */
  remove(id: string): boolean {
    return this.ctx.db.prepare('DELETE FROM user_identities WHERE user_identity_id = ?').run(id).changes > 0
  }
}
