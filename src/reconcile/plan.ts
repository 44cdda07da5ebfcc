// The planner: a pure function from (desired codes of one device, what the device last reported,
// its slot range, now) to the operations that bring the device in step and a verdict per code.
// No I/O and no clock of its own, so running it twice is harmless (design rule 2) and property tests
// can drive it against a model lock.
import type { CodeConstraints, SlotReading } from '../ports/lock-driver.js'
import type { RejectionReason } from '../ports/errors.js'

export interface DesiredCode {
  accessCodeId: string
  code: string
  /** The name as it should appear on the lock (already fitted to the lock's name rules). */
  name: string
  /** Epoch ms; null = no bound. */
  startsAt: number | null
  endsAt: number | null
  allowExternalModification: boolean
  /** Sticky slot assignment recorded earlier; null = none yet. A slot assigned to a code is owned by lockstep. */
  slot: number | null
  /** The code was deleted through the API and must be cleared from the device before it is forgotten. */
  removing: boolean
  /**
   * The PIN lockstep last saw set in its slot (persisted from `set`/`adopted` verdicts). It tells an
   * external modification (device differs from what we confirmed) apart from a pending API change
   * (device still holds what we confirmed, desired moved on).
   */
  confirmedCode: string | null
}

/** A write or clear the device rejected in an earlier pass; the planner does not retry it while held. */
export interface Hold {
  op: 'write' | 'clear'
  /** The PIN the rejected write carried; a hold stops applying once the desired PIN changes. */
  code: string
  reason: RejectionReason | 'unsupported'
}

export type Op =
  | { kind: 'write'; slot: number; code: string; name: string; accessCodeId: string }
  | { kind: 'clear'; slot: number; accessCodeId: string }

export type AccessCodeErrorCode =
  | 'duplicate_code_on_device'
  | 'no_space_for_access_code_on_device'
  | 'failed_to_set_on_device'
  | 'failed_to_remove_from_device'
  | 'conflicting_external_modification'

export type AccessCodeWarningCode = 'external_modification_in_effect' | 'delay_in_setting_on_device'

export interface ModifiedField {
  field: 'code'
  from: string | null
  to: string | null
}

/**
 * What the plan finds wrong (error) or notable (warning) about one code. The store keeps it as the
 * domain's CodeIssue (`error_code`/`warning_code`, `created_at`); this is the reconciler's finding only.
 */
export interface VerdictIssue<C extends string> {
  code: C
  message: string
  change_type?: 'modified' | 'removed'
  modified_fields?: ModifiedField[]
  /** duplicate_code_on_device: the other holder of the PIN. */
  managed_access_code_id?: string
  unmanaged_slot?: number
}

export interface ExternalModification {
  changeType: 'modified' | 'removed'
  modifiedFields: ModifiedField[]
  /** restore: lockstep writes its code back; adopt: the device's value becomes the desired value. */
  resolution: 'restore' | 'adopt'
}

export type VerdictKind =
  /** The device reported the desired PIN in the code's slot. */
  | 'set'
  /** A write is planned (first write, API change, or retry). */
  | 'setting'
  /** An owned slot differs from what lockstep confirmed; see `external` (restore plans a write). */
  | 'externally_modified'
  /** allowExternalModification: the device's value was adopted as desired; no write. */
  | 'adopted'
  /** A clear is planned (deleted, expired, or not yet started but still on the device). */
  | 'removing'
  /** Not active now (scheduled or expired) and not on the device; the slot is released. */
  | 'unset'
  /** A deleted code is off the device (or was never on it): the store may forget it. */
  | 'gone'
  /** The code's slot could not be read, or only unreadable slots remain to allocate: nothing is assumed. */
  | 'unknown'
  /** This code alone cannot be set (duplicate, no space, rejected by the device). */
  | 'failed'

export interface CodeVerdict {
  accessCodeId: string
  kind: VerdictKind
  /** The slot assignment the store should now hold for the code (null = none / released). */
  slot: number | null
  /** New value for DesiredCode.confirmedCode; undefined = leave as is. */
  confirmedCode?: string | null
  /** kind 'adopted' (or 'gone' after an adopted removal): the PIN the code now has; null = removed. */
  adoptedCode?: string | null
  external?: ExternalModification
  /** The reconciler-owned errors and warnings the code should now carry (replace, don't merge). */
  errors: VerdictIssue<AccessCodeErrorCode>[]
  warnings: VerdictIssue<AccessCodeWarningCode>[]
}

