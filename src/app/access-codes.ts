// Access codes: create (one or several sharing one PIN), update, delete, convert; reads for the API.
import { DomainError, invalidInput, notFound } from '../domain/errors.js'
import { generateCode, type AccessCode } from '../domain/access-code.js'
import type { Device } from '../domain/device.js'
import type { CodeFilter, CreateCodeInput, UpdateCodeInput } from '../store/access-codes.js'
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
    return this.store.tx(() => this.store.accessCodes.create(input))
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
        return store.accessCodes.create({
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
    return this.store.tx(() => this.store.accessCodes.update(accessCodeId, input))
  }

  delete(accessCodeId: string, managed: boolean): void {
    this.store.tx(() => this.store.accessCodes.delete(accessCodeId, managed))
  }

  convertToManaged(accessCodeId: string, allowExternalModification: boolean): void {
    this.store.tx(() => this.store.accessCodes.convertToManaged(accessCodeId, allowExternalModification))
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
