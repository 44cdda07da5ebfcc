// The push_data and delete_data bodies. Every pushed collection is one row of PUSH_COLLECTIONS (its
// item key and its kind); the zod schema is generated from that table, so a new collection is one line.
import { z } from 'zod'
import { DomainError, type ValidationErrors } from '../errors.js'

const key = z.string().min(1, 'must be a non-empty string')
const keyList = z.array(key)
const isoDate = z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time' })

const spaceShape = {
  name: z.string().min(1),
  parent_site_key: key.optional(),
  duration_minutes: z.number().optional(),
  geolocation: z.object({ latitude: z.number(), longitude: z.number() }).optional(),
  customer_data: z
    .object({ address: z.string().optional(), default_checkin_time: z.string().optional(), default_checkout_time: z.string().optional(), time_zone: z.string().optional() })
    .optional(),
}
const holderShape = {
  name: z.string().min(1),
  email_address: z.email({ message: 'must be an email address' }).nullable().optional(),
  phone_number: z.string().nullable().optional(),
}
const grantShape = {
  name: z.string().nullable().optional(),
  starts_at: isoDate.optional(),
  ends_at: isoDate.optional(),
  preferred_code: z.string().regex(/^\d{4,9}$/, 'must be 4 to 9 digits').optional(),
  guest_key: key.optional(),
  resident_key: key.optional(),
  tenant_key: key.optional(),
  user_key: key.optional(),
  user_identity_key: key.optional(),
  space_keys: keyList.optional(),
  room_keys: keyList.optional(),
  unit_keys: keyList.optional(),
  common_area_keys: keyList.optional(),
  property_keys: keyList.optional(),
  building_keys: keyList.optional(),
  facility_keys: keyList.optional(),
  listing_keys: keyList.optional(),
  custom_metadata: z.record(z.string(), z.unknown()).optional(),
}
const namedShape = { name: z.string().min(1) }

/**
 * What each kind of item carries besides its key. `named` and `bare` are the kinds lockstep keeps no
 * state for: their items are checked loosely (extra fields allowed), then rejected one by one.
 */
const SHAPES = { space: spaceShape, holder: holderShape, grant: grantShape, named: namedShape, bare: {} } as const
type Kind = keyof typeof SHAPES
const LOOSE: Record<Kind, boolean> = { space: false, holder: false, grant: false, named: true, bare: true }

/** Every collection push_data accepts, in the body's order: the field holding its key, and its kind. */
export const PUSH_COLLECTIONS = {
  spaces: { key: 'space_key', kind: 'space' },
  rooms: { key: 'room_key', kind: 'space' },
  units: { key: 'unit_key', kind: 'space' },
  common_areas: { key: 'common_area_key', kind: 'space' },
  guests: { key: 'guest_key', kind: 'holder' },
  residents: { key: 'resident_key', kind: 'holder' },
  tenants: { key: 'tenant_key', kind: 'holder' },
  users: { key: 'user_key', kind: 'holder' },
  user_identities: { key: 'user_identity_key', kind: 'holder' },
  reservations: { key: 'reservation_key', kind: 'grant' },
  bookings: { key: 'booking_key', kind: 'grant' },
  access_grants: { key: 'access_grant_key', kind: 'grant' },
  properties: { key: 'property_key', kind: 'named' },
  sites: { key: 'site_key', kind: 'named' },
  buildings: { key: 'building_key', kind: 'named' },
  facilities: { key: 'facility_key', kind: 'named' },
  listings: { key: 'listing_key', kind: 'named' },
  property_listings: { key: 'property_listing_key', kind: 'named' },
  staff_members: { key: 'staff_member_key', kind: 'bare' },
} as const satisfies Record<string, { key: string; kind: Kind }>
type Collections = typeof PUSH_COLLECTIONS
export type PushCollection = keyof Collections

/** The schema of one collection, typed from its table row. */
type CollectionSchema<C extends PushCollection> = z.ZodOptional<
  z.ZodArray<
    z.ZodObject<
      (typeof SHAPES)[Collections[C]['kind']] & { [F in Collections[C]['key']]: typeof key },
      Collections[C]['kind'] extends 'named' | 'bare' ? z.core.$loose : z.core.$strip
    >
  >
