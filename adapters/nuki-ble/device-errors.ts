// What a Nuki Error Report means to the reconciler (docs/protocols/nuki-ble.md §6 → port errors). Transient = try again later.
import { ERROR_CODE } from '../../src/protocols/nuki/constants.js'
import { RejectedByDeviceError, TransientDeviceError } from '../../src/ports/errors.js'

/** An Error Report the lock sent for a command. */
export class NukiErrorReport extends Error {
  override readonly name = 'NukiErrorReport'
  constructor(readonly code: number, readonly command: number) {
    super(`Nuki error 0x${code.toString(16).padStart(2, '0')} (${errorName(code)}) for command 0x${command.toString(16).padStart(4, '0')}`)
  }
}

const NAMES: Record<number, string> = Object.fromEntries(Object.entries(ERROR_CODE).map(([k, v]) => [v, k]))

export function errorName(code: number): string {
  return NAMES[code] ?? 'unlisted'
}

export function toPortError(e: NukiErrorReport): Error {
  switch (e.code) {
    case ERROR_CODE.kCodeAlreadyExists:
      return new RejectedByDeviceError('duplicate_code', e.message)
    case ERROR_CODE.kTooManyEntries:
      return new RejectedByDeviceError('no_space', e.message)
    case ERROR_CODE.kBadParameter:
      return new RejectedByDeviceError('bad_format', e.message)
    // Lost or stale challenge, damaged frame, busy motor, decryption failure: the next attempt may pass.
    case ERROR_CODE.kBadNonce:
    case ERROR_CODE.badCrc:
    case ERROR_CODE.kNotAuthorized:
    case ERROR_CODE.kBusy:
    case ERROR_CODE.unknown:
      return new TransientDeviceError(e.message)
    default:
      return new RejectedByDeviceError('other', e.message)
  }
}
