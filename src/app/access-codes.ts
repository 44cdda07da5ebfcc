// Access codes: create (one or several sharing one PIN), update, delete, convert; reads for the API.
import { DomainError, invalidInput, notFound } from '../domain/errors.js'
import {
  assertNotDuplicate, codeAppearance, generateCode, isWaitingBackup, validateCode, validateWindow, type AccessCode, type AccessCodeStatus,
} from '../domain/access-code.js'
import { ensureBackupPool } from './backup-codes.js'
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

  /** A code with a common_code_key takes the PIN the key's other codes already share (checked against this lock). */
  create(input: CreateCodeInput, opts: OfflineDeviceOption = {}): AccessCode {
    const store = this.store
    refuseOfflineDevices(store, [input.deviceId], opts)
    return store.tx(() => {
      const shared = input.commonCodeKey === null ? null : sharedCodeOf(store, input.commonCodeKey)
      if (shared === null) return createCode(store, input)
      if (input.code !== null && input.code !== shared) {
        throw invalidInput(`code: codes sharing common_code_key "${input.commonCodeKey}" have one code, and it is not the one given; leave code out or use another key`, 'code')
      }
      try {
        return createCode(store, { ...input, code: shared })
      } catch (e) {
        if (!(e instanceof DomainError) || (e.type !== 'duplicate_access_code' && !(e.type === 'invalid_input' && e.validationErrors && 'code' in e.validationErrors))) throw e
        // Never echo the PIN: say why it does not fit, as the domain worded it.
        throw new DomainError('cannot_share_code', `The code shared under common_code_key "${input.commonCodeKey}" cannot be set on this device: ${e.message}`, 409, { common_code_key: input.commonCodeKey })
      }
    })
  }

  /** One code on every device: the requested one, else one every device accepts and none already holds. */
  createMultiple(input: CreateMultipleInput, opts: OfflineDeviceOption = {}): AccessCode[] {
    const store = this.store
    refuseOfflineDevices(store, input.deviceIds, opts)
    return store.tx(() => {
      const earlier = store.idempotency.recall('access_codes/create_multiple', input.requestHash, 10 * 60_000)
      if (earlier) return (JSON.parse(earlier) as string[]).map((id) => store.accessCodes.get(id, true))
      const commonKey = input.commonCodeKey ?? `auto_set_by_lockstep_${store.ctx.random.uuid()}`
      const randomWhenUnshared = input.behaviorWhenCodeCannotBeShared === 'create_random_code'
      let shared = input.code
      const keyed = input.commonCodeKey === null ? null : sharedCodeOf(store, input.commonCodeKey)
      if (keyed !== null) {
        if (shared !== null && shared !== keyed) throw invalidInput(`code: codes sharing common_code_key "${input.commonCodeKey}" have one code, and it is not the one given`, 'code')
        shared = keyed
      }
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
          commonCodeKey: commonKey, preferredCodeLength: input.preferredCodeLength, useBackupPool: input.useBackupPool,
        })
      })
      store.idempotency.remember('access_codes/create_multiple', input.requestHash, JSON.stringify(made.map((c) => c.accessCodeId)))
      return made
    })
  }

  /** `deviceId`, when given, must be the code's device (a code cannot move). */
  update(accessCodeId: string, input: UpdateCodeInput, deviceId?: string, opts: OfflineDeviceOption = {}): AccessCode {
    if (opts.attemptForOfflineDevice === false) refuseOfflineDevices(this.store, [this.store.accessCodes.get(accessCodeId, true).deviceId], opts)
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

  /** A fresh code that fits the device and that no code on it holds, as an access code not yet created (nothing is stored). */
  generateCode(deviceId: string): AccessCode {
    const store = this.store
    const device = store.devices.get(deviceId)
    const taken = new Set(store.accessCodes.onDevice(device.deviceId).map((c) => c.code ?? ''))
    const now = store.ctx.clock.now()
    return {
      seq: 0, accessCodeId: store.ctx.random.uuid(), deviceId: device.deviceId, isManaged: true, name: null, appearanceName: null,
      code: generateCode(device.constraints, taken, store.ctx.random), startsAt: null, endsAt: null, status: 'unset',
      isExternalModificationAllowed: false, isOneTimeUse: false, isOfflineAccessCode: false, commonCodeKey: null, slot: null,
      confirmedCode: null, errors: [], warnings: [], pendingMutations: [], createdAt: now, updatedAt: now, deletedAt: null,
    }
  }

  /** Name and time frame of every live code sharing a common_code_key, in one transaction. */
  updateMultiple(commonCodeKey: string, input: Pick<UpdateCodeInput, 'name' | 'startsAt' | 'endsAt'>): AccessCode[] {
    const store = this.store
    return store.tx(() => {
      const codes = store.accessCodes.withCommonCodeKey(commonCodeKey)
      if (codes.length === 0) throw new DomainError('access_code_not_found', `No access code has common_code_key "${commonCodeKey}"`, 404)
      return codes.map((c) => updateCode(store, c.accessCodeId, input))
    })
  }

  // ------------------------------------------------------------------ reads

  /** Backup codes waiting in a pool are nobody's: they are not found until pulled. */
  get(accessCodeId: string, managed: boolean): AccessCode {
    const c = this.store.accessCodes.get(accessCodeId, managed)
    if (isWaitingBackup(c)) throw notFound('access_code', accessCodeId)
    return c
  }

  getByCode(deviceId: string, code: string, managed: boolean): AccessCode {
    this.store.devices.get(deviceId)
    const c = this.store.accessCodes.onDevice(deviceId).find((x) => x.code === code && x.isManaged === managed && !isWaitingBackup(x))
    if (!c) throw notFound('access_code')
    return c
  }

  /** Codes of a device (which must exist) or by ids. */
  list(f: CodeFilter): AccessCode[] {
    if (f.deviceId) this.store.devices.get(f.deviceId)
    return this.store.accessCodes.list(f).filter((c) => !isWaitingBackup(c))
  }

  deviceOf(c: AccessCode): Device {
    return this.store.devices.get(c.deviceId)
  }
}

