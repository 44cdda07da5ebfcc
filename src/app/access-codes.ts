// Access codes: create (one or several sharing one PIN), update, delete, convert; reads for the API.
import { DomainError, invalidInput, notFound } from '../domain/errors.js'
import {
  assertNotDuplicate, codeAppearance, generateCode, validateCode, validateWindow, type AccessCode, type AccessCodeStatus,
} from '../domain/access-code.js'
import type { Device } from '../domain/device.js'
import type { CodeFilter, CodePeer, CreateCodeInput, UpdateCodeInput } from '../store/access-codes.js'
import type { Store } from '../store/store.js'

export type NewCode = Omit<CreateCodeInput, 'deviceId'>

export interface CreateMultipleInput extends Omit<NewCode, 'commonCodeKey'> {
  deviceIds: string[]
  commonCodeKey: string | null
  behaviorWhenCodeCannotBeShared?: 'throw' | 'create_random_code'
  /** A hash of the request: the same request within 10 minutes returns the same codes (SDK retries of PUT). */
  requestHash: string
}

export class AccessCodesApp {
  constructor(private readonly store: Store) {}

  create(input: CreateCodeInput): AccessCode {
    return this.store.tx(() => createCode(this.store, input))
  }

  /** One code on every device: the requested one, else one every device accepts and none already holds. */
  createMultiple(input: CreateMultipleInput): AccessCode[] {
    const store = this.store
    return store.tx(() => {
      const earlier = store.idempotency.recall('access_codes/create_multiple', input.requestHash, 10 * 60_000)
      if (earlier) return (JSON.parse(earlier) as string[]).map((id) => store.accessCodes.get(id, true))
      const commonKey = input.commonCodeKey ?? `auto_set_by_lockstep_${store.ctx.random.uuid()}`
      const randomWhenUnshared = input.behaviorWhenCodeCannotBeShared === 'create_random_code'
      let shared = input.code
      if (shared === null) {
        const devices = input.deviceIds.map((id) => store.devices.get(id))
        const taken = new Set(devices.flatMap((d) => store.accessCodes.onDevice(d.deviceId).map((c) => c.code ?? '')))
        const tightest = devices.reduce((acc, d) => ({
          ...acc,
          minLength: Math.max(acc.minLength, d.constraints.minLength),
          maxLength: Math.min(acc.maxLength, d.constraints.maxLength),
          alphabet: [...acc.alphabet].filter((ch) => d.constraints.alphabet.includes(ch)).join(''),
          noLeadingZero: acc.noLeadingZero || d.constraints.noLeadingZero,
        }), devices[0]!.constraints)
        if (tightest.minLength <= tightest.maxLength && tightest.alphabet.length > 0) {
          shared = generateCode(tightest, taken, store.ctx.random, input.preferredCodeLength ?? undefined)
        } else if (!randomWhenUnshared) {
          throw new DomainError('cannot_share_code', 'No single code fits every device in device_ids; pass behavior_when_code_cannot_be_shared=create_random_code', 400)
        }
      }
      const made = input.deviceIds.map((deviceId) => {
        let code = shared
        if (code !== null && randomWhenUnshared) {
          const d = store.devices.get(deviceId)
          const fits = code.length >= d.constraints.minLength && code.length <= d.constraints.maxLength &&
            [...code].every((ch) => d.constraints.alphabet.includes(ch)) && !store.accessCodes.onDevice(deviceId).some((c) => c.code === code)
          if (!fits) code = null
        }
        return createCode(store, {
          deviceId, name: input.name, code, startsAt: input.startsAt, endsAt: input.endsAt,
          allowExternalModification: input.allowExternalModification, isOneTimeUse: input.isOneTimeUse,
          commonCodeKey: commonKey, preferredCodeLength: input.preferredCodeLength,
        })
      })
      store.idempotency.remember('access_codes/create_multiple', input.requestHash, JSON.stringify(made.map((c) => c.accessCodeId)))
      return made
    })
  }

  /** `deviceId`, when given, must be the code's device (a code cannot move). */
  update(accessCodeId: string, input: UpdateCodeInput, deviceId?: string): AccessCode {
    if (deviceId) {
      const current = this.store.accessCodes.get(accessCodeId, true)
      if (current.deviceId !== deviceId) throw invalidInput('an access code cannot move to another device; create a new one', 'device_id')
    }
    return this.store.tx(() => updateCode(this.store, accessCodeId, input))
  }

  delete(accessCodeId: string, managed: boolean): void {
    this.store.tx(() => deleteCode(this.store, accessCodeId, managed))
  }

