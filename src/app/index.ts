// The application layer: one object per aggregate, each use case one method that owns its transaction.
// Front doors (src/api, src/cli, the lab routes) call these, never the repositories.
import type { Logger } from '../log.js'
import type { LockDriver } from '../ports/lock-driver.js'
import type { Store } from '../store/store.js'
import { AccessCodesApp } from './access-codes.js'
import { AccessGrantsApp } from './access-grants.js'
import { AcsApp } from './acs.js'
import { ClientSessionsApp } from './client-sessions.js'
import { AcsCredentialsApp } from './acs-credentials.js'
import { BackupCodesApp } from './backup-codes.js'
import { DevicesApp } from './devices.js'
import { EventsApp } from './events.js'
import { KeysApp } from './keys.js'
import { LockActionsApp } from './lock-actions.js'
import { PushDataApp } from './push-data.js'
import { registerReactions } from './reactions.js'
import { RelatedApp } from './related.js'
import { SiteApp } from './site.js'
import { SpacesApp } from './spaces.js'
import { UserAccessApp } from './user-access.js'
import { UserIdentitiesApp } from './user-identities.js'

/** Site policies (config `site`): shared emails, reservation_key required for guest cards. */
export interface SitePolicy {
  allow_shared_emails: boolean
  reservation_key_required_for_guest_cards: boolean
  /** The site's name (the workspace's name on the API). */
  name?: string
}

export interface UseCaseDeps {
  site?: SitePolicy
  log: Logger
  /** The running lock driver of a kind (lock/unlock). */
  driverOf?: (kind: string) => LockDriver | undefined
  /** Whether live grants target a space (then it cannot be deleted); default: the grants repository says. */
  spaceInUse?: (spaceId: string) => boolean
  /** The lab (simulated property): the workspace reports itself as a sandbox. */
  sandbox?: boolean
}

export interface UseCases {
  readonly workspaceId: string
  now(): number
  readonly accessCodes: AccessCodesApp
  /** Backup access code pools (pull, availability, devices/update's switch). */
  readonly backupCodes: BackupCodesApp
  readonly accessGrants: AccessGrantsApp
  readonly userIdentities: UserIdentitiesApp
  readonly spaces: SpacesApp
  readonly acs: AcsApp
  /** Cards the encoder issued (acs_credentials). */
  readonly acsCredentials: AcsCredentialsApp
  readonly devices: DevicesApp
  readonly events: EventsApp
  readonly pushData: PushDataApp
  readonly lockActions: LockActionsApp
  readonly keys: KeysApp
  readonly clientSessions: ClientSessionsApp
  /** The workspace and connected accounts (each driver of the box). */
  readonly site: SiteApp
  /** What a user identity can open, door by door; more access methods on a grant. */
  readonly userAccess: UserAccessApp
  /** Everything a set of spaces or grants touches (get_related). */
  readonly related: RelatedApp
  /** Removes the reactions registered on the store. */
  close(): void
}

export function createUseCases(store: Store, deps: UseCaseDeps): UseCases {
  const site = deps.site ?? { allow_shared_emails: false, reservation_key_required_for_guest_cards: false }
  const unregister = registerReactions(store)
  const userIdentities = new UserIdentitiesApp(store, { allowSharedEmails: site.allow_shared_emails })
  const accessGrants = new AccessGrantsApp(store, {
    reservationKeyRequiredForGuestCards: site.reservation_key_required_for_guest_cards, allowSharedEmails: site.allow_shared_emails,
  })
  const siteApp = new SiteApp(store, { name: site.name ?? 'lockstep site', sandbox: deps.sandbox ?? false }, deps.driverOf)
  return {
    workspaceId: store.workspaceId,
    now: () => store.ctx.clock.now(),
    accessCodes: new AccessCodesApp(store),
    backupCodes: new BackupCodesApp(store),
    accessGrants,
    userIdentities,
    spaces: new SpacesApp(store, deps.spaceInUse ?? ((id) => accessGrants.spaceInUse(id))),
    acs: new AcsApp(store),
    acsCredentials: new AcsCredentialsApp(store),
    devices: new DevicesApp(store),
    events: new EventsApp(store),
    pushData: new PushDataApp(store, { allowSharedEmails: site.allow_shared_emails }),
    lockActions: new LockActionsApp(store, deps.driverOf ?? (() => undefined), deps.log),
    keys: new KeysApp(store),
    clientSessions: new ClientSessionsApp(store),
    site: siteApp,
    userAccess: new UserAccessApp(store, { reservationKeyRequiredForGuestCards: site.reservation_key_required_for_guest_cards }),
    related: new RelatedApp(store, siteApp),
    close: unregister,
  }
}
