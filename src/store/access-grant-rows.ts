// Access grant and access method records, their SQLite rows, and the mapping between them.
import type { AccessCode } from '../domain/access-code.js'
import type { AccessMode } from '../domain/access-grant.js'
import type { TimeWindow } from '../domain/reservation.js'
import { json } from './context.js'

export type GrantSource = 'api' | 'reservations' | 'bookings' | 'access_grants'

export interface RequestedMethodRecord {
  mode: AccessMode
  code?: string
  created_at: string
}

export interface AccessGrant {
  seq: number
  accessGrantId: string
  accessGrantKey: string | null
  reservationKey: string | null
  userIdentityId: string
  name: string | null
  startsAt: number
  endsAt: number | null
  requested: RequestedMethodRecord[]
  spaceIds: string[]
  spaceKeys: string[]
  deviceIds: string[]
  acsEntranceIds: string[]
  capableEntranceIds: string[]
  reservationEntranceIds: string[]
  /** Wire-ready Seam errors/warnings recorded at provisioning (encoding_required is derived, see warningsOf). */
  errors: Record<string, unknown>[]
  warnings: Record<string, unknown>[]
  state: 'active' | 'draft'
  source: GrantSource
  customerKey: string | null
  preferredCode: string | null
  waitingFor: Record<string, unknown> | null
  createdAt: number
  updatedAt: number
  deletedAt: number | null
}

export interface AccessMethod {
  seq: number
  accessMethodId: string
  accessGrantId: string
  mode: AccessMode
  code: string | null
  /** card: the entrances the card must open. */
  entranceIds: string[]
  warnings: Record<string, unknown>[]
  /** Stored issue time (card: last encoding; code: when all its codes were first seen set). */
  storedIssuedAt: number | null
  acsCredentialId: string | null
  cardUid: string | null
  encoded: { window: TimeWindow; entranceIds: string[] } | null
  createdAt: number
  updatedAt: number
  deletedAt: number | null
}

/** A method with what is derived from its codes / the grant. */
export interface AccessMethodView extends AccessMethod {
  accessCodes: AccessCode[]
  isIssued: boolean
  issuedAt: number | null
  isEncodingRequired: boolean
}

export interface GrantRow {
  seq: number
  access_grant_id: string
  access_grant_key: string | null
  reservation_key: string | null
  user_identity_id: string
  name: string | null
  starts_at: number
  ends_at: number | null
  requested: string
  space_ids: string
  space_keys: string
  device_ids: string
  acs_entrance_ids: string
  capable_entrance_ids: string
  reservation_entrance_ids: string
  errors: string
  warnings: string
  state: 'active' | 'draft'
  source: GrantSource
  customer_key: string | null
  preferred_code: string | null
  waiting_for: string | null
  created_at: number
  updated_at: number
  deleted_at: number | null
}

export interface MethodRow {
  seq: number
  access_method_id: string
  access_grant_id: string
  mode: AccessMode
  code: string | null
  entrance_ids: string
  warnings: string
  issued_at: number | null
  acs_credential_id: string | null
  card_uid: string | null
  encoded_starts_at: number | null
  encoded_ends_at: number | null
  encoded_entrance_ids: string | null
  created_at: number
  updated_at: number
  deleted_at: number | null
}

export const grantFromRow = (r: GrantRow): AccessGrant => ({
  seq: r.seq,
  accessGrantId: r.access_grant_id,
  accessGrantKey: r.access_grant_key,
  reservationKey: r.reservation_key,
  userIdentityId: r.user_identity_id,
  name: r.name,
  startsAt: r.starts_at,
  endsAt: r.ends_at,
  requested: json.parse(r.requested),
  spaceIds: json.parse(r.space_ids),
  spaceKeys: json.parse(r.space_keys),
  deviceIds: json.parse(r.device_ids),
  acsEntranceIds: json.parse(r.acs_entrance_ids),
  capableEntranceIds: json.parse(r.capable_entrance_ids),
  reservationEntranceIds: json.parse(r.reservation_entrance_ids),
  errors: json.parse(r.errors),
  warnings: json.parse(r.warnings),
  state: r.state,
  source: r.source,
  customerKey: r.customer_key,
  preferredCode: r.preferred_code,
  waitingFor: json.parse(r.waiting_for),
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  deletedAt: r.deleted_at,
})

export const methodFromRow = (r: MethodRow): AccessMethod => ({
  seq: r.seq,
  accessMethodId: r.access_method_id,
  accessGrantId: r.access_grant_id,
  mode: r.mode,
  code: r.code,
  entranceIds: json.parse(r.entrance_ids),
  warnings: json.parse(r.warnings),
  storedIssuedAt: r.issued_at,
  acsCredentialId: r.acs_credential_id,
  cardUid: r.card_uid,
  encoded:
    r.encoded_starts_at === null
      ? null
      : { window: { startsAt: r.encoded_starts_at, endsAt: r.encoded_ends_at }, entranceIds: json.parse(r.encoded_entrance_ids) ?? [] },
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  deletedAt: r.deleted_at,
})

export const windowOf = (g: Pick<AccessGrant, 'startsAt' | 'endsAt'>): TimeWindow => ({ startsAt: g.startsAt, endsAt: g.endsAt })

export interface GrantFilter {
  userIdentityId?: string
  spaceId?: string
  deviceId?: string
  acsEntranceId?: string
  acsSystemId?: string
  accessCodeId?: string
  accessGrantIds?: string[]
  accessGrantKey?: string
  reservationKey?: string
  customerKey?: string
  search?: string
}

export interface MethodFilter {
  accessGrantId?: string
  accessGrantKey?: string
  deviceId?: string
  acsEntranceId?: string
  spaceId?: string
  accessCodeId?: string
}

export interface NewGrantRow {
  accessGrantKey: string | null
  reservationKey: string | null
  userIdentityId: string
  name: string | null
  window: TimeWindow
  requested: RequestedMethodRecord[]
  spaceIds: readonly string[]
  spaceKeys: readonly string[]
  deviceIds: readonly string[]
  acsEntranceIds: readonly string[]
  capableEntranceIds: readonly string[]
  reservationEntranceIds: readonly string[]
  source: GrantSource
  customerKey: string | null
  preferredCode: string | null
}

export type DraftFields = Partial<Pick<AccessGrant, 'name' | 'startsAt' | 'endsAt' | 'spaceKeys' | 'preferredCode' | 'customerKey' | 'userIdentityId'>>