  convertToManaged(accessCodeId: string, allowExternalModification: boolean): void {
    this.store.tx(() => convertToManaged(this.store, accessCodeId, allowExternalModification))
  }

  /** A fresh code that fits the device and that no code on it holds (nothing is stored). */
  generateCode(deviceId: string): { deviceId: string; code: string } {
    const device = this.store.devices.get(deviceId)
    const taken = new Set(this.store.accessCodes.onDevice(device.deviceId).map((c) => c.code ?? ''))
    return { deviceId: device.deviceId, code: generateCode(device.constraints, taken, this.store.ctx.random) }
  }

  // ------------------------------------------------------------------ reads

  get(accessCodeId: string, managed: boolean): AccessCode {
    return this.store.accessCodes.get(accessCodeId, managed)
  }

  getByCode(deviceId: string, code: string, managed: boolean): AccessCode {
    this.store.devices.get(deviceId)
    const c = this.store.accessCodes.onDevice(deviceId).find((x) => x.code === code && x.isManaged === managed)
    if (!c) throw notFound('access_code')
    return c
  }

  /** Codes of a device (which must exist) or by ids. */
  list(f: CodeFilter): AccessCode[] {
    if (f.deviceId) this.store.devices.get(f.deviceId)
    return this.store.accessCodes.list(f)
  }

  deviceOf(c: AccessCode): Device {
    return this.store.devices.get(c.deviceId)
  }
}

// ------------------------------------------------------------------ one change, inside the caller's transaction
// Each writes the row, its events and marks the lock dirty (the reconciler delivers it) in that transaction.

/** A managed code: the domain checks the window, the code (or makes one) and the name the lock shows. */
export function createCode(store: Store, input: CreateCodeInput): AccessCode {
  const device = store.devices.get(input.deviceId)
  const now = store.ctx.clock.now()
  const window = { startsAt: input.startsAt, endsAt: input.endsAt }
  validateWindow(window, now)
  // Only what the code and name choices need: a push of thousands of codes creates them one by one.
  const others = store.accessCodes.peers(device.deviceId)
  const code = chooseCode(store, device, input.code, input.preferredCodeLength, others)
  const accessCodeId = store.accessCodes.insertManaged({
    ...input, code, appearanceName: codeAppearance(input.name, device.constraints, shownNames(others)), status: initialStatus(window, now),
  })
  store.accessCodes.codeEvent('access_code.created', device, accessCodeId)
  store.dirtyDevices.markDirty(device.deviceId, 'access_code.created')
  return store.accessCodes.get(accessCodeId, true)
}

export function updateCode(store: Store, accessCodeId: string, input: UpdateCodeInput): AccessCode {
  const codes = store.accessCodes
  const current = codes.get(accessCodeId, true)
  const device = store.devices.get(current.deviceId)
  const now = store.ctx.clock.now()
  const next = { ...current }
  if (input.name !== undefined && input.name !== current.name) {
    next.name = input.name
    const others = codes.onDevice(device.deviceId).filter((c) => c.accessCodeId !== accessCodeId)
    next.appearanceName = codeAppearance(input.name, device.constraints, shownNames(others))
  }
  if (input.startsAt !== undefined) next.startsAt = input.startsAt
  if (input.endsAt !== undefined) next.endsAt = input.endsAt
  if (input.type === 'ongoing') (next.startsAt = null), (next.endsAt = null)
  if (input.type === 'time_bound' && next.startsAt === null) throw invalidInput('a time_bound code needs starts_at and ends_at', 'starts_at')
  if (input.allowExternalModification !== undefined) next.isExternalModificationAllowed = input.allowExternalModification
  if (input.isOneTimeUse !== undefined) next.isOneTimeUse = input.isOneTimeUse
  const windowChanged = next.startsAt !== current.startsAt || next.endsAt !== current.endsAt
  if (windowChanged) validateWindow(next, now)
  if (input.code !== undefined || input.preferredCodeLength != null) {
    const others = codes.onDevice(device.deviceId).filter((c) => c.accessCodeId !== accessCodeId)
    const wanted = input.code === undefined ? null : input.code
    if (wanted !== current.code || wanted === null) next.code = chooseCode(store, device, wanted, input.preferredCodeLength ?? null, others)
  }
  const changes: [string, unknown, unknown][] = []
  if (next.name !== current.name) changes.push(['name', current.name, next.name])
  if (next.code !== current.code) changes.push(['code', current.code, next.code])
  if (windowChanged) changes.push(['time_frame', [current.startsAt, current.endsAt], [next.startsAt, next.endsAt]])
  const flagsChanged =
    next.isExternalModificationAllowed !== current.isExternalModificationAllowed || next.isOneTimeUse !== current.isOneTimeUse
  if (changes.length === 0 && !flagsChanged) return current // a retried PUT changes nothing

  // Anything the lock holds must be written again; the reconciler decides when.
  const onLock = changes.some(([f]) => f !== 'time_frame') || windowChanged
  const status: AccessCodeStatus = onLock ? initialStatus(next, now) : current.status
  codes.writeChange(accessCodeId, next, status, onLock)
  codes.codeEvent('access_code.changed', device, accessCodeId, { changed_properties: changedProperties(current, next) })
  for (const [field, from, to] of changes) {
    if (field === 'name') {
      codes.codeEvent('access_code.name_changed', device, accessCodeId, { from: { name: from }, to: { name: to }, description: 'The name of the access code changed' })
    }
    if (field === 'code') {
      codes.codeEvent('access_code.code_changed', device, accessCodeId, { from: { code: from }, to: { code: to }, description: 'The code of the access code changed' })
    }
    if (field === 'time_frame') {
      codes.codeEvent('access_code.time_frame_changed', device, accessCodeId, {
        from: { starts_at: iso(current.startsAt), ends_at: iso(current.endsAt) },
        to: { starts_at: iso(next.startsAt), ends_at: iso(next.endsAt) },
        description: 'The time frame of the access code changed',
      })
    }
  }
  if (onLock || flagsChanged) store.dirtyDevices.markDirty(device.deviceId, 'access_code.changed')
  return codes.get(accessCodeId, true)
}

