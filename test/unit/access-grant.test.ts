import { describe, expect, test } from 'vitest'
import {
  cardNeedsEncoding, cardWarnings, planAccessMethods, planGrantCreation, planGrantTimeFrameUpdate, planTimeFrameChange, resolveTargets, validateRequestedAccessMethods, type CardMethodState, type DeviceInfo, type EntranceInfo, type SpaceDoors, type TargetLookup,
} from '../../src/domain/access-grant.js'
import { planReprovision, type GrantProvisioning } from '../../src/domain/grant-reprovision.js'
import type { TimeWindow } from '../../src/domain/reservation.js'

function site(spaces: SpaceDoors[], devices: DeviceInfo[], entrances: EntranceInfo[], keys: Record<string, string> = {}): TargetLookup {
  return {
    space: (id) => spaces.find((s) => s.spaceId === id),
    spaceByKey: (k) => spaces.find((s) => s.spaceId === keys[k]),
    device: (id) => devices.find((d) => d.deviceId === id),
    entrance: (id) => entrances.find((e) => e.entranceId === id),
  }
}
const lock = (id: string, can = true): DeviceInfo => ({ deviceId: id, canProgramAccessCodes: can })
const door = (id: string, reservation: boolean, card = true): EntranceInfo => ({ entranceId: id, canBelongToReservation: reservation, canUnlockWithCard: card })

const devices = [lock('lock-101'), lock('lock-gym'), lock('lock-nokeypad', false)]
const entrances = [door('room-101', true), door('pool', false), door('lobby', false), door('exit-only', false, false)]
const spaces: SpaceDoors[] = [
  { spaceId: 'sp-101', deviceIds: ['lock-101'], entranceIds: ['room-101', 'lobby'] },
  { spaceId: 'sp-amenities', deviceIds: ['lock-gym'], entranceIds: ['pool', 'lobby'] },
]
const lookup = site(spaces, devices, entrances, { 'unit-101': 'sp-101' })
const win: TimeWindow = { startsAt: Date.parse('2025-05-10T15:00:00Z'), endsAt: Date.parse('2025-05-14T11:00:00Z') }

describe('resolveTargets', () => {
  test('union of spaces, devices and entrances without duplicates', () => {
    const r = resolveTargets({ spaceIds: ['sp-101', 'sp-amenities'], spaceKeys: ['unit-101'], deviceIds: ['lock-101'], acsEntranceIds: ['exit-only'] }, lookup)
    expect(r.spaceIds).toEqual(['sp-101', 'sp-amenities'])
    expect(r.devices.map((d) => d.deviceId)).toEqual(['lock-101', 'lock-gym'])
    expect(r.entrances.map((e) => e.entranceId)).toEqual(['exit-only', 'lobby', 'pool', 'room-101'])
  })
  test('unknown ids are 404 with the resource name', () => {
    expect(() => resolveTargets({ spaceIds: ['nope'] }, lookup)).toThrowError(expect.objectContaining({ type: 'space_not_found', status: 404 }))
    expect(() => resolveTargets({ spaceKeys: ['nope'] }, lookup)).toThrowError(expect.objectContaining({ type: 'space_not_found', status: 404 }))
    expect(() => resolveTargets({ deviceIds: ['nope'] }, lookup)).toThrowError(expect.objectContaining({ type: 'device_not_found', status: 404 }))
    expect(() => resolveTargets({ acsEntranceIds: ['nope'] }, lookup)).toThrowError(expect.objectContaining({ type: 'acs_entrance_not_found', status: 404 }))
  })
})

