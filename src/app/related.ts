// spaces/get_related and access_grants/get_related: everything a set of spaces or grants touches, gathered
// once so a front door can answer with one batch.
import type { Device } from '../domain/device.js'
import type { AcsEntrance } from '../store/acs.js'
import type { AccessGrant, AccessMethodView } from '../store/access-grants.js'
import type { Space } from '../store/spaces.js'
import type { Store } from '../store/store.js'
import type { UserIdentity } from '../store/user-identities.js'
import type { ConnectedAccount, SiteApp } from './site.js'

export interface Related {
  spaces: Space[]
  devices: Device[]
  acsEntrances: AcsEntrance[]
  connectedAccounts: ConnectedAccount[]
  acsSystems: { acsSystemId: string; name: string; createdAt: number }[]
  accessMethods: AccessMethodView[]
  userIdentities: UserIdentity[]
  accessGrants: AccessGrant[]
}

export class RelatedApp {
  constructor(private readonly store: Store, private readonly site: SiteApp) {}

  /** Unknown ids or keys are 404s: a batch never silently leaves one out. */
  ofSpaces(spaceIds: readonly string[], spaceKeys: readonly string[]): Related {
    const spaces = this.store.spaces
    const found = [...spaceIds.map((id) => spaces.get(id)), ...spaceKeys.map((key) => spaces.getByIdOrKey({ spaceKey: key }))]
    const unique = [...new Map(found.map((s) => [s.spaceId, s])).values()]
    const methods = unique.flatMap((s) => this.store.accessGrants.listMethods({ spaceId: s.spaceId }))
    return this.gather(unique, unique.flatMap((s) => s.deviceIds), unique.flatMap((s) => s.acsEntranceIds), methods, [], [])
  }

  ofGrants(accessGrantIds: readonly string[], accessGrantKeys: readonly string[]): Related {
    const repo = this.store.accessGrants
    const found = [...accessGrantIds.map((id) => repo.get(id)), ...accessGrantKeys.map((key) => repo.getByIdOrKey({ key }))]
    const grants = [...new Map(found.map((g) => [g.accessGrantId, g])).values()]
    const resolved = grants.map((g) => repo.resolve(g))
    const spaces = [...new Set(resolved.flatMap((r) => r.spaceIds))].map((id) => this.store.spaces.get(id))
    const identities = [...new Set(grants.map((g) => g.userIdentityId))].flatMap((id) => this.store.userIdentities.find(id) ?? [])
    return this.gather(
      spaces,
      resolved.flatMap((r) => r.devices.map((d) => d.deviceId)),
      resolved.flatMap((r) => r.entrances.map((e) => e.entranceId)),
      grants.flatMap((g) => repo.methodsOf(g.accessGrantId)),
      identities,
      grants,
    )
  }

  private gather(spaces: Space[], deviceIds: string[], entranceIds: string[], methods: AccessMethodView[], userIdentities: UserIdentity[], accessGrants: AccessGrant[]): Related {
    const wantDevices = new Set(deviceIds)
    const wantEntrances = new Set(entranceIds)
    const devices = this.store.devices.list().filter((d) => wantDevices.has(d.deviceId))
    const acsEntrances = this.store.acs.entrances().filter((e) => wantEntrances.has(e.acsEntranceId))
    const systemIds = new Set(acsEntrances.map((e) => e.acsSystemId))
    const accounts = this.site.connectedAccounts().filter((a) =>
      a.deviceIds.some((id) => wantDevices.has(id)) || a.acsEntranceIds.some((id) => wantEntrances.has(id)))
    return {
      spaces,
      devices,
      acsEntrances,
      connectedAccounts: accounts,
      acsSystems: this.store.acs.systems().filter((s) => systemIds.has(s.acsSystemId)),
      accessMethods: [...new Map(methods.map((m) => [m.accessMethodId, m])).values()],
      userIdentities,
      accessGrants,
    }
  }
}
