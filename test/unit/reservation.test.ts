import { describe, expect, test } from 'vitest'
import { DomainError } from '../../src/domain/errors.js'
import {
  checkReservation,
  releaseReservationGrants,
  reservationDoorSet,
  windowsOverlap,
  type ReservationCheckInput,
  type ReservationMember,
  type TargetEntrance,
  type TimeWindow,
} from '../../src/domain/reservation.js'

const t = (iso: string) => Date.parse(iso)
const win = (a: string, b: string | null): TimeWindow => ({ startsAt: t(a), endsAt: b === null ? null : t(b) })
const stay1 = win('2025-05-10T15:00:00Z', '2025-05-14T11:00:00Z')

const capable = (id: string): TargetEntrance => ({ entranceId: id, canBelongToReservation: true })
const common = (id: string): TargetEntrance => ({ entranceId: id, canBelongToReservation: false })

const config = { reservationKeyRequiredForGuestCards: false }

function input(over: Partial<ReservationCheckInput>): ReservationCheckInput {
  return { reservationKey: 'stay-1', entrances: [capable('room-101')], window: stay1, members: [], requestsCard: true, config, ...over }
}

function member(id: string, capableIds: string[], window: TimeWindow = stay1, set: string[] = capableIds): ReservationMember {
  return { accessGrantId: id, capableEntranceIds: capableIds, reservationEntranceIds: set, window }
}

function expectError(r: ReturnType<typeof checkReservation>, type: string, status: number, message: string): DomainError {
  expect(r.ok).toBe(false)
  if (r.ok) throw new Error('unreachable')
  expect(r.error).toBeInstanceOf(DomainError)
  expect(r.error.type).toBe(type)
  expect(r.error.status).toBe(status)
  expect(r.error.message).toBe(message)
  return r.error
}

describe('rules with exact status, title and message', () => {
  test('rule 1: a key with no capable entrance is refused (400)', () => {
    const r = checkReservation(input({ entrances: [common('gym'), common('pool')] }))
    const e = expectError(
      r,
      'reservation_key_not_supported',
      400,
      'reservation_key not supported. No targeted entrances support reservation behavior. Remove reservation_key or include at least one reservation-capable entrance.',
    )
    expect(e.data?.title).toBe('reservation_key not supported.')
  })

  test('rule 1 also covers a grant with no entrance at all', () => {
    const r = checkReservation(input({ entrances: [] }))
    expect(!r.ok && [r.error.type, r.error.status]).toEqual(['reservation_key_not_supported', 400])
  })

  test('guest card without key where the site requires one (400)', () => {
    const r = checkReservation(input({ reservationKey: null, config: { reservationKeyRequiredForGuestCards: true } }))
    expectError(
      r,
      'reservation_key_required_for_guest_cards',
      400,
      'reservation_key required for guest cards. Add a reservation_key when issuing guest credentials for these entrances.',
    )
  })

  test('the guest-card requirement spares staff, codes, and sites that do not ask for it', () => {
    const strict = { reservationKeyRequiredForGuestCards: true }
    expect(checkReservation(input({ reservationKey: null, config: strict, isStaff: true })).ok).toBe(true)
    expect(checkReservation(input({ reservationKey: null, config: strict, requestsCard: false })).ok).toBe(true)
    expect(checkReservation(input({ reservationKey: null, config: strict, entrances: [common('lobby')] })).ok).toBe(true)
    expect(checkReservation(input({ reservationKey: null })).ok).toBe(true)
  })

  test('rule 2: a different door set for a live key needs cleanup (409)', () => {
    const r = checkReservation(input({ entrances: [capable('room-203')], members: [member('g1', ['room-101'])] }))
    const e = expectError(
      r,
      'reservation_entrance_change_requires_cleanup',
      409,
      'Reservation entrance change requires cleanup. To change the doors for this reservation, delete the existing access grants first.',
    )
    expect(e.data).toMatchObject({ reservation_key: 'stay-1', reservation_entrance_ids: ['room-101'], conflicting_entrance_ids: ['room-203'] })
  })

  test('rule 2: a partly overlapping set (neither subset nor superset) needs cleanup', () => {
    const r = checkReservation(input({ entrances: [capable('a'), capable('c')], members: [member('g1', ['a', 'b'])] }))
    expect(r.ok || r.error.type).toBe('reservation_entrance_change_requires_cleanup')
  })

  test('rule 3: a strict superset joiner conflicts (409)', () => {
    const r = checkReservation(input({ entrances: [capable('room-101'), capable('room-102')], members: [member('g1', ['room-101'])] }))
    expectError(
      r,
      'reservation_joiner_entrance_set_conflict',
      409,
      'Reservation joiner entrance set conflict. Joiner access grants must use the same or a subset of the reservation-capable doors.',
    )
  })

  test('rule 3: subsets join, non-capable entrances are ignored by the check', () => {
    const members = [member('g1', ['bedroom', 'suite'])]
    const r = checkReservation(input({ entrances: [capable('suite'), common('gym'), common('lobby')], members }))
    expect(r.ok && r.decision).toEqual({
      role: 'joiner',
      capableEntranceIds: ['suite'],
      standardEntranceIds: ['gym', 'lobby'],
      reservationEntranceIds: ['bedroom', 'suite'],
    })
  })

  test('rule 4: a joiner whose window does not overlap is refused (409)', () => {
    const r = checkReservation(
      input({ window: win('2025-05-15T15:00:00Z', '2025-05-18T11:00:00Z'), members: [member('g1', ['room-101'])] }),
    )
    expectError(
      r,
      'reservation_time_frames_must_overlap',
      409,
      'Reservation time frames must overlap. Access grants in the same reservation must have overlapping time frames.',
    )
  })

  test('rule 4 is pairwise: overlapping one member is not enough', () => {
    const members = [member('g1', ['r'], win('2025-05-10T00:00:00Z', '2025-05-12T00:00:00Z')), member('g2', ['r'], win('2025-05-11T00:00:00Z', '2025-05-20T00:00:00Z'))]
    const r = checkReservation(input({ entrances: [capable('r')], window: win('2025-05-13T00:00:00Z', '2025-05-14T00:00:00Z'), members }))
    expect(!r.ok && r.error.data?.non_overlapping_access_grant_ids).toEqual(['g1'])
  })

  test('door-set rules are checked before time frames', () => {
    const r = checkReservation(input({ entrances: [capable('x')], window: win('2030-01-01T00:00:00Z', '2030-01-02T00:00:00Z'), members: [member('g1', ['room-101'])] }))
    expect(!r.ok && r.error.type).toBe('reservation_entrance_change_requires_cleanup')
  })
})

