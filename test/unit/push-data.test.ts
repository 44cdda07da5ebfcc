import { describe, expect, test } from 'vitest'
import { DomainError } from '../../src/domain/errors.js'
import {
  parseDeleteData,
  parsePushData,
  planDeleteData,
  planDraftActivation,
  planPushData,
  type GrantSnapshot,
  type IdentitySnapshot,
  type PushChange,
  type PushSnapshot,
  type SpaceSnapshot,
} from '../../src/domain/push-data.js'

const NOW = Date.parse('2025-05-01T00:00:00Z')
const strict = { allowSharedEmails: false }

const room101: SpaceSnapshot = {
  spaceKey: 'unit-101',
  name: 'Room 101',
  customerKey: 'cust_1',
  deviceIds: ['lock-101'],
  entrances: [{ entranceId: 'ent-101', canBelongToReservation: true, canUnlockWithCard: true }],
}
const gym: SpaceSnapshot = { spaceKey: 'gym', name: 'Gym', customerKey: 'cust_1', deviceIds: ['lock-gym'], entrances: [] }
const bare: SpaceSnapshot = { spaceKey: 'unit-102', name: 'Room 102', customerKey: 'cust_1', deviceIds: [], entrances: [] }
const alice: IdentitySnapshot = { userIdentityId: 'u1', userIdentityKey: 'guest-alice', fullName: 'Alice', emailAddress: 'alice@example.com', phoneNumber: null, customerKey: 'cust_1' }

function snap(over: Partial<PushSnapshot> = {}): PushSnapshot {
  return { now: NOW, spaces: [room101, gym, bare], userIdentities: [alice], grants: [], reservationMembers: [], ...over }
}

const stay = { starts_at: '2025-05-10T15:00:00Z', ends_at: '2025-05-14T11:00:00Z' }
const push = (body: Record<string, unknown>, s: PushSnapshot = snap(), config = strict) => planPushData(parsePushData({ customer_key: 'cust_1', ...body }), s, config)

/** What the store would hold after applying a plan's grant upserts. */
function grantsAfter(changes: readonly PushChange[], before: readonly GrantSnapshot[] = []): GrantSnapshot[] {
  const out = new Map(before.map((g) => [g.accessGrantKey, g]))
  for (const c of changes) {
    if (c.kind !== 'upsert_access_grant') continue
    const prev = out.get(c.grant.accessGrantKey)
    out.set(c.grant.accessGrantKey, {
      ...c.grant,
      accessGrantId: prev?.accessGrantId ?? `ag-${c.grant.accessGrantKey}`,
      reservationKey: c.reservationKey,
      state: c.state,
    })
  }
  return [...out.values()]
}

describe('schema', () => {
  test('customer_key is required; errors are invalid_input with validation_errors per field', () => {
    try {
      parsePushData({ reservations: [{ reservation_key: '', starts_at: 'tomorrow' }] })
      expect.unreachable()
    } catch (e) {
      expect(e).toBeInstanceOf(DomainError)
      const d = e as DomainError
      expect(d.type).toBe('invalid_input')
      expect(d.status).toBe(400)
      expect(Object.keys(d.validationErrors ?? {})).toEqual(expect.arrayContaining(['customer_key', 'reservations.0.reservation_key', 'reservations.0.starts_at']))
    }
  })
  test('bad email and preferred code are named', () => {
    expect(() => parsePushData({ customer_key: 'c', guests: [{ guest_key: 'g', name: 'G', email_address: 'not-an-email' }] })).toThrowError(/guests\.0\.email_address/)
    expect(() => parsePushData({ customer_key: 'c', reservations: [{ reservation_key: 'r', preferred_code: '12' }] })).toThrowError(/preferred_code: must be 4 to 9 digits/)
  })
  test('delete_data accepts a single query value as a list', () => {
    expect(parseDeleteData({ reservation_keys: 'res_1', access_grant_keys: ['a', 'b'] })).toEqual({ reservation_keys: ['res_1'], access_grant_keys: ['a', 'b'] })
  })
})