describe('planAccessMethods', () => {
  test('code: one managed code per lock that takes codes, same preferred code on each', () => {
    const t = resolveTargets({ spaceIds: ['sp-101', 'sp-amenities'] }, lookup)
    const p = planAccessMethods([{ mode: 'code', code: '1357' }], t)
    expect(p.methods).toEqual([{ mode: 'code', code: '1357', accessCodes: [{ deviceId: 'lock-101', code: '1357' }, { deviceId: 'lock-gym', code: '1357' }] }])
    // The card-only entrances are reported, not silently skipped.
    expect(p.warnings).toEqual([expect.objectContaining({ warning_code: 'underprovisioned_access', acs_entrance_ids: ['lobby', 'pool', 'room-101'] })])
  })
  test('code on a lock without keypad: warning; no lock at all: grant error', () => {
    const some = planAccessMethods([{ mode: 'code' }], resolveTargets({ deviceIds: ['lock-101', 'lock-nokeypad'] }, lookup))
    expect(some.warnings[0]).toMatchObject({ warning_code: 'device_does_not_support_access_codes', device_ids: ['lock-nokeypad'] })
    const none = planAccessMethods([{ mode: 'code' }], resolveTargets({ deviceIds: ['lock-nokeypad'] }, lookup))
    expect(none.methods).toEqual([])
    expect(none.errors).toEqual([expect.objectContaining({ error_code: 'cannot_create_requested_access_methods', missing_device_ids: ['lock-nokeypad'] })])
  })
  test('card: one method waiting for encoding over every card reader', () => {
    const p = planAccessMethods([{ mode: 'card' }], resolveTargets({ acsEntranceIds: ['room-101', 'pool', 'exit-only'] }, lookup))
    expect(p.methods).toEqual([{ mode: 'card', entranceIds: ['pool', 'room-101'], isEncodingRequired: true, isIssued: false }])
    expect(p.warnings).toEqual([expect.objectContaining({ warning_code: 'underprovisioned_access', acs_entrance_ids: ['exit-only'] })])
  })
  test('code + card on a mixed space covers everything', () => {
    const p = planAccessMethods([{ mode: 'code' }, { mode: 'card' }], resolveTargets({ spaceIds: ['sp-101'] }, lookup))
    expect(p.methods.map((m) => m.mode)).toEqual(['code', 'card'])
    expect(p.warnings).toEqual([])
    expect(p.errors).toEqual([])
  })
  test('mobile_key and cloud_key are refused with a clear 400', () => {
    for (const mode of ['mobile_key', 'cloud_key'] as const) {
      expect(() => validateRequestedAccessMethods([{ mode }])).toThrowError(
        expect.objectContaining({ type: 'access_method_mode_not_supported', status: 400, message: expect.stringContaining(`"${mode}" is not supported`) }),
      )
    }
  })
  test('bad requests are invalid_input', () => {
    expect(() => validateRequestedAccessMethods([])).toThrowError(expect.objectContaining({ type: 'invalid_input' }))
    expect(() => validateRequestedAccessMethods([{ mode: 'code', code: '12' }])).toThrowError(expect.objectContaining({ type: 'invalid_input' }))
    expect(() => validateRequestedAccessMethods([{ mode: 'card', code: '1234' }])).toThrowError(expect.objectContaining({ type: 'invalid_input' }))
    expect(() => validateRequestedAccessMethods([{ mode: 'card' }, { mode: 'card' }])).toThrowError(expect.objectContaining({ type: 'invalid_input' }))
  })
})