describe('windows', () => {
  test('half-open: touching windows do not overlap; open ends reach forever', () => {
    expect(windowsOverlap(win('2025-05-10T00:00:00Z', '2025-05-14T11:00:00Z'), win('2025-05-14T11:00:00Z', '2025-05-15T00:00:00Z'))).toBe(false)
    expect(windowsOverlap(win('2025-05-10T00:00:00Z', null), win('2030-01-01T00:00:00Z', '2030-01-02T00:00:00Z'))).toBe(true)
    expect(windowsOverlap(win('2025-05-10T00:00:00Z', null), win('2025-01-01T00:00:00Z', null))).toBe(true)
  })
})

describe('seed 001 scenarios', () => {
  test('1. back-to-back: a different key on the same room is legal at the same time', () => {
    // The rules only look at grants of the same key; stay-1 is not a member of stay-2.
    const r = checkReservation(input({ reservationKey: 'stay-2', window: win('2025-05-14T15:00:00Z', '2025-05-16T11:00:00Z'), members: [] }))
    expect(r.ok && r.decision.role).toBe('establishes')
    // Even overlapping windows on the same room are accepted: the newer key overrides on first use.
    const overlapping = checkReservation(input({ reservationKey: 'stay-2', window: stay1, members: [] }))
    expect(overlapping.ok).toBe(true)
  })

  test('2. multiple guests join the same lease', () => {
    const first = checkReservation(input({}))
    expect(first.ok && first.decision).toMatchObject({ role: 'establishes', reservationEntranceIds: ['room-101'] })
    const second = checkReservation(input({ members: [member('g1', ['room-101'])] }))
    expect(second.ok && second.decision).toMatchObject({ role: 'same_set', reservationEntranceIds: ['room-101'] })
    const overlappingJoiner = checkReservation(input({ window: win('2025-05-11T11:00:00Z', '2025-05-14T11:00:00Z'), members: [member('g1', ['room-101'])] }))
    expect(overlappingJoiner.ok).toBe(true)
  })

  test('3. relocation: refused while the old grant lives; allowed after deleting every grant; warns about cards', () => {
    const members = [member('old', ['room-101'])]
    const moveNow = checkReservation(input({ entrances: [capable('room-203')], members }))
    expect(!moveNow.ok && moveNow.error.type).toBe('reservation_entrance_change_requires_cleanup')

    const release = releaseReservationGrants({ reservationKey: 'stay-1', members, deletedAccessGrantIds: ['old'], issuedCardAccessMethodIds: ['am_card_1'] })
    expect(release.freed).toBe(true)
    expect(release.warnings).toEqual([expect.objectContaining({ warning_code: 'issued_cards_not_revoked', access_method_ids: ['am_card_1'] })])

    const moved = checkReservation(input({ entrances: [capable('room-203')], window: win('2025-05-10T15:30:00Z', '2025-05-14T11:00:00Z'), members: [] }))
    expect(moved.ok && moved.decision).toMatchObject({ role: 'establishes', reservationEntranceIds: ['room-203'] })
  })

  test('3b. deleting only some grants keeps the key and warns nothing without cards', () => {
    const release = releaseReservationGrants({
      reservationKey: 'stay-1',
      members: [member('a', ['r']), member('b', ['r'])],
      deletedAccessGrantIds: ['a'],
      issuedCardAccessMethodIds: [],
    })
    expect(release).toEqual({ freed: false, remainingAccessGrantIds: ['b'], warnings: [] })
  })

  test('4. time-frame change of a grant is re-checked against its reservation (itself excluded)', () => {
    const members = [member('g1', ['room-101']), member('g2', ['room-101'])]
    const extend = checkReservation(input({ accessGrantId: 'g1', window: win('2025-05-10T15:00:00Z', '2025-05-16T11:00:00Z'), members }))
    expect(extend.ok && extend.decision.role).toBe('same_set')
    const moveAway = checkReservation(input({ accessGrantId: 'g1', window: win('2025-06-01T00:00:00Z', '2025-06-02T00:00:00Z'), members }))
    expect(!moveAway.ok && moveAway.error.type).toBe('reservation_time_frames_must_overlap')
    // Alone in its reservation, any new window is fine.
    const alone = checkReservation(input({ accessGrantId: 'g1', window: win('2025-06-01T00:00:00Z', '2025-06-02T00:00:00Z'), members: [members[0]!] }))
    expect(alone.ok).toBe(true)
  })

  test('5. mixed capable / non-capable: the key applies only to room-101, the gym and pool ignore it', () => {
    const r = checkReservation(input({ entrances: [capable('room-101-id'), common('gym-id'), common('lobby-id')] }))
    expect(r.ok && r.decision).toEqual({
      role: 'establishes',
      capableEntranceIds: ['room-101-id'],
      standardEntranceIds: ['gym-id', 'lobby-id'],
      reservationEntranceIds: ['room-101-id'],
    })
    // A joiner adding the Pool (non-capable) is still a same-set joiner.
    const joiner = checkReservation(input({ entrances: [capable('room-101-id'), common('pool-id')], members: [member('g1', ['room-101-id'])] }))
    expect(joiner.ok && joiner.decision.role).toBe('same_set')
    // Pool and gym alone with the key → rule 1.
    const onlyPool = checkReservation(input({ entrances: [common('gym-id'), common('pool-id')] }))
    expect(!onlyPool.ok && onlyPool.error.type).toBe('reservation_key_not_supported')
  })
})