describe('seed 000 gotchas produce explicit results', () => {
  test('space_key that does not exist yet → waiting draft, not silence', () => {
    const p = push({ reservations: [{ reservation_key: 'res-1', guest_key: 'guest-alice', space_keys: ['unit-999'], ...stay }] })
    expect(p.results).toEqual([
      { collection: 'reservations', key: 'res-1', status: 'waiting', outcome: 'created', waiting_for: { missing_space_keys: ['unit-999'], space_keys_without_doors: [] } },
    ])
    expect(p.changes).toEqual([expect.objectContaining({ kind: 'upsert_access_grant', state: 'draft', create: true })])
  })

  test('space pushed inline has no doors: recorded with a warning, the reservation waits for doors', () => {
    const p = push({
      spaces: [{ space_key: 'unit-201', name: 'Room 201' }],
      guests: [{ guest_key: 'guest-bob', name: 'Bob', email_address: 'bob@example.com' }],
      reservations: [{ reservation_key: 'res-2', guest_key: 'guest-bob', space_keys: ['unit-201'], ...stay }],
    })
    expect(p.results[0]).toMatchObject({ collection: 'spaces', key: 'unit-201', status: 'applied', outcome: 'created', warnings: [expect.stringContaining('no doors')] })
    expect(p.results[1]).toMatchObject({ collection: 'guests', key: 'guest-bob', status: 'applied', outcome: 'created' })
    expect(p.results[2]).toMatchObject({ status: 'waiting', waiting_for: { missing_space_keys: [], space_keys_without_doors: ['unit-201'] } })
    expect(p.changes.map((c) => c.kind)).toEqual(['upsert_space', 'upsert_user_identity', 'upsert_access_grant'])
  })

  test('existing space without doors → waiting', () => {
    const p = push({ reservations: [{ reservation_key: 'res-3', guest_key: 'guest-alice', space_keys: ['unit-102'], ...stay }] })
    expect(p.results[0]).toMatchObject({ status: 'waiting', waiting_for: { space_keys_without_doors: ['unit-102'] } })
  })

  test('duplicate email: the guest AND its reservation are rejected with user_identity_email_or_phone_conflict', () => {
    const p = push({
      guests: [{ guest_key: 'guest-alias', name: 'Alias', email_address: 'ALICE@example.com' }],
      reservations: [{ reservation_key: 'res-4', guest_key: 'guest-alias', space_keys: ['unit-101'], ...stay }],
    })
    expect(p.results).toEqual([
      { collection: 'guests', key: 'guest-alias', status: 'rejected', error: expect.objectContaining({ type: 'user_identity_email_or_phone_conflict', status: 409 }) },
      { collection: 'reservations', key: 'res-4', status: 'rejected', error: expect.objectContaining({ type: 'user_identity_email_or_phone_conflict', status: 409 }) },
    ])
    expect(p.changes).toEqual([])
  })

  test('duplicate email inside one push is caught too; a site allowing shared emails accepts it', () => {
    const body = {
      guests: [
        { guest_key: 'g-a', name: 'A', email_address: 'front@hotel.example' },
        { guest_key: 'g-b', name: 'B', email_address: 'front@hotel.example' },
      ],
    }
    expect(push(body).results.map((r) => r.status)).toEqual(['applied', 'rejected'])
    expect(push(body, snap(), { allowSharedEmails: true }).results.map((r) => r.status)).toEqual(['applied', 'applied'])
  })

  test('uniqueness is judged after the push: freeing an email later in the payload lets an earlier item take it', () => {
    const p = push({
      guests: [
        { guest_key: 'guest-new', name: 'New', email_address: 'alice@example.com' },
        { guest_key: 'guest-alice', name: 'Alice', email_address: 'alice@new.example' },
      ],
    })
    expect(p.results.map((r) => r.status)).toEqual(['applied', 'applied'])
    // Swapping two emails in one push is fine too; a third identity the push leaves alone always wins.
    const bob: IdentitySnapshot = { ...alice, userIdentityId: 'u2', userIdentityKey: 'guest-bob', emailAddress: 'bob@example.com' }
    const swap = push(
      { guests: [{ guest_key: 'guest-alice', name: 'Alice', email_address: 'bob@example.com' }, { guest_key: 'guest-bob', name: 'Bob', email_address: 'alice@example.com' }] },
      snap({ userIdentities: [alice, bob] }),
    )
    expect(swap.results.map((r) => r.status)).toEqual(['applied', 'applied'])
    const taken = push({ guests: [{ guest_key: 'guest-x', name: 'X', email_address: 'bob@example.com' }] }, snap({ userIdentities: [alice, bob] }))
    expect(taken.results[0]).toMatchObject({ status: 'rejected', error: { type: 'user_identity_email_or_phone_conflict' } })
  })

  test('reservations and access_grants are equivalent lists', () => {
    const item = { guest_key: 'guest-alice', space_keys: ['unit-101'], ...stay }
    const a = push({ reservations: [{ reservation_key: 'k-1', ...item }] })
    const b = push({ access_grants: [{ access_grant_key: 'k-1', ...item }] })
    const c = push({ bookings: [{ booking_key: 'k-1', ...item }] })
    const strip = (p: typeof a) => p.changes.map((ch) => (ch.kind === 'upsert_access_grant' ? { ...ch, grant: { ...ch.grant, collection: null } } : ch))
    expect(strip(a)).toEqual(strip(b))
    expect(strip(a)).toEqual(strip(c))
    expect(a.results[0]).toMatchObject({ status: 'applied', outcome: 'created' })
    // The same key in two lists of one push is one grant: the second is refused, not merged silently.
    const both = push({ reservations: [{ reservation_key: 'k-1', ...item }], access_grants: [{ access_grant_key: 'k-1', ...item }] })
    expect(both.results[1]).toMatchObject({ collection: 'access_grants', status: 'rejected', error: { type: 'duplicate_key_in_payload' } })
  })

  test('delete by either key; unknown keys say not_found', () => {
    const grants = grantsAfter(push({ reservations: [{ reservation_key: 'res-5', guest_key: 'guest-alice', space_keys: ['unit-101'], ...stay }] }).changes)
    const s = snap({ grants })
    for (const list of ['reservation_keys', 'access_grant_keys', 'booking_keys'] as const) {
      const d = planDeleteData(parseDeleteData({ [list]: ['res-5', 'nope'] }), s)
      expect(d.results).toEqual([
        { list, key: 'nope', status: 'not_found' },
        { list, key: 'res-5', status: 'deleted' },
      ])
      expect(d.changes).toEqual([{ kind: 'delete_access_grant', accessGrantKey: 'res-5', accessGrantId: 'ag-res-5' }])
    }
  })

  test('unknown user key → rejected with user_identity_not_found', () => {
    const p = push({ reservations: [{ reservation_key: 'res-6', guest_key: 'ghost', space_keys: ['unit-101'], ...stay }] })
    expect(p.results[0]).toMatchObject({ status: 'rejected', error: { type: 'user_identity_not_found', status: 400 } })
  })

  test('missing holder or space keys → rejected invalid_input', () => {
    const p = push({ reservations: [{ reservation_key: 'a', space_keys: ['unit-101'] }, { reservation_key: 'b', guest_key: 'guest-alice' }, { reservation_key: 'c', guest_key: 'guest-alice', user_key: 'other', space_keys: ['unit-101'] }] })
    expect(p.results.map((r) => r.status === 'rejected' && r.error.type)).toEqual(['invalid_input', 'invalid_input', 'invalid_input'])
  })

  test('kinds without state here are rejected item by item', () => {
    const p = push({ properties: [{ property_key: 'p1', name: 'P' }], staff_members: [{ staff_member_key: 's1', name: 'S' }] })
    expect(p.results).toEqual([
      expect.objectContaining({ collection: 'properties', key: 'p1', status: 'rejected', error: expect.objectContaining({ type: 'push_data_kind_not_supported' }) }),
      expect.objectContaining({ collection: 'staff_members', key: 's1', status: 'rejected' }),
    ])
  })
})

