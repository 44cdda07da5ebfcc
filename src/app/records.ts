// The records the use cases hand to front doors. They are the repositories' row types; front doors take them
// from here so that only src/app reaches into src/store (design rule 10, .dependency-cruiser.cjs).
export type { ActionAttempt } from '../store/action-attempts.js'
export type { AutomationRun } from '../store/customers.js'
export type { AccessGrant, AccessMethodView } from '../store/access-grants.js'
export type { AcsEncoder, AcsEntrance } from '../store/acs.js'
export type { Space } from '../store/spaces.js'
export type { UserIdentity } from '../store/user-identities.js'
export type { AttemptRow, StoredAttempt } from '../store/outbox.js'
export type { Webhook } from '../store/webhooks.js'