export interface UnmanagedCode {
  slot: number
  /** null when the device hides PINs. */
  code: string | null
  name: string | null
}

export interface PlanInput {
  codes: readonly DesiredCode[]
  observed: readonly SlotReading[]
  constraints: Pick<CodeConstraints, 'firstSlot' | 'slotCount'>
  now: number
  holds?: ReadonlyMap<string, Hold>
  /**
   * Slots written in this pass, slot → PIN. Only consulted for devices that report a slot as occupied
   * but hide its PIN: then the write we just made is the best evidence of what the slot holds.
   */
  justWritten?: ReadonlyMap<number, string>
}

export interface Plan {
  ops: Op[]
  verdicts: CodeVerdict[]
  /** New sticky slot assignments; the store must record them before the writes are executed. */
  assignments: { accessCodeId: string; slot: number }[]
  /** Occupied slots not owned by any managed code: unmanaged access codes, never touched. */
  unmanaged: UnmanagedCode[]
  /** The next starts_at/ends_at after now at which the plan would change; null = none. */
  nextWakeAt: number | null
}

export function isActive(c: DesiredCode, now: number): boolean {
  if (c.removing) return false
  if (c.startsAt !== null && now < c.startsAt) return false
  if (c.endsAt !== null && now >= c.endsAt) return false
  return true
}

const rejectionError: Record<Hold['reason'], AccessCodeErrorCode> = {
  duplicate_code: 'duplicate_code_on_device',
  no_space: 'no_space_for_access_code_on_device',
  bad_format: 'failed_to_set_on_device',
  other: 'failed_to_set_on_device',
  unsupported: 'failed_to_set_on_device',
}

