import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import type { SlotReading } from '../../../src/ports/lock-driver.js'
import { isActive, plan, type DesiredCode, type Hold, type Op, type PlanInput } from '../../../src/reconcile/plan.js'

const NOW = 1_000_000
const PINS = ['1111', '2222', '3333', '4444', '5555']

type Cell = { kind: 'empty' } | { kind: 'occupied'; code: string | null } | { kind: 'unreadable' } | { kind: 'missing' }

const cellArb: fc.Arbitrary<Cell> = fc.oneof(
  { weight: 4, arbitrary: fc.constant<Cell>({ kind: 'empty' }) },
  { weight: 4, arbitrary: fc.constantFrom(...PINS).map((code): Cell => ({ kind: 'occupied', code })) },
  { weight: 1, arbitrary: fc.constant<Cell>({ kind: 'occupied', code: null }) },
  { weight: 1, arbitrary: fc.constant<Cell>({ kind: 'unreadable' }) },
  { weight: 1, arbitrary: fc.constant<Cell>({ kind: 'missing' }) },
)

const timeArb = fc.option(fc.integer({ min: NOW - 3000, max: NOW + 3000 }), { nil: null })

const scenarioArb = fc
  .record({ firstSlot: fc.integer({ min: 0, max: 2 }), slotCount: fc.integer({ min: 1, max: 6 }) })
  .chain((constraints) =>
    fc.record({
      constraints: fc.constant(constraints),
      cells: fc.array(cellArb, { minLength: constraints.slotCount, maxLength: constraints.slotCount }),
      codes: fc.uniqueArray(
        fc.record({
          accessCodeId: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f'),
          code: fc.constantFrom(...PINS),
          name: fc.constant('guest'),
          startsAt: timeArb,
          endsAt: timeArb,
          allowExternalModification: fc.boolean(),
          slot: fc.option(fc.integer({ min: constraints.firstSlot - 1, max: constraints.firstSlot + constraints.slotCount }), { nil: null }),
          removing: fc.boolean(),
          confirmedCode: fc.option(fc.constantFrom(...PINS), { nil: null }),
        }),
        { selector: (c) => c.accessCodeId, maxLength: 6 },
      ),
      holdFor: fc.subarray(['a', 'b', 'c', 'd', 'e', 'f']),
      holdReason: fc.constantFrom<Hold['reason']>('duplicate_code', 'no_space', 'bad_format', 'other'),
    }),
  )

type S = typeof scenarioArb extends fc.Arbitrary<infer T> ? T : never

function readingsOf(s: S): SlotReading[] {
  const out: SlotReading[] = []
  s.cells.forEach((cell, i) => {
    const slot = s.constraints.firstSlot + i
    if (cell.kind === 'empty') out.push({ slot, state: 'empty' })
    else if (cell.kind === 'occupied') out.push({ slot, state: 'occupied', code: cell.code })
    else if (cell.kind === 'unreadable') out.push({ slot, state: 'unreadable', reason: 'timeout' })
  })
  return out
}

function inputOf(s: S): PlanInput {
  const holds = new Map<string, Hold>()
  for (const id of s.holdFor) {
    const c = s.codes.find((x) => x.accessCodeId === id)
    if (c) holds.set(id, { op: isActive(c, NOW) ? 'write' : 'clear', code: c.code, reason: s.holdReason })
  }
  return { codes: s.codes, observed: readingsOf(s), constraints: s.constraints, now: NOW, holds }
}

/** The model lock: apply ops to the readings the way an obedient lock would, then read back. */
function readBack(observed: SlotReading[], ops: Op[]): SlotReading[] {
  const bySlot = new Map(observed.map((r) => [r.slot, r]))
  for (const op of ops)
    bySlot.set(op.slot, op.kind === 'write' ? { slot: op.slot, state: 'occupied', code: op.code } : { slot: op.slot, state: 'empty' })
  return [...bySlot.values()]
}

function withAssignments(codes: readonly DesiredCode[], assignments: { accessCodeId: string; slot: number }[]): DesiredCode[] {
  return codes.map((c) => {
    const a = assignments.find((x) => x.accessCodeId === c.accessCodeId)
    return a ? { ...c, slot: a.slot } : c
  })
}

/** Slots the plan owns: validly assigned earlier (first claim wins), or newly assigned. */
function ownedSlots(input: PlanInput): Set<number> {
  const { firstSlot, slotCount } = input.constraints
  const owned = new Set<number>()
  for (const c of [...input.codes].sort((a, b) => a.accessCodeId.localeCompare(b.accessCodeId)))
    if (c.slot !== null && c.slot >= firstSlot && c.slot < firstSlot + slotCount) owned.add(c.slot)
  return owned
}

const runs = { numRuns: 2000 }

