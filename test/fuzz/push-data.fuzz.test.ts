// Random pushes against a toy store that applies the planned changes. Properties: every pushed item gets
// exactly one result; pushing the same payload again plans no change and reports nothing but `unchanged`
// or the same rejection; live reservations keep pairwise-overlapping windows and joiners inside their set.
import fc from 'fast-check'
import { expect, test } from 'vitest'
import {
  parsePushData,
  planPushData,
  type GrantSnapshot,
  type IdentitySnapshot,
  type PushChange,
  type PushItemResult,
  type PushSnapshot,
  type SpaceSnapshot,
} from '../../src/domain/push-data.js'
import { windowsOverlap } from '../../src/domain/reservation.js'

const H = 3_600_000
const SPACES: SpaceSnapshot[] = [
  { spaceKey: 's1', name: 'S1', customerKey: 'c', deviceIds: ['d1'], entrances: [{ entranceId: 'e1', canBelongToReservation: true, canUnlockWithCard: true }] },
  { spaceKey: 's2', name: 'S2', customerKey: 'c', deviceIds: [], entrances: [{ entranceId: 'e2', canBelongToReservation: true, canUnlockWithCard: true }, { entranceId: 'pool', canBelongToReservation: false, canUnlockWithCard: true }] },
  { spaceKey: 's3', name: 'S3', customerKey: 'c', deviceIds: [], entrances: [] },
]

const holderArb = fc.record({
  list: fc.constantFrom('guests', 'residents', 'user_identities'),
  key: fc.constantFrom('h1', 'h2', 'h3'),
  email: fc.constantFrom('a@x.test', 'b@x.test', null),
})
const grantArb = fc.record({
  list: fc.constantFrom('reservations', 'bookings', 'access_grants'),
  key: fc.constantFrom('r1', 'r2', 'r3', 'api-res'),
  holder: fc.constantFrom('h1', 'h2', 'h3', 'h9'),
  spaces: fc.subarray(['s1', 's2', 's3', 's4'], { minLength: 1 }),
  start: fc.integer({ min: 0, max: 6 }),
  len: fc.integer({ min: 1, max: 4 }),
})
const payloadArb = fc.record({
  spaces: fc.subarray(['s3', 's4']),
  holders: fc.array(holderArb, { maxLength: 4 }),
  grants: fc.array(grantArb, { maxLength: 5 }),
})

const holderField = { guests: 'guest_key', residents: 'resident_key', user_identities: 'user_identity_key' } as const
const grantField = { reservations: 'reservation_key', bookings: 'booking_key', access_grants: 'access_grant_key' } as const

function toBody(p: { spaces: string[]; holders: { list: string; key: string; email: string | null }[]; grants: { list: string; key: string; holder: string; spaces: string[]; start: number; len: number }[] }) {
  const out: Record<string, unknown[]> & { customer_key: string } = { customer_key: 'c' } as never
  const add = (list: string, item: unknown) => ((out[list] ??= []) as unknown[]).push(item)
  for (const s of p.spaces) add('spaces', { space_key: s, name: s.toUpperCase() })
  for (const h of p.holders) add(h.list, { [holderField[h.list as keyof typeof holderField]]: h.key, name: h.key, email_address: h.email })
  for (const g of p.grants) {
    add(g.list, {
      [grantField[g.list as keyof typeof grantField]]: g.key,
      guest_key: g.holder,
      space_keys: g.spaces,
      starts_at: new Date(g.start * H).toISOString(),
      ends_at: new Date((g.start + g.len) * H).toISOString(),
    })
  }
  return out
}

