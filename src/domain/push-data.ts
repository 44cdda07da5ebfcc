// customers/push_data and customers/delete_data, planned purely (seed 000). Seam answers `ok: true` and
// drops what it cannot use; we answer for EVERY pushed item: applied (created/updated/unchanged), waiting
// (a draft whose space is missing or has no doors) or rejected (with the error it would have raised).
// The store applies `changes` in one transaction and returns `results` beside `ok: true`.
//
// Decisions:
// - `reservations`, `bookings` and `access_grants` are one namespace of grant keys: an item's key is the
//   grant's access_grant_key, so delete_data finds it by reservation_keys, booking_keys or access_grant_keys.
// - The key is also the grant's reservation_key when at least one of its entrances can belong to a
//   reservation; otherwise the grant is standard access (seed 001, step 2: no key without capable doors).
// - `guests`, `residents`, `tenants`, `users`, `user_identities` are one namespace of user_identity_keys.
// - `spaces`, `rooms`, `units`, `common_areas` are one namespace of space keys. push_data records the space
//   (name, customer) but never its doors: doors come from spaces/create|update. A grant on a space that is
//   unknown or has no doors is kept as a draft and becomes real through `planDraftActivation`.
// - Kinds we do not model (properties, sites, buildings, facilities, listings, property_listings,
//   staff_members) are rejected item by item with `push_data_kind_not_supported`, never dropped silently.
//
// The parts: push-data/schema.ts (the bodies, generated from one table of collections),
// push-data/push-plan.ts, push-data/delete-plan.ts, push-data/model.ts (snapshot, changes, results).
export * from './push-data/schema.js'
export type {
  GrantCollection,
  GrantIntent,
  GrantSnapshot,
  IdentitySnapshot,
  ItemError,
  Outcome,
  PushChange,
  PushConfig,
  PushEntrance,
  PushItemResult,
  PushPlan,
  PushSnapshot,
  SpaceSnapshot,
  WaitingFor,
} from './push-data/model.js'
export { planPushData, planDraftActivation } from './push-data/push-plan.js'
export { planDeleteData, type DeleteItemResult, type DeletePlan } from './push-data/delete-plan.js'
