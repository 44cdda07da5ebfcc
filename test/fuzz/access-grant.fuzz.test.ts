// No door is dropped silently by method planning, and a reprovision diff applied to the current codes
// yields exactly one code per code-capable lock of the grant's new doors.
import fc from 'fast-check'
import { expect, test } from 'vitest'
import {
  planAccessMethods, resolveTargets, type DeviceInfo, type EntranceInfo, type RequestedAccessMethod, type TargetLookup,
} from '../../src/domain/access-grant.js'
import { planReprovision, type GrantProvisioning } from '../../src/domain/grant-reprovision.js'

const deviceArb = fc.uniqueArray(fc.record({ deviceId: fc.constantFrom('d1', 'd2', 'd3', 'd4'), canProgramAccessCodes: fc.boolean() }), { selector: (d) => d.deviceId })
const entranceArb = fc.uniqueArray(
  fc.record({ entranceId: fc.constantFrom('e1', 'e2', 'e3'), canBelongToReservation: fc.constant(false), canUnlockWithCard: fc.boolean() }),
  { selector: (e) => e.entranceId },
)
const modesArb = fc.subarray<RequestedAccessMethod>([{ mode: 'code' }, { mode: 'card' }], { minLength: 1 })

function lookupOf(devices: DeviceInfo[], entrances: EntranceInfo[]): TargetLookup {
  return {
    space: (id) => (id === 'sp' ? { spaceId: 'sp', deviceIds: devices.map((d) => d.deviceId), entranceIds: entrances.map((e) => e.entranceId) } : undefined),
    device: (id) => devices.find((d) => d.deviceId === id),
    entrance: (id) => entrances.find((e) => e.entranceId === id),
  }
}

test('every door is reached by a method, reported as underprovisioned, or the grant carries an error', () => {
  fc.assert(
    fc.property(deviceArb, entranceArb, modesArb, (devices, entrances, modes) => {
      const plan = planAccessMethods(modes, resolveTargets({ spaceIds: ['sp'] }, lookupOf(devices, entrances)))
      const reached = new Set<string>()
      for (const m of plan.methods) {
        if (m.mode === 'code') m.accessCodes.forEach((c) => reached.add(c.deviceId))
        else m.entranceIds.forEach((e) => reached.add(e))
      }
      const reported = new Set(plan.warnings.filter((w) => w.warning_code === 'underprovisioned_access').flatMap((w) => [...(w.device_ids ?? []), ...(w.acs_entrance_ids ?? [])]))
      if (plan.methods.length === 0) expect(plan.errors.length).toBeGreaterThan(0)
      else for (const id of [...devices.map((d) => d.deviceId), ...entrances.map((e) => e.entranceId)]) expect(reached.has(id) || reported.has(id)).toBe(true)
      // Codes only ever go to locks that take them.
      for (const m of plan.methods) if (m.mode === 'code') for (const c of m.accessCodes) expect(devices.find((d) => d.deviceId === c.deviceId)?.canProgramAccessCodes).toBe(true)
    }),
    { numRuns: 300 },
  )
})

test('reprovision diff converges on one code per code-capable lock', () => {
  fc.assert(
    fc.property(deviceArb, deviceArb, entranceArb, modesArb, (before, after, entrances, modes) => {
      const wantsCode = modes.some((m) => m.mode === 'code')
      const current = wantsCode ? before.filter((d) => d.canProgramAccessCodes).map((d) => ({ accessCodeId: `ac-${d.deviceId}`, deviceId: d.deviceId })) : []
      const grant: GrantProvisioning = {
        accessGrantId: 'ag',
        reservationKey: null,
        requested: modes,
        targets: { spaceIds: ['sp'] },
        window: { startsAt: 0, endsAt: null },
        accessCodes: current,
        cards: [],
        cardEntranceIds: [],
        reservationMembers: [],
      }
      const [r] = planReprovision([grant], lookupOf(after, entrances))
      let codes: string[] = current.map((c) => c.deviceId)
      if (r?.status === 'updated') {
        codes = codes.filter((d) => !r.accessCodesToDelete.includes(`ac-${d}`)).concat(r.accessCodesToCreate.map((c) => c.deviceId))
      }
      const expected = wantsCode ? after.filter((d) => d.canProgramAccessCodes).map((d) => d.deviceId) : []
      expect([...codes].sort()).toEqual([...expected].sort())
      expect(new Set(codes).size).toBe(codes.length)
    }),
    { numRuns: 300 },
  )
})