/**
 * Deletes a managed or unmanaged code: it disappears from lists at once and stays `removing` until the
 * reconciler has cleared it from the lock. Deleting an already deleted code is not an error (retries).
 */
export function deleteCode(store: Store, accessCodeId: string, managed: boolean): void {
  const c = store.accessCodes.find(accessCodeId, { includeDeleted: true })
  if (!c || c.isManaged !== managed) throw notFound('access_code', accessCodeId)
  if (c.deletedAt !== null) return
  const device = store.devices.get(c.deviceId)
  store.accessCodes.markRemoving(accessCodeId)
  store.accessCodes.codeEvent(managed ? 'access_code.deleted' : 'access_code.unmanaged.removed', device, accessCodeId, managed ? { code: c.code } : {})
  store.dirtyDevices.markDirty(device.deviceId, managed ? 'access_code.deleted' : 'access_code.unmanaged.removed')
}

export function convertToManaged(store: Store, accessCodeId: string, allowExternalModification: boolean): AccessCode {
  const c = store.accessCodes.find(accessCodeId)
  if (!c) throw notFound('access_code', accessCodeId)
  if (c.isManaged) return c // already converted: a retried PATCH is fine
  const device = store.devices.get(c.deviceId)
  store.accessCodes.markManaged(accessCodeId, allowExternalModification)
  store.accessCodes.codeEvent('access_code.unmanaged.converted_to_managed', device, accessCodeId)
  store.dirtyDevices.markDirty(device.deviceId, 'access_code.unmanaged.converted_to_managed')
  return store.accessCodes.get(accessCodeId, true)
}

function chooseCode(store: Store, device: Device, wanted: string | null, preferredLength: number | null, others: readonly CodePeer[]): string {
  if (wanted === null) return generateCode(device.constraints, new Set(others.map((o) => o.code ?? '')), store.ctx.random, preferredLength ?? undefined)
  validateCode(wanted, device.constraints)
  assertNotDuplicate(wanted, others)
  return wanted
}

function shownNames(codes: readonly CodePeer[]): string[] {
  return codes.flatMap((c) => (c.appearanceName === null ? [] : [c.appearanceName]))
}

function initialStatus(w: { startsAt: number | null }, now: number): AccessCodeStatus {
  return w.startsAt !== null && w.startsAt > now ? 'unset' : 'setting'
}

/** What changed, as Seam's access_code.changed lists it (values as strings, null when unset). */
function changedProperties(before: AccessCode, after: AccessCode): { property: string; from: string | null; to: string | null }[] {
  const fields: [string, (c: AccessCode) => string | null][] = [
    ['name', (c) => c.name],
    ['code', (c) => c.code],
    ['starts_at', (c) => iso(c.startsAt)],
    ['ends_at', (c) => iso(c.endsAt)],
    ['is_external_modification_allowed', (c) => String(c.isExternalModificationAllowed)],
    ['is_one_time_use', (c) => String(c.isOneTimeUse)],
  ]
  return fields.flatMap(([property, get]) => (get(before) === get(after) ? [] : [{ property, from: get(before), to: get(after) }]))
}

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString()
}