describe('seed 001 scenario 4: time-frame change → encoding_required → re-encode', () => {
  const issued: CardMethodState = { accessMethodId: 'am_card', isIssued: true, encoded: { window: win, entranceIds: ['room-101'] } }
  const extended: TimeWindow = { ...win, endsAt: Date.parse('2025-05-16T11:00:00Z') }

  test('extending the window flags the issued card and retimes online codes', () => {
    const p = planTimeFrameChange({ before: win, after: extended, accessCodes: [{ accessCodeId: 'ac1', deviceId: 'lock-101' }], cards: [issued], cardEntranceIds: ['room-101'] })
    expect(p.changed).toBe(true)
    expect(p.accessCodeUpdates).toEqual([{ accessCodeId: 'ac1', startsAt: extended.startsAt, endsAt: extended.endsAt }])
    expect(p.cardsToReencode).toEqual(['am_card'])
    expect(p.warnings).toEqual([expect.objectContaining({ warning_code: 'encoding_required', access_method_ids: ['am_card'] })])
  })
  test('re-encoding with the new window clears the warning', () => {
    const reencoded: CardMethodState = { ...issued, encoded: { window: extended, entranceIds: ['room-101'] } }
    expect(cardWarnings([reencoded], extended, ['room-101'])).toEqual([])
    expect(cardNeedsEncoding(reencoded, extended, ['room-101'])).toBe(false)
  })
  test('a card never issued is waiting, not warned about', () => {
    const fresh: CardMethodState = { accessMethodId: 'am_new', isIssued: false, encoded: null }
    expect(cardNeedsEncoding(fresh, extended, ['room-101'])).toBe(true)
    expect(cardWarnings([fresh], extended, ['room-101'])).toEqual([])
  })
  test('same window: nothing to do; inverted window: invalid_input', () => {
    const same = planTimeFrameChange({ before: win, after: win, accessCodes: [{ accessCodeId: 'ac1', deviceId: 'lock-101' }], cards: [issued], cardEntranceIds: ['room-101'] })
    expect(same).toEqual({ changed: false, accessCodeUpdates: [], cardsToReencode: [], warnings: [] })
    expect(() => planTimeFrameChange({ before: win, after: { startsAt: 10, endsAt: 5 }, accessCodes: [], cards: [], cardEntranceIds: [] })).toThrowError(
      expect.objectContaining({ type: 'invalid_input' }),
    )
  })
})

describe('planReprovision: a space’s doors changed', () => {
  const base: GrantProvisioning = {
    accessGrantId: 'ag1',
    reservationKey: null,
    requested: [{ mode: 'code' }, { mode: 'card' }],
    targets: { spaceIds: ['sp-101'] },
    window: win,
    accessCodes: [{ accessCodeId: 'ac-101', deviceId: 'lock-101' }],
    cards: [{ accessMethodId: 'am_card', isIssued: true, encoded: { window: win, entranceIds: ['lobby', 'room-101'] } }],
    cardEntranceIds: ['lobby', 'room-101'],
    reservationMembers: [],
  }
  test('no change → unchanged', () => {
    expect(planReprovision([base], lookup)).toEqual([{ accessGrantId: 'ag1', status: 'unchanged' }])
  })
  test('a lock added and a door removed: create a code, re-encode the card', () => {
    const after = site([{ spaceId: 'sp-101', deviceIds: ['lock-101', 'lock-gym'], entranceIds: ['room-101'] }], devices, entrances)
    const [r] = planReprovision([base], after)
    expect(r).toMatchObject({ status: 'updated', accessCodesToCreate: [{ deviceId: 'lock-gym' }], accessCodesToDelete: [], cardEntranceIds: ['room-101'], cardsToReencode: ['am_card'] })
  })
  test('a lock removed: delete its code', () => {
    const after = site([{ spaceId: 'sp-101', deviceIds: [], entranceIds: ['room-101', 'lobby'] }], devices, entrances)
    const [r] = planReprovision([base], after)
    expect(r).toMatchObject({ status: 'updated', accessCodesToCreate: [], accessCodesToDelete: ['ac-101'], cardsToReencode: [] })
  })
  test('a reserved grant cannot gain a capable door outside its reservation set → blocked with rule 3', () => {
    const reserved: GrantProvisioning = {
      ...base,
      reservationKey: 'stay-1',
      reservationMembers: [{ accessGrantId: 'ag1', capableEntranceIds: ['room-101'], reservationEntranceIds: ['room-101'], window: win }],
    }
    const more = [...entrances, door('room-102', true)]
    const after = site([{ spaceId: 'sp-101', deviceIds: ['lock-101'], entranceIds: ['room-101', 'room-102', 'lobby'] }], devices, more)
    const [r] = planReprovision([reserved], after)
    expect(r?.status).toBe('blocked')
    expect(r?.status === 'blocked' && r.error.type).toBe('reservation_joiner_entrance_set_conflict')
  })
})