describe('plan (properties)', () => {
  it('converges after one plan and a read-back: planning again yields no ops', () => {
    fc.assert(
      fc.property(scenarioArb, (s) => {
        const input = inputOf(s)
        const p1 = plan(input)
        const observed2 = readBack(input.observed as SlotReading[], p1.ops)
        const justWritten = new Map(p1.ops.flatMap((o) => (o.kind === 'write' ? [[o.slot, o.code] as const] : [])))
        const p2 = plan({ ...input, codes: withAssignments(input.codes, p1.assignments), observed: observed2, justWritten })
        expect(p2.ops).toEqual([])
        expect(p2.assignments).toEqual([])
      }),
      runs,
    )
  })

  it('never writes or clears a slot it does not own, and assigns only readable empty slots', () => {
    fc.assert(
      fc.property(scenarioArb, (s) => {
        const input = inputOf(s)
        const p = plan(input)
        const owned = ownedSlots(input)
        const reading = new Map(input.observed.map((r) => [r.slot, r]))
        for (const a of p.assignments) {
          expect(owned.has(a.slot)).toBe(false)
          expect(reading.get(a.slot)?.state).toBe('empty')
          owned.add(a.slot)
        }
        for (const op of p.ops) expect(owned.has(op.slot)).toBe(true)
        // Every unmanaged code is reported, and no op touches it.
        for (const u of p.unmanaged) expect(p.ops.some((o) => o.slot === u.slot)).toBe(false)
        expect(new Set(p.assignments.map((a) => a.slot)).size).toBe(p.assignments.length)
      }),
      runs,
    )
  })

  it('never writes or clears a slot whose reading is unreadable or missing', () => {
    fc.assert(
      fc.property(scenarioArb, (s) => {
        const input = inputOf(s)
        const p = plan(input)
        const reading = new Map(input.observed.map((r) => [r.slot, r]))
        for (const op of p.ops) {
          const r = reading.get(op.slot)
          expect(r).toBeDefined()
          expect(r!.state).not.toBe('unreadable')
        }
      }),
      runs,
    )
  })

  it('a PIN held by an unmanaged slot is reported as duplicate and never written, now or after read-back', () => {
    fc.assert(
      fc.property(scenarioArb, (s) => {
        const input = inputOf(s)
        const p1 = plan(input)
        const unmanagedPins = new Set(p1.unmanaged.map((u) => u.code))
        for (const op of p1.ops) if (op.kind === 'write') expect(unmanagedPins.has(op.code)).toBe(false)
        for (const vd of p1.verdicts) {
          if (vd.errors.some((e) => e.code === 'duplicate_code_on_device')) {
            expect(vd.kind).toBe('failed')
            expect(p1.ops.some((o) => o.accessCodeId === vd.accessCodeId)).toBe(false)
          }
        }
        const p2 = plan({ ...input, codes: withAssignments(input.codes, p1.assignments), observed: readBack(input.observed as SlotReading[], p1.ops) })
        for (const vd of p1.verdicts)
          if (vd.errors.some((e) => e.code === 'duplicate_code_on_device' && e.unmanaged_slot !== undefined))
            expect(p2.verdicts.find((x) => x.accessCodeId === vd.accessCodeId)?.errors.map((e) => e.code)).toContain('duplicate_code_on_device')
      }),
      runs,
    )
  })

  it('writes a code only inside its window; outside it only clears, and never leaves it active', () => {
    fc.assert(
      fc.property(scenarioArb, (s) => {
        const input = inputOf(s)
        const p = plan(input)
        const byId = new Map(input.codes.map((c) => [c.accessCodeId, c]))
        for (const op of p.ops) {
          const c = byId.get(op.accessCodeId)!
          if (op.kind === 'write') {
            expect(isActive(c, NOW)).toBe(true)
            expect(op.code).toBe(c.code)
          } else expect(isActive(c, NOW)).toBe(false)
        }
        for (const vd of p.verdicts) {
          const c = byId.get(vd.accessCodeId)!
          if (!isActive(c, NOW)) expect(['removing', 'unset', 'gone', 'unknown', 'failed']).toContain(vd.kind)
          else if (vd.kind === 'gone') expect(vd.external?.resolution).toBe('adopt') // owner removed it, allowed
          else expect(vd.kind).not.toBe('unset')
        }
        expect(p.verdicts).toHaveLength(input.codes.length)
        if (p.nextWakeAt !== null) expect(p.nextWakeAt).toBeGreaterThan(NOW)
      }),
      runs,
    )
  })

  it('is deterministic and ignores input order', () => {
    fc.assert(
      fc.property(scenarioArb, (s) => {
        const input = inputOf(s)
        const a = plan(input)
        const b = plan({ ...input, codes: [...input.codes].reverse(), observed: [...input.observed].reverse() })
        expect(b.ops).toEqual(a.ops)
        expect(b.assignments).toEqual(a.assignments)
        expect(new Map(b.verdicts.map((x) => [x.accessCodeId, x]))).toEqual(new Map(a.verdicts.map((x) => [x.accessCodeId, x])))
      }),
      runs,
    )
  })
})