>
type PushDataShape = { customer_key: typeof key } & { [C in PushCollection]: CollectionSchema<C> }

function collectionSchema(row: { key: string; kind: Kind }): z.ZodType {
  // Field order sets the order of validation messages: the key leads on the loose kinds, as it always has.
  const item = LOOSE[row.kind] ? z.object({ [row.key]: key, ...SHAPES[row.kind] }).loose() : z.object({ ...SHAPES[row.kind], [row.key]: key })
  return z.array(item).optional()
}

export const pushDataSchema = z.object({
  customer_key: key,
  ...Object.fromEntries(Object.entries(PUSH_COLLECTIONS).map(([name, row]) => [name, collectionSchema(row)])),
}) as unknown as z.ZodObject<PushDataShape>
export type PushDataPayload = z.infer<typeof pushDataSchema>

/** The collections of one kind. */
export type CollectionOf<K extends Kind> = { [C in PushCollection]: Collections[C]['kind'] extends K ? C : never }[PushCollection]

/**
 * The collections of `kinds` in the order a planner walks them. Throws at load when `order` misses or
 * adds one, so a collection added to the table cannot be silently skipped by a planner.
 */
export function planOrder<K extends Kind>(kinds: readonly K[], order: readonly CollectionOf<K>[]): readonly CollectionOf<K>[] {
  const expected = (Object.keys(PUSH_COLLECTIONS) as PushCollection[]).filter((c) => (kinds as readonly Kind[]).includes(PUSH_COLLECTIONS[c].kind))
  if (expected.length !== order.length || !expected.every((c) => (order as readonly string[]).includes(c))) {
    throw new Error(`push_data plan order for ${kinds.join('/')} must list ${expected.join(', ')}`)
  }
  return order
}

export const DELETE_KEY_LISTS = [
  'customer_keys', 'space_keys', 'property_keys', 'room_keys', 'common_area_keys', 'unit_keys', 'facility_keys', 'building_keys',
  'listing_keys', 'property_listing_keys', 'guest_keys', 'tenant_keys', 'resident_keys', 'user_keys', 'user_identity_keys',
  'reservation_keys', 'booking_keys', 'access_grant_keys', 'staff_member_keys',
] as const
export type DeleteKeyList = (typeof DELETE_KEY_LISTS)[number]

// 2.32 sends delete_data as a query string, so a single value may arrive as a plain string.
const oneOrMany = z.union([key, keyList]).transform((v) => (typeof v === 'string' ? [v] : v))
export const deleteDataSchema = z.object(Object.fromEntries(DELETE_KEY_LISTS.map((k) => [k, oneOrMany.optional()])) as Record<DeleteKeyList, z.ZodOptional<typeof oneOrMany>>)
export type DeleteDataPayload = z.infer<typeof deleteDataSchema>

/** Parses a body; throws 400 invalid_input with Seam-shaped validation_errors. */
export function parsePushData(body: unknown): PushDataPayload {
  return parseWith(pushDataSchema, body)
}
export function parseDeleteData(body: unknown): DeleteDataPayload {
  return parseWith(deleteDataSchema, body)
}

function parseWith<T>(schema: z.ZodType<T>, body: unknown): T {
  const r = schema.safeParse(body)
  if (r.success) return r.data
  const validationErrors: ValidationErrors = { _errors: [] }
  const lines: string[] = []
  for (const issue of r.error.issues) {
    const path = issue.path.map(String).join('.')
    lines.push(path ? `${path}: ${issue.message}` : issue.message)
    if (path) {
      const slot = (validationErrors[path] as { _errors: string[] } | undefined) ?? { _errors: [] }
      slot._errors.push(issue.message)
      validationErrors[path] = slot
    } else validationErrors._errors.push(issue.message)
  }
  throw new DomainError('invalid_input', `Invalid input: ${lines.join('; ')}`, 400, undefined, validationErrors)
}