/** Seam's attempt_for_offline_device (default true): false refuses to queue a code for a lock that is offline now. */
export interface OfflineDeviceOption {
  attemptForOfflineDevice?: boolean
}

function refuseOfflineDevices(store: Store, deviceIds: string[], opts: OfflineDeviceOption): void {
  if (opts.attemptForOfflineDevice !== false) return
  const offline = deviceIds.filter((id) => !store.devices.get(id).online)
  if (offline.length) {
    throw new DomainError('device_offline', `Device ${offline.join(', ')} is offline and attempt_for_offline_device is false: nothing was created or changed`, 400, { device_ids: offline })
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
  if (input.useBackupPool) {
    store.accessCodes.setUseBackupPool(accessCodeId, true)
    ensureBackupPool(store, device)
  }
  return store.accessCodes.get(accessCodeId, true)
}

export function updateCode(store: Store, accessCodeId: string, input: UpdateCodeInput): AccessCode {
  const codes = store.accessCodes
  const before = codes.get(accessCodeId, true)
  if (isWaitingBackup(before)) throw notFound('access_code', accessCodeId)
  if (input.useBackupPool !== undefined && input.useBackupPool !== (before.useBackupPool ?? false)) {
    codes.setUseBackupPool(accessCodeId, input.useBackupPool)
    if (input.useBackupPool) ensureBackupPool(store, store.devices.get(before.deviceId))
  }
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
  if (input.code !== undefined && input.code !== current.code && current.commonCodeKey !== null &&
    codes.withCommonCodeKey(current.commonCodeKey).some((c) => c.accessCodeId !== accessCodeId)) {
    throw invalidInput(`code: this access code shares its code with others under common_code_key "${current.commonCodeKey}"; it cannot change alone`, 'code')
  }
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
  // A backup pulled for this code opens the door only while the code would: it follows the new window.
  if (windowChanged && current.pulledBackupAccessCodeId) {
    const backup = codes.find(current.pulledBackupAccessCodeId)
    if (backup) codes.writeChange(backup.accessCodeId, { ...backup, startsAt: next.startsAt, endsAt: next.endsAt }, initialStatus(next, now), false)
  }
  return codes.get(accessCodeId, true)
}

/**
 * Deletes a managed or unmanaged code: it disappears from lists at once and stays `removing` until the
 * reconciler has cleared it from the lock. Deleting an already deleted code is not an error (retries).
 */
export function deleteCode(store: Store, accessCodeId: string, managed: boolean): void {
  const c = store.accessCodes.find(accessCodeId, { includeDeleted: true })
  if (!c || c.isManaged !== managed || isWaitingBackup(c)) throw notFound('access_code', accessCodeId)
  if (c.deletedAt !== null) return
  const device = store.devices.get(c.deviceId)
  // The backup it pulled stood in for it: it goes too.
  if (c.pulledBackupAccessCodeId) deleteCode(store, c.pulledBackupAccessCodeId, true)
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

/** The PIN the live managed codes of a common_code_key share, or null when none has one yet. */
function sharedCodeOf(store: Store, commonCodeKey: string): string | null {
  return store.accessCodes.withCommonCodeKey(commonCodeKey).find((c) => c.code !== null)?.code ?? null
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