/** The store's side, reduced to what the planner reads back. */
function apply(s: PushSnapshot, changes: readonly PushChange[]): PushSnapshot {
  const spaces = new Map(s.spaces.map((x) => [x.spaceKey, x]))
  const ids = new Map(s.userIdentities.map((x) => [x.userIdentityKey!, x]))
  const grants = new Map(s.grants.map((x) => [x.accessGrantKey, x]))
  let members = [...s.reservationMembers]
  for (const c of changes) {
    if (c.kind === 'upsert_space') {
      const prev = spaces.get(c.spaceKey)
      spaces.set(c.spaceKey, { spaceKey: c.spaceKey, name: c.name, customerKey: c.customerKey, deviceIds: prev?.deviceIds ?? [], entrances: prev?.entrances ?? [] })
    } else if (c.kind === 'upsert_user_identity') {
      const prev = ids.get(c.userIdentityKey)
      const next: IdentitySnapshot = { userIdentityId: prev?.userIdentityId ?? `u-${c.userIdentityKey}`, userIdentityKey: c.userIdentityKey, fullName: c.fullName, emailAddress: c.emailAddress, phoneNumber: c.phoneNumber, customerKey: c.customerKey }
      ids.set(c.userIdentityKey, next)
    } else if (c.kind === 'upsert_access_grant') {
      const prev = grants.get(c.grant.accessGrantKey)
      const id = prev?.accessGrantId ?? `ag-${c.grant.accessGrantKey}`
      const g: GrantSnapshot = { ...c.grant, accessGrantId: id, reservationKey: c.reservationKey, state: c.state }
      grants.set(g.accessGrantKey, g)
      members = members.filter((m) => m.accessGrantId !== id)
      if (c.state === 'active' && c.reservationKey !== null) {
        const capable = SPACES.flatMap((sp) => sp.entrances).filter((e) => e.canBelongToReservation && c.entranceIds.includes(e.entranceId)).map((e) => e.entranceId)
        members.push({ reservationKey: c.reservationKey, accessGrantId: id, capableEntranceIds: capable, reservationEntranceIds: c.reservationEntranceIds, window: c.grant.window })
      }
    }
  }
  return { ...s, spaces: [...spaces.values()], userIdentities: [...ids.values()], grants: [...grants.values()], reservationMembers: members }
}

const initial: PushSnapshot = {
  now: 0,
  spaces: SPACES,
  userIdentities: [{ userIdentityId: 'u-h1', userIdentityKey: 'h1', fullName: 'h1', emailAddress: 'a@x.test', phoneNumber: null, customerKey: 'c' }],
  grants: [],
  // An API-created reservation on s1's door, hours 2–5.
  reservationMembers: [{ reservationKey: 'api-res', accessGrantId: 'ag-api', capableEntranceIds: ['e1'], reservationEntranceIds: ['e1'], window: { startsAt: 2 * H, endsAt: 5 * H } }],
}
const config = { allowSharedEmails: false }

const signature = (r: PushItemResult) => `${r.collection}:${r.key}:${r.status}:${r.status === 'rejected' ? r.error.type : ''}`

test('one result per item, idempotent re-push, reservation invariants', () => {
  fc.assert(
    fc.property(fc.array(payloadArb, { minLength: 1, maxLength: 3 }), (pushes) => {
      let state = initial
      for (const p of pushes) {
        const b = toBody(p)
        const payload = parsePushData(b)
        const plan = planPushData(payload, state, config)
        const itemCount = Object.entries(b).filter(([k]) => k !== 'customer_key').reduce((n, [, v]) => n + (v as unknown[]).length, 0)
        expect(plan.results.length).toBe(itemCount)
        state = apply(state, plan.changes)

        const again = planPushData(payload, state, config)
        expect(again.changes).toEqual([])
        for (const r of again.results) if (r.status !== 'rejected') expect(r.outcome).toBe('unchanged')
        // Whatever was refused the first time is refused again for the same reason.
        const firstRejected = plan.results.filter((r) => r.status === 'rejected').map(signature)
        const againRejected = new Set(again.results.filter((r) => r.status === 'rejected').map(signature))
        for (const sig of firstRejected) if (!sig.includes('duplicate_key_in_payload')) expect(againRejected.has(sig)).toBe(true)

        // Invariants of the live reservations.
        const byKey = new Map<string, typeof state.reservationMembers>()
        for (const m of state.reservationMembers) byKey.set(m.reservationKey, [...(byKey.get(m.reservationKey) ?? []), m])
        for (const live of byKey.values()) {
          const set = live[0]!.reservationEntranceIds
          for (const m of live) {
            expect(m.reservationEntranceIds).toEqual(set)
            for (const e of m.capableEntranceIds) expect(set).toContain(e)
            for (const o of live) expect(windowsOverlap(m.window, o.window)).toBe(true)
          }
        }
        // Drafts wait exactly when a space is missing or bare.
        for (const g of state.grants) {
          const ready = g.spaceKeys.every((k) => state.spaces.some((s) => s.spaceKey === k && (s.deviceIds.length > 0 || s.entrances.length > 0)))
          expect(g.state).toBe(ready ? 'active' : 'draft')
        }
      }
    }),
    { numRuns: 500 },
  )
})
