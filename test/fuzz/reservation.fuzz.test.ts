// Random create / update / delete sequences. A small reference model, written without the domain code,
// decides what the rules allow; the domain must agree step by step, and the live state must keep the
// reservation invariants (fixed door set, joiners ⊆ set, pairwise-overlapping windows).
import fc from 'fast-check'
import { expect, test } from 'vitest'
import { checkReservation, releaseReservationGrants, reservationDoorSet, type ReservationMember, type TargetEntrance } from '../../src/domain/reservation.js'

const CAPABLE = ['c0', 'c1', 'c2']
const COMMON = ['n0', 'n1']
const KEYS = ['k0', 'k1', null] as const

type Key = (typeof KEYS)[number]
interface Win {
  start: number
  end: number | null
}
type Op =
  | { kind: 'create'; key: Key; doors: string[]; win: Win }
  | { kind: 'update'; pick: number; doors: string[] | null; win: Win | null }
  | { kind: 'delete'; pick: number }

const winArb: fc.Arbitrary<Win> = fc
  .record({ start: fc.integer({ min: 0, max: 6 }), len: fc.option(fc.integer({ min: 1, max: 3 }), { nil: null }) })
  .map(({ start, len }) => ({ start, end: len === null ? null : start + len }))
const doorsArb = fc.subarray([...CAPABLE, ...COMMON])
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant('create' as const), key: fc.constantFrom(...KEYS), doors: doorsArb, win: winArb }), weight: 5 },
  {
    arbitrary: fc.record({
      kind: fc.constant('update' as const),
      pick: fc.nat(),
      doors: fc.option(doorsArb, { nil: null }),
      win: fc.option(winArb, { nil: null }),
    }),
    weight: 3,
  },
  { arbitrary: fc.record({ kind: fc.constant('delete' as const), pick: fc.nat() }), weight: 2 },
)

// ---- reference model (independent of src/domain) ----
interface ModelGrant {
  id: string
  key: Key
  doors: string[]
  win: Win
}
class Model {
  grants: ModelGrant[] = []
  doorSets = new Map<string, Set<string>>() // key → fixed set while any grant of the key lives

  /** Expected outcome: null = accepted, otherwise the error type. */
  judge(key: Key, doors: string[], win: Win, selfId: string | null): string | null {
    if (key === null) return null
    const mine = new Set(doors.filter((d) => CAPABLE.includes(d)))
    if (mine.size === 0) return 'reservation_key_not_supported'
    const fixed = this.doorSets.get(key)
    if (!fixed) return null
    let allInside = true
    for (const d of mine) if (!fixed.has(d)) allInside = false
    if (!allInside) {
      let coversFixed = true
      for (const d of fixed) if (!mine.has(d)) coversFixed = false
      return coversFixed ? 'reservation_joiner_entrance_set_conflict' : 'reservation_entrance_change_requires_cleanup'
    }
    const others = this.grants.filter((g) => g.key === key && g.id !== selfId)
    const hi = (w: Win) => (w.end === null ? Infinity : w.end)
    // Two half-open intervals meet iff the later start is before the earlier end.
    if (others.some((g) => !(Math.max(g.win.start, win.start) < Math.min(hi(g.win), hi(win))))) return 'reservation_time_frames_must_overlap'
    return null
  }
  add(g: ModelGrant) {
    this.grants.push(g)
    if (g.key !== null && !this.doorSets.has(g.key)) this.doorSets.set(g.key, new Set(g.doors.filter((d) => CAPABLE.includes(d))))
  }
  remove(id: string) {
    const g = this.grants.find((x) => x.id === id)!
    this.grants = this.grants.filter((x) => x.id !== id)
    if (g.key !== null && !this.grants.some((x) => x.key === g.key)) this.doorSets.delete(g.key)
  }
}