describe('planGrantCreation / planGrantTimeFrameUpdate (the API’s entry points)', () => {
  const config = { reservationKeyRequiredForGuestCards: false }
  const room = site(
    [{ spaceId: 'sp-room', deviceIds: [], entranceIds: ['room-101', 'pool'] }, { spaceId: 'sp-203', deviceIds: [], entranceIds: ['room-203'] }],
    [],
    [door('room-101', true), door('room-203', true), door('pool', false)],
  )
  const create = (over: Partial<Parameters<typeof planGrantCreation>[0]>) =>
    planGrantCreation({ requested: [{ mode: 'card' }], targets: { spaceIds: ['sp-room'] }, reservationKey: 'stay-1', window: win, members: [], config, ...over }, room)

  test('errors surface in order: shape (400) before targets (404) before reservation rules', () => {
    expect(() => create({ requested: [{ mode: 'mobile_key' }], targets: { spaceIds: ['nope'] } })).toThrowError(expect.objectContaining({ type: 'access_method_mode_not_supported' }))
    expect(() => create({ targets: { spaceIds: ['nope'] } })).toThrowError(expect.objectContaining({ type: 'space_not_found' }))
    expect(() => create({ window: { startsAt: win.endsAt!, endsAt: win.startsAt } })).toThrowError(expect.objectContaining({ type: 'invalid_input' }))
  })

  test('establishing grant: card over room and pool, key applied to the room only', () => {
    const c = create({})
    expect(c.reservation).toMatchObject({ role: 'establishes', reservationEntranceIds: ['room-101'], standardEntranceIds: ['pool'] })
    expect(c.methods.methods).toEqual([{ mode: 'card', entranceIds: ['pool', 'room-101'], isEncodingRequired: true, isIssued: false }])
  })

  test('relocation while the stay lives is a 409 DomainError', () => {
    const members = [{ accessGrantId: 'g1', capableEntranceIds: ['room-101'], reservationEntranceIds: ['room-101'], window: win }]
    expect(() => create({ targets: { spaceIds: ['sp-203'] }, members })).toThrowError(
      expect.objectContaining({ type: 'reservation_entrance_change_requires_cleanup', status: 409 }),
    )
  })

  test('time-frame update: rule 4 re-checked, then encoding_required for the issued card', () => {
    const members = [
      { accessGrantId: 'g1', capableEntranceIds: ['room-101'], reservationEntranceIds: ['room-101'], window: win },
      { accessGrantId: 'g2', capableEntranceIds: ['room-101'], reservationEntranceIds: ['room-101'], window: win },
    ]
    const base = {
      accessGrantId: 'g1',
      reservationKey: 'stay-1',
      entrances: [door('room-101', true)],
      members,
      before: win,
      accessCodes: [],
      cards: [{ accessMethodId: 'am1', isIssued: true, encoded: { window: win, entranceIds: ['room-101'] } }],
      cardEntranceIds: ['room-101'],
    }
    const later = { startsAt: Date.parse('2025-06-01T00:00:00Z'), endsAt: Date.parse('2025-06-03T00:00:00Z') }
    expect(() => planGrantTimeFrameUpdate({ ...base, after: later })).toThrowError(expect.objectContaining({ type: 'reservation_time_frames_must_overlap', status: 409 }))
    const extended = { ...win, endsAt: Date.parse('2025-05-16T11:00:00Z') }
    expect(planGrantTimeFrameUpdate({ ...base, after: extended }).warnings).toEqual([expect.objectContaining({ warning_code: 'encoding_required', access_method_ids: ['am1'] })])
  })
})
