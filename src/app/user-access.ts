// What a user identity can open, and the helpers that change it door by door: grant/revoke access to one
// lock (an access grant of its own, keyed so a repeated PUT finds it), and more access methods on an
// existing grant. Each use case owns its transaction; provisioning is grant-provisioning.ts's.
import { isoUtc } from '../kernel/clock.js'
import { planAccessMethods, validateRequestedAccessMethods, type RequestedAccessMethod } from '../domain/access-grant.js'
import type { Device } from '../domain/device.js'
import { conflict } from '../domain/errors.js'
import type { AcsEntrance } from '../store/acs.js'
import type { AccessGrant } from '../store/access-grants.js'
import type { Store } from '../store/store.js'
import { addMethod, createGrant, deleteGrants, recordPlanIssues, planForIssues } from './grant-provisioning.js'

/** The access_grant_key of the grant grant_access_to_device makes: one per identity and lock. */
export const deviceAccessKey = (userIdentityId: string, deviceId: string): string => `lockstep:device_access:${userIdentityId}:${deviceId}`

export class UserAccessApp {
  constructor(
    private readonly store: Store,
    private readonly policy: { reservationKeyRequiredForGuestCards: boolean },
  ) {}

  /** Grants of the identity (which must exist) that have not ended. */
  private liveGrants(userIdentityId: string): AccessGrant[] {
    this.store.userIdentities.get(userIdentityId)
    const now = this.store.ctx.clock.now()
    return this.store.accessGrants.list({ userIdentityId }).filter((g) => g.endsAt === null || g.endsAt > now)
  }

  accessibleDevices(userIdentityId: string): Device[] {
    const grants = this.store.accessGrants
    const ids = new Set(this.liveGrants(userIdentityId).flatMap((g) => grants.resolve(g).devices.map((d) => d.deviceId)))
    return this.store.devices.list().filter((d) => ids.has(d.deviceId))
  }

  accessibleEntrances(userIdentityId: string): AcsEntrance[] {
    const grants = this.store.accessGrants
    const ids = new Set(this.liveGrants(userIdentityId).flatMap((g) => grants.resolve(g).entrances.map((e) => e.entranceId)))
    return this.store.acs.entrances().filter((e) => ids.has(e.acsEntranceId))
  }

  /** An ongoing code on the lock for the identity; a repeat finds the grant already there. */
  grantAccessToDevice(userIdentityId: string, deviceId: string): AccessGrant {
    const store = this.store
    return store.tx(() => {
      store.userIdentities.get(userIdentityId)
      store.devices.get(deviceId)
      const key = deviceAccessKey(userIdentityId, deviceId)
      const existing = store.accessGrants.findByKey(key)
      if (existing) return existing
      return createGrant(store, {
        userIdentityId,
        requested: [{ mode: 'code' }],
        targets: { deviceIds: [deviceId] },
        window: { startsAt: store.ctx.clock.now(), endsAt: null },
        name: null,
        accessGrantKey: key,
        reservationKey: null,
        reservationKeyRequiredForGuestCards: this.policy.reservationKeyRequiredForGuestCards,
      })
    })
  }

  /**
   * Removes the access grant_access_to_device gave. Access through other grants (a stay, a space) is theirs
   * to change: refused, naming them, rather than half done.
   */
  revokeAccessToDevice(userIdentityId: string, deviceId: string): void {
    const store = this.store
    store.tx(() => {
      store.devices.get(deviceId)
      const key = deviceAccessKey(userIdentityId, deviceId)
      const others = this.liveGrants(userIdentityId)
        .filter((g) => g.accessGrantKey !== key && store.accessGrants.resolve(g).devices.some((d) => d.deviceId === deviceId))
        .map((g) => g.accessGrantId)
      if (others.length) {
        throw conflict(
          'access_granted_by_other_access_grants',
          `Other access grants of this user identity also open this lock (${others.join(', ')}); update or delete them instead.`,
          { access_grant_ids: others },
        )
      }
      const own = store.accessGrants.findByKey(key)
      if (own) deleteGrants(store, [own.accessGrantId])
    })
  }

  /** More access methods on a grant; a mode it already has is refused (its doors already have one). */
  requestAccessMethods(accessGrantId: string, requested: RequestedAccessMethod[]): AccessGrant {
    const store = this.store
    const repo = store.accessGrants
    return store.tx(() => {
      const g = repo.get(accessGrantId)
      validateRequestedAccessMethods(requested)
      const again = requested.find((r) => g.requested.some((x) => x.mode === r.mode))
      if (again) {
        throw conflict('access_method_already_requested', `This access grant already has a "${again.mode}" access method; delete it first to request another.`, { mode: again.mode })
      }
      const resolved = repo.resolve(g)
      const plan = planAccessMethods(requested, resolved)
      const all = [...g.requested.map(({ mode, code }) => (code === undefined ? { mode } : { mode, code })), ...requested]
      repo.setRequested(accessGrantId, [...g.requested, ...requested.map((r) => ({ ...r, created_at: isoUtc(store.ctx.clock.now()) }))])
      const grant = repo.get(accessGrantId)
      const extra = plan.methods.flatMap((m) => addMethod(store, grant, m))
      const kept = g.warnings.filter((w) => w.warning_code === 'requested_code_unavailable')
      recordPlanIssues(store, grant, planForIssues(all, resolved), [...kept, ...extra], false)
      for (const e of plan.errors) {
        store.events.append({
          event_type: 'access_grant.could_not_create_requested_access_methods', access_grant_id: accessGrantId, error_message: e.message,
          ...(e.missing_device_ids?.length ? { missing_device_ids: [...e.missing_device_ids] } : {}),
        })
      }
      return repo.get(accessGrantId)
    })
  }
}