describe('applying reservations', () => {
  test('capable entrance → the key becomes the reservation_key; methods follow the doors', () => {
    const p = push({ reservations: [{ reservation_key: 'res-7', guest_key: 'guest-alice', space_keys: ['unit-101'], preferred_code: '1357', ...stay }] })
    expect(p.changes[0]).toMatchObject({
      kind: 'upsert_access_grant',
      state: 'active',
      reservationKey: 'res-7',
      deviceIds: ['lock-101'],
      entranceIds: ['ent-101'],
      reservationEntranceIds: ['ent-101'],
      requested: [{ mode: 'code', code: '1357' }, { mode: 'card' }],
    })
  })

  test('no capable entrance → standard access without reservation_key (rule 1 never fires on a push)', () => {
    const p = push({ reservations: [{ reservation_key: 'res-8', guest_key: 'guest-alice', space_keys: ['gym'], ...stay }] })
    expect(p.changes[0]).toMatchObject({ reservationKey: null, requested: [{ mode: 'code' }] })
  })

  test('idempotent: pushing the same data again changes nothing', () => {
    const body = {
      spaces: [{ space_key: 'unit-101', name: 'Room 101' }],
      guests: [{ guest_key: 'guest-alice', name: 'Alice', email_address: 'alice@example.com' }],
      reservations: [{ reservation_key: 'res-9', guest_key: 'guest-alice', space_keys: ['unit-101'], ...stay }],
    }
    const first = push(body)
    const s = snap({ grants: grantsAfter(first.changes) })
    const second = push(body, s)
    expect(second.changes).toEqual([])
    expect(second.results.map((r) => r.status === 'applied' && r.outcome)).toEqual(['unchanged', 'unchanged', 'unchanged'])
  })

  test('a missing starts_at keeps the stored start, so a re-push stays unchanged', () => {
    const body = { reservations: [{ reservation_key: 'res-10', guest_key: 'guest-alice', space_keys: ['unit-101'] }] }
    const first = push(body)
    const second = push(body, snap({ now: NOW + 60_000, grants: grantsAfter(first.changes) }))
    expect(second.results[0]).toMatchObject({ status: 'applied', outcome: 'unchanged' })
  })

  test('a new time frame updates the grant', () => {
    const first = push({ reservations: [{ reservation_key: 'res-11', guest_key: 'guest-alice', space_keys: ['unit-101'], ...stay }] })
    const grants = grantsAfter(first.changes)
    const members = [{ reservationKey: 'res-11', accessGrantId: 'ag-res-11', capableEntranceIds: ['ent-101'], reservationEntranceIds: ['ent-101'], window: grants[0]!.window }]
    const p = push({ reservations: [{ reservation_key: 'res-11', guest_key: 'guest-alice', space_keys: ['unit-101'], starts_at: stay.starts_at, ends_at: '2025-05-16T11:00:00Z' }] }, snap({ grants, reservationMembers: members }))
    expect(p.results[0]).toMatchObject({ status: 'applied', outcome: 'updated' })
    expect(p.changes[0]).toMatchObject({ create: false, grant: { window: { endsAt: Date.parse('2025-05-16T11:00:00Z') } } })
  })

  test('rule violations reject the item: moving a live reservation to another room needs cleanup', () => {
    const room203: SpaceSnapshot = { ...room101, spaceKey: 'unit-203', entrances: [{ entranceId: 'ent-203', canBelongToReservation: true, canUnlockWithCard: true }] }
    // An API-created joiner holds reservation "res-12" on room 101.
    const members = [{ reservationKey: 'res-12', accessGrantId: 'ag-api', capableEntranceIds: ['ent-101'], reservationEntranceIds: ['ent-101'], window: { startsAt: Date.parse(stay.starts_at), endsAt: Date.parse(stay.ends_at) } }]
    const p = push({ reservations: [{ reservation_key: 'res-12', guest_key: 'guest-alice', space_keys: ['unit-203'], ...stay }] }, snap({ spaces: [room101, room203], reservationMembers: members }))
    expect(p.results[0]).toMatchObject({
      status: 'rejected',
      error: { type: 'reservation_entrance_change_requires_cleanup', status: 409, message: expect.stringMatching(/^Reservation entrance change requires cleanup\. /) },
    })
    expect(p.changes).toEqual([])
  })

  test('back-to-back stays on one room: two keys at once are legal, each its own reservation', () => {
    const p = push({
      reservations: [
        { reservation_key: 'stay-1', guest_key: 'guest-alice', space_keys: ['unit-101'], starts_at: '2025-05-10T15:00:00Z', ends_at: '2025-05-14T11:00:00Z' },
        { reservation_key: 'stay-2', guest_key: 'guest-alice', space_keys: ['unit-101'], starts_at: '2025-05-14T15:00:00Z', ends_at: '2025-05-16T11:00:00Z' },
      ],
    })
    expect(p.results.map((r) => r.status)).toEqual(['applied', 'applied'])
    expect(p.changes.map((c) => c.kind === 'upsert_access_grant' && c.reservationKey)).toEqual(['stay-1', 'stay-2'])
  })

  test('mixed space: the key covers the capable room door, the pool stays standard', () => {
    const suite: SpaceSnapshot = {
      ...room101,
      spaceKey: 'suite',
      entrances: [...room101.entrances, { entranceId: 'pool', canBelongToReservation: false, canUnlockWithCard: true }],
    }
    const p = push({ reservations: [{ reservation_key: 'stay-3', guest_key: 'guest-alice', space_keys: ['suite'], ...stay }] }, snap({ spaces: [suite] }))
    expect(p.changes[0]).toMatchObject({ reservationKey: 'stay-3', entranceIds: ['ent-101', 'pool'], reservationEntranceIds: ['ent-101'] })
  })

  test('ignored location lists are reported as warnings', () => {
    const p = push({ reservations: [{ reservation_key: 'r', guest_key: 'guest-alice', space_keys: ['unit-101'], property_keys: ['p'], ...stay }] })
    expect(p.results[0]).toMatchObject({ status: 'applied', warnings: [expect.stringContaining('property_keys')] })
  })
})