describe('updates of the establishing grant (documented decision)', () => {
  test('it cannot move its doors in place, even alone', () => {
    const r = checkReservation(input({ accessGrantId: 'g1', entrances: [capable('room-203')], members: [member('g1', ['room-101'])] }))
    expect(!r.ok && r.error.type).toBe('reservation_entrance_change_requires_cleanup')
  })

  test('it cannot widen the set', () => {
    const r = checkReservation(input({ accessGrantId: 'g1', entrances: [capable('a'), capable('b')], members: [member('g1', ['a'])] }))
    expect(!r.ok && r.error.type).toBe('reservation_joiner_entrance_set_conflict')
  })

  test('it may narrow its own doors; the reservation keeps its set', () => {
    const members = [member('g1', ['a', 'b']), member('g2', ['a', 'b'])]
    const r = checkReservation(input({ accessGrantId: 'g1', entrances: [capable('a')], members }))
    expect(r.ok && r.decision).toMatchObject({ role: 'joiner', reservationEntranceIds: ['a', 'b'] })
  })

  test('the door set survives the establishing grant’s deletion while a joiner lives', () => {
    const joinerOnly = [member('g2', ['a'], stay1, ['a', 'b'])]
    expect(reservationDoorSet(joinerOnly)).toEqual(['a', 'b'])
    const r = checkReservation(input({ entrances: [capable('a'), capable('b')], members: joinerOnly }))
    expect(r.ok && r.decision.role).toBe('same_set')
  })
})

describe('staff', () => {
  test('no key: standard role, no overriding, every entrance standard', () => {
    const r = checkReservation(input({ reservationKey: null, isStaff: true, entrances: [capable('room-101'), common('lobby')] }))
    expect(r.ok && r.decision).toEqual({ role: 'standard', capableEntranceIds: [], standardEntranceIds: ['lobby', 'room-101'], reservationEntranceIds: [] })
  })
})