// ---- system under test: a toy store around checkReservation ----
interface StoredGrant {
  id: string
  key: Key
  entrances: TargetEntrance[]
  member: ReservationMember
}
const toEntrances = (doors: string[]): TargetEntrance[] => doors.map((d) => ({ entranceId: d, canBelongToReservation: CAPABLE.includes(d) }))
const toWindow = (w: Win) => ({ startsAt: w.start * 3_600_000, endsAt: w.end === null ? null : w.end * 3_600_000 })
const config = { reservationKeyRequiredForGuestCards: false }

test('domain accepts exactly what the reference model allows, and live reservations keep their invariants', () => {
  fc.assert(
    fc.property(fc.array(opArb, { maxLength: 40 }), (ops) => {
      const model = new Model()
      let store: StoredGrant[] = []
      let seq = 0
      for (const op of ops) {
        if (op.kind === 'create') {
          const id = `g${seq++}`
          const expected = model.judge(op.key, op.doors, op.win, null)
          const members = store.filter((g) => op.key !== null && g.key === op.key).map((g) => g.member)
          const r = checkReservation({ reservationKey: op.key, entrances: toEntrances(op.doors), window: toWindow(op.win), members, requestsCard: true, config })
          expect(r.ok ? null : r.error.type).toBe(expected)
          if (r.ok) {
            model.add({ id, key: op.key, doors: op.doors, win: op.win })
            const d = r.decision
            store.push({ id, key: op.key, entrances: toEntrances(op.doors), member: { accessGrantId: id, capableEntranceIds: d.capableEntranceIds, reservationEntranceIds: d.reservationEntranceIds, window: toWindow(op.win) } })
          }
        } else if (op.kind === 'update') {
          if (store.length === 0) continue
          const g = store[op.pick % store.length]!
          const mg = model.grants.find((x) => x.id === g.id)!
          const doors = op.doors ?? mg.doors
          const win = op.win ?? mg.win
          const expected = model.judge(g.key, doors, win, g.id)
          const members = store.filter((x) => g.key !== null && x.key === g.key).map((x) => x.member)
          const r = checkReservation({ reservationKey: g.key, accessGrantId: g.id, entrances: toEntrances(doors), window: toWindow(win), members, requestsCard: true, config })
          expect(r.ok ? null : r.error.type).toBe(expected)
          if (r.ok) {
            mg.doors = doors
            mg.win = win
            g.entrances = toEntrances(doors)
            g.member = { accessGrantId: g.id, capableEntranceIds: r.decision.capableEntranceIds, reservationEntranceIds: r.decision.reservationEntranceIds, window: toWindow(win) }
          }
        } else {
          if (store.length === 0) continue
          const g = store[op.pick % store.length]!
          const peers = store.filter((x) => g.key !== null && x.key === g.key).map((x) => x.member)
          store = store.filter((x) => x.id !== g.id)
          model.remove(g.id)
          if (g.key !== null) {
            const release = releaseReservationGrants({ reservationKey: g.key, members: peers, deletedAccessGrantIds: [g.id], issuedCardAccessMethodIds: [] })
            expect(release.freed).toBe(!model.doorSets.has(g.key))
          }
        }

        // Invariants over the live state.
        for (const [key, fixed] of model.doorSets) {
          const live = store.filter((g) => g.key === key)
          expect(live.length).toBeGreaterThan(0)
          const set = reservationDoorSet(live.map((g) => g.member))
          expect(set).toEqual([...fixed].sort())
          for (const g of live) {
            expect(g.member.reservationEntranceIds).toEqual(set)
            for (const d of g.member.capableEntranceIds) expect(set).toContain(d)
            for (const h of live) {
              if (h === g) continue
              const a = g.member.window
              const b = h.member.window
              expect((a.endsAt === null || a.endsAt > b.startsAt) && (b.endsAt === null || b.endsAt > a.startsAt)).toBe(true)
            }
          }
        }
        for (const g of store) if (g.key !== null) expect(model.doorSets.has(g.key)).toBe(true)
      }
    }),
    { numRuns: 500 },
  )
})