describe('draft becomes real when its space gets doors', () => {
  test('planDraftActivation turns waiting drafts on that space into active grants', () => {
    const first = push({ spaces: [{ space_key: 'unit-201', name: 'Room 201' }], reservations: [{ reservation_key: 'res-13', guest_key: 'guest-alice', space_keys: ['unit-201'], ...stay }] })
    const grants = grantsAfter(first.changes)
    expect(grants[0]?.state).toBe('draft')
    // Nothing happens while the space still has no doors.
    const stillBare: SpaceSnapshot = { spaceKey: 'unit-201', name: 'Room 201', customerKey: 'cust_1', deviceIds: [], entrances: [] }
    const waiting = planDraftActivation('unit-201', snap({ spaces: [stillBare], grants }))
    expect(waiting.results[0]).toMatchObject({ status: 'waiting', outcome: 'unchanged' })
    expect(waiting.changes).toEqual([])
    // spaces/update gives it a card door.
    const withDoor: SpaceSnapshot = { ...stillBare, entrances: [{ entranceId: 'ent-201', canBelongToReservation: true, canUnlockWithCard: true }] }
    const live = planDraftActivation('unit-201', snap({ spaces: [withDoor], grants }))
    expect(live.results).toEqual([{ collection: 'reservations', key: 'res-13', status: 'applied', outcome: 'updated' }])
    expect(live.changes).toEqual([expect.objectContaining({ kind: 'upsert_access_grant', state: 'active', reservationKey: 'res-13', entranceIds: ['ent-201'], requested: [{ mode: 'card' }] })])
  })
})

