// A space's doors changed: re-resolve each of its grants against the site and diff with what is provisioned.
// Pure; src/app/grant-provisioning.ts applies the result.
import type { DomainError } from './errors.js'
import { checkReservation, type ReservationMember, type TimeWindow } from './reservation.js'
import {
  cardWarnings, resolveTargets, sameSet,
  type AccessCodeState, type CardMethodState, type GrantTargets, type GrantWarning, type PlannedAccessCode, type RequestedAccessMethod, type TargetLookup,
} from './access-grant.js'

export interface GrantProvisioning {
  readonly accessGrantId: string
  readonly reservationKey: string | null
  readonly requested: readonly RequestedAccessMethod[]
  readonly targets: GrantTargets
  readonly window: TimeWindow
  readonly accessCodes: readonly AccessCodeState[]
  readonly cards: readonly CardMethodState[]
  /** The door list the grant's card methods currently target. */
  readonly cardEntranceIds: readonly string[]
  /** The live grants of its reservation (itself included); empty without a key. */
  readonly reservationMembers: readonly ReservationMember[]
}

export type ReprovisionResult =
  | { readonly accessGrantId: string; readonly status: 'unchanged' }
  | {
      readonly accessGrantId: string
      readonly status: 'updated'
      readonly accessCodesToCreate: readonly PlannedAccessCode[]
      readonly accessCodesToDelete: readonly string[]
      /** The card methods' new door list (empty when no entrance reads cards any more). */
      readonly cardEntranceIds: readonly string[]
      readonly cardsToReencode: readonly string[]
      readonly warnings: readonly GrantWarning[]
      /** The grant's capable entrances after the change (record on the reservation member). */
      readonly capableEntranceIds: readonly string[]
    }
  /** The new doors break a reservation rule: nothing changes for this grant; surface the error. */
  | { readonly accessGrantId: string; readonly status: 'blocked'; readonly error: DomainError }

/**
 * Re-resolve each grant against the site after a space's doors changed (`lookup` already shows the new
 * doors) and diff with what is provisioned. A keyed grant may lose doors but not gain capable doors
 * outside its reservation's set; it may also lose every capable door (its remaining cards are then stale).
 */
export function planReprovision(grants: readonly GrantProvisioning[], lookup: TargetLookup): ReprovisionResult[] {
  return grants.map((g) => reprovisionOne(g, lookup))
}

function reprovisionOne(g: GrantProvisioning, lookup: TargetLookup): ReprovisionResult {
  const targets = resolveTargets(g.targets, lookup)
  const capable = targets.entrances.filter((e) => e.canBelongToReservation)
  if (g.reservationKey !== null && capable.length > 0) {
    const check = checkReservation({
      reservationKey: g.reservationKey,
      accessGrantId: g.accessGrantId,
      entrances: targets.entrances,
      window: g.window,
      members: g.reservationMembers,
      requestsCard: g.requested.some((r) => r.mode === 'card'),
      config: { reservationKeyRequiredForGuestCards: false },
    })
    if (!check.ok) return { accessGrantId: g.accessGrantId, status: 'blocked', error: check.error }
  }

  const wantsCode = g.requested.find((r) => r.mode === 'code')
  const wantsCard = g.requested.some((r) => r.mode === 'card')
  const codeDevices = wantsCode ? targets.devices.filter((d) => d.canProgramAccessCodes).map((d) => d.deviceId) : []
  const haveCodeOn = new Set(g.accessCodes.map((c) => c.deviceId))
  const accessCodesToCreate = codeDevices
    .filter((id) => !haveCodeOn.has(id))
    .map((deviceId) => (wantsCode?.code === undefined ? { deviceId } : { deviceId, code: wantsCode.code }))
  const accessCodesToDelete = g.accessCodes.filter((c) => !codeDevices.includes(c.deviceId)).map((c) => c.accessCodeId)

  const cardEntranceIds = wantsCard ? targets.entrances.filter((e) => e.canUnlockWithCard).map((e) => e.entranceId) : []
  const warnings = wantsCard ? cardWarnings(g.cards, g.window, cardEntranceIds) : []
  const cardsToReencode = warnings.flatMap((w) => w.access_method_ids ?? [])
  const cardsChanged = !sameSet(g.cardEntranceIds, cardEntranceIds)

  if (accessCodesToCreate.length === 0 && accessCodesToDelete.length === 0 && !cardsChanged) {
    return { accessGrantId: g.accessGrantId, status: 'unchanged' }
  }
  return {
    accessGrantId: g.accessGrantId,
    status: 'updated',
    accessCodesToCreate,
    accessCodesToDelete,
    cardEntranceIds,
    cardsToReencode,
    warnings,
    capableEntranceIds: capable.map((e) => e.entranceId),
  }
}