export function plan(input: PlanInput): Plan {
  const { constraints, now } = input
  const holds = input.holds ?? new Map<string, Hold>()
  const first = constraints.firstSlot
  const last = constraints.firstSlot + constraints.slotCount - 1
  const inRange = (s: number): boolean => Number.isInteger(s) && s >= first && s <= last

  const readings = new Map<number, SlotReading>()
  for (const r of input.observed) if (inRange(r.slot) && !readings.has(r.slot)) readings.set(r.slot, r)
  // A slot the device did not report is unknown, never empty (design rule 3).
  const readingOf = (s: number): SlotReading =>
    readings.get(s) ?? { slot: s, state: 'unreadable', reason: 'not reported' }

  // Deterministic order: by id, so the same inputs always allocate the same slots.
  const codes = [...input.codes].sort((a, b) => (a.accessCodeId < b.accessCodeId ? -1 : a.accessCodeId > b.accessCodeId ? 1 : 0))

  // Ownership: a slot assigned to a managed code. Two codes claiming one slot is a store bug; the
  // first claim wins and the other is treated as unassigned (it gets a fresh slot).
  const owner = new Map<number, string>()
  const slotOf = new Map<string, number | null>()
  for (const c of codes) {
    if (c.slot !== null && inRange(c.slot) && !owner.has(c.slot)) {
      owner.set(c.slot, c.accessCodeId)
      slotOf.set(c.accessCodeId, c.slot)
    } else slotOf.set(c.accessCodeId, null)
  }

  const unmanaged: UnmanagedCode[] = []
  for (let s = first; s <= last; s++) {
    const r = readingOf(s)
    if (r.state === 'occupied' && !owner.has(s)) unmanaged.push({ slot: s, code: r.code, name: r.name ?? null })
  }
  const unmanagedSlotByPin = new Map<string, number>()
  for (const u of unmanaged) if (u.code !== null && !unmanagedSlotByPin.has(u.code)) unmanagedSlotByPin.set(u.code, u.slot)

  // PINs that managed codes will hold after this plan, filled in as codes are decided, for duplicate
  // detection among managed codes. (Slots about to be cleared or restored do not count.)
  const pinHolder = new Map<string, string>()
  // Codes already set with their own PIN stay put, so they hold their PIN before anyone else asks.
  for (const c of codes) {
    const s = slotOf.get(c.accessCodeId)
    if (s == null || !isActive(c, now)) continue
    const r = readingOf(s)
    if (r.state === 'occupied' && r.code === c.code && !pinHolder.has(c.code)) pinHolder.set(c.code, c.accessCodeId)
  }

  const ops: Op[] = []
  const verdicts: CodeVerdict[] = []
  const assignments: Plan['assignments'] = []
  const taken = new Set<number>(owner.keys())
  let unreadableFree = false
  for (let s = first; s <= last; s++) if (!owner.has(s) && readingOf(s).state === 'unreadable') unreadableFree = true

  const verdict = (c: DesiredCode, kind: VerdictKind, slot: number | null, extra: Partial<CodeVerdict> = {}): CodeVerdict => ({
    accessCodeId: c.accessCodeId,
    kind,
    slot,
    errors: [],
    warnings: [],
    ...extra,
  })

  /** Plan a write of c's PIN into slot unless the PIN is already elsewhere on the device. */
  const tryWrite = (c: DesiredCode, slot: number, planned: CodeVerdict): CodeVerdict => {
    const dup = duplicateOf(c)
    if (dup) return dup
    const hold = holds.get(c.accessCodeId)
    if (hold && hold.op === 'write' && hold.code === c.code) return failedByHold(c, slot, hold)
    ops.push({ kind: 'write', slot, code: c.code, name: c.name, accessCodeId: c.accessCodeId })
    pinHolder.set(c.code, c.accessCodeId)
    return planned
  }

  const duplicateOf = (c: DesiredCode): CodeVerdict | null => {
    const unmanagedSlot = unmanagedSlotByPin.get(c.code)
    const holder = pinHolder.get(c.code)
    if (unmanagedSlot === undefined && (holder === undefined || holder === c.accessCodeId)) return null
    const issue: VerdictIssue<AccessCodeErrorCode> = {
      code: 'duplicate_code_on_device',
      message: 'The same code is already programmed on the device.',
    }
    if (unmanagedSlot !== undefined) issue.unmanaged_slot = unmanagedSlot
    else if (holder !== undefined) issue.managed_access_code_id = holder
    return verdict(c, 'failed', slotOf.get(c.accessCodeId) ?? null, { errors: [issue] })
  }

  const failedByHold = (c: DesiredCode, slot: number | null, hold: Hold): CodeVerdict => {
    const code = hold.op === 'clear' ? 'failed_to_remove_from_device' : rejectionError[hold.reason]
    return verdict(c, 'failed', slot, { errors: [{ code, message: `The device rejected the ${hold.op} (${hold.reason}).` }] })
  }

  for (const c of codes) {
    const slot = slotOf.get(c.accessCodeId) ?? null
    if (!isActive(c, now)) {
      const offKind: VerdictKind = c.removing ? 'gone' : 'unset'
      if (slot === null) {
        verdicts.push(verdict(c, offKind, null, { confirmedCode: null }))
        continue
      }
      const r = readingOf(slot)
      if (r.state === 'unreadable') {
        verdicts.push(verdict(c, 'unknown', slot))
      } else if (r.state === 'empty') {
        verdicts.push(verdict(c, offKind, null, { confirmedCode: null }))
      } else {
        const hold = holds.get(c.accessCodeId)
        if (hold && hold.op === 'clear') verdicts.push(failedByHold(c, slot, hold))
        else {
          ops.push({ kind: 'clear', slot, accessCodeId: c.accessCodeId })
          verdicts.push(verdict(c, 'removing', slot))
        }
      }
      continue
    }

    if (slot === null) {
      // Check duplicates before spending a slot on a code that could not be written anyway.
      const dup = duplicateOf(c)
      if (dup) {
        verdicts.push(dup)
        continue
      }
      const hold = holds.get(c.accessCodeId)
      if (hold && hold.op === 'write' && hold.code === c.code) {
        verdicts.push(failedByHold(c, null, hold))
        continue
      }
      let free: number | null = null
      for (let s = first; s <= last && free === null; s++) if (!taken.has(s) && readingOf(s).state === 'empty') free = s
      if (free === null) {
        if (unreadableFree) verdicts.push(verdict(c, 'unknown', null))
        else
          verdicts.push(
            verdict(c, 'failed', null, {
              errors: [{ code: 'no_space_for_access_code_on_device', message: 'No free slot on the device.' }],
            }),
          )
        continue
      }
      taken.add(free)
      assignments.push({ accessCodeId: c.accessCodeId, slot: free })
      verdicts.push(tryWrite(c, free, verdict(c, 'setting', free)))
      continue
    }

    const r = readingOf(slot)
    if (r.state === 'unreadable') {
      verdicts.push(verdict(c, 'unknown', slot))
      continue
    }
    // A device that hides PINs: the slot holds what we confirmed or just wrote, as far as anyone can tell.
    const seen: string | null =
      r.state === 'empty' ? null : r.code ?? input.justWritten?.get(slot) ?? c.confirmedCode ?? null
    if (r.state === 'occupied' && seen === null) {
      // Occupied, PIN hidden, never confirmed: write ours to be sure of what is there.
      verdicts.push(tryWrite(c, slot, verdict(c, 'setting', slot)))
      continue
    }
    if (seen === c.code) {
      if (!pinHolder.has(c.code)) pinHolder.set(c.code, c.accessCodeId)
      verdicts.push(verdict(c, 'set', slot, { confirmedCode: c.code }))
      continue
    }
    const externallyChanged = c.confirmedCode !== null && seen !== c.confirmedCode
    if (!externallyChanged) {
      // First write, or an API change the device has not seen yet.
      verdicts.push(tryWrite(c, slot, verdict(c, 'setting', slot)))
      continue
    }
    const changeType = seen === null ? 'removed' : 'modified'
    const modifiedFields: ModifiedField[] = changeType === 'modified' ? [{ field: 'code', from: c.confirmedCode, to: seen }] : []
    const message =
      changeType === 'removed' ? 'The code was removed on the device outside lockstep.' : 'The code was changed on the device outside lockstep.'
    if (c.allowExternalModification) {
      const external: ExternalModification = { changeType, modifiedFields, resolution: 'adopt' }
      const warnings: VerdictIssue<AccessCodeWarningCode>[] = [
        { code: 'external_modification_in_effect', message, change_type: changeType, modified_fields: modifiedFields },
      ]
      if (changeType === 'removed') verdicts.push(verdict(c, 'gone', null, { confirmedCode: null, adoptedCode: null, external, warnings }))
      else {
        if (seen !== null && !pinHolder.has(seen)) pinHolder.set(seen, c.accessCodeId)
        verdicts.push(verdict(c, 'adopted', slot, { confirmedCode: seen, adoptedCode: seen, external, warnings }))
      }
      continue
    }
    const external: ExternalModification = { changeType, modifiedFields, resolution: 'restore' }
    const errors: VerdictIssue<AccessCodeErrorCode>[] = [
      { code: 'conflicting_external_modification', message, change_type: changeType, modified_fields: modifiedFields },
    ]
    verdicts.push(tryWrite(c, slot, verdict(c, 'externally_modified', slot, { external, errors })))
  }

  let nextWakeAt: number | null = null
  for (const c of codes) {
    if (c.removing) continue
    for (const t of [c.startsAt, c.endsAt]) if (t !== null && t > now && (nextWakeAt === null || t < nextWakeAt)) nextWakeAt = t
  }
  // Clears first, then overwrites of occupied slots, then writes into empty ones: a lock that refuses
  // duplicate PINs must see an old holder of a PIN gone before the PIN is written elsewhere.
  const rank = (o: Op): number => (o.kind === 'clear' ? 0 : readingOf(o.slot).state === 'occupied' ? 1 : 2)
  const ordered = ops.map((o, i) => ({ o, i })).sort((a, b) => rank(a.o) - rank(b.o) || a.i - b.i).map((x) => x.o)
  return { ops: ordered, verdicts, assignments, unmanaged, nextWakeAt }
}

/** Apply a plan's ops to a slot map: the model of a perfectly obedient lock (tests, simulations). */
export function applyOps(slots: Map<number, string | null>, ops: readonly Op[]): void {
  for (const op of ops) slots.set(op.slot, op.kind === 'write' ? op.code : null)
}