describe('delete_data', () => {
  const base = grantsAfter(push({ reservations: [{ reservation_key: 'res-20', guest_key: 'guest-alice', space_keys: ['unit-101'], ...stay }] }).changes)
  const withCards = base.map((g) => ({ ...g, issuedCardAccessMethodIds: ['am_card_1'] }))
  const members = [{ reservationKey: 'res-20', accessGrantId: 'ag-res-20', capableEntranceIds: ['ent-101'], reservationEntranceIds: ['ent-101'], window: base[0]!.window }]

  test('deleting the last grant of a reservation with a card out warns (relocation)', () => {
    const d = planDeleteData({ reservation_keys: ['res-20'] }, snap({ grants: withCards, reservationMembers: members }))
    expect(d.results[0]).toMatchObject({ status: 'deleted', warnings: [{ warning_code: 'issued_cards_not_revoked', access_method_ids: ['am_card_1'] }] })
  })

  test('deleting a guest removes its grants', () => {
    const d = planDeleteData({ guest_keys: ['guest-alice', 'nobody'] }, snap({ grants: base }))
    expect(d.results).toEqual([
      { list: 'guest_keys', key: 'guest-alice', status: 'deleted', cascade: { deleted_access_grant_keys: ['res-20'] } },
      { list: 'guest_keys', key: 'nobody', status: 'not_found' },
    ])
    expect(d.changes.map((c) => c.kind)).toEqual(['delete_user_identity', 'delete_access_grant'])
  })

  test('deleting a space parks its grants as drafts', () => {
    const d = planDeleteData({ space_keys: ['unit-101'] }, snap({ grants: base }))
    expect(d.results[0]).toEqual({ list: 'space_keys', key: 'unit-101', status: 'deleted', cascade: { drafted_access_grant_keys: ['res-20'] } })
    expect(d.changes[1]).toMatchObject({ kind: 'upsert_access_grant', state: 'draft', waitingFor: { missing_space_keys: ['unit-101'] } })
  })

  test('customer_keys removes everything of the customer; unmodelled kinds are not_found', () => {
    const d = planDeleteData({ customer_keys: ['cust_1', 'cust_x'], property_keys: ['p1'] }, snap({ grants: base }))
    expect(d.results).toEqual([
      { list: 'customer_keys', key: 'cust_1', status: 'deleted', cascade: { deleted_access_grant_keys: ['res-20'], deleted_user_identity_keys: ['guest-alice'], deleted_space_keys: ['unit-101', 'gym', 'unit-102'] } },
      { list: 'customer_keys', key: 'cust_x', status: 'not_found' },
      { list: 'property_keys', key: 'p1', status: 'not_found' },
    ])
  })
})
