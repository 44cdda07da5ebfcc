// Access codes: validation against the device's constraints, code generation, and the pure decisions
// behind create/update. The store calls these inside the transaction that writes the row.
import type { CodeConstraints } from './code-constraints.js'
import { codeMisfit, type CodeMisfit } from '../kernel/code-fit.js'
import type { Random } from '../kernel/ids.js'
import { appearanceName } from './appearance.js'
import { DomainError, invalidInput } from './errors.js'

export type AccessCodeStatus = 'setting' | 'set' | 'unset' | 'removing' | 'unknown'

export interface CodeIssue {
  error_code?: string
  warning_code?: string
  message: string
  created_at: string
  [extra: string]: unknown
}

export interface AccessCode {
  seq: number
  accessCodeId: string
  deviceId: string
  isManaged: boolean
  name: string | null
  appearanceName: string | null
  code: string | null
  startsAt: number | null
  endsAt: number | null
  status: AccessCodeStatus
  isExternalModificationAllowed: boolean
  isOneTimeUse: boolean
  isOfflineAccessCode: boolean
  commonCodeKey: string | null
  slot: number | null
  /** The PIN last confirmed on the lock in `slot` (reconciler bookkeeping). */
  confirmedCode: string | null
  errors: CodeIssue[]
  warnings: CodeIssue[]
  pendingMutations: Record<string, unknown>[]
  createdAt: number
  updatedAt: number
  deletedAt: number | null
  /** A code of the device's backup pool (hidden until pulled). */
  isBackup?: boolean
  /** Created with use_backup_access_code_pool: it may pull a backup code. */
  useBackupPool?: boolean
  pulledBackupAccessCodeId?: string | null
  /** A pulled backup code: the code it stands in for; null while it waits in the pool. */
  backupForAccessCodeId?: string | null
}

/** A backup code still waiting in its lock's pool: set on the lock, shown to nobody. */
export function isWaitingBackup(c: Pick<AccessCode, 'isBackup' | 'backupForAccessCodeId'>): boolean {
  return c.isBackup === true && !c.backupForAccessCodeId
}

export function codeType(c: Pick<AccessCode, 'startsAt' | 'endsAt'>): 'ongoing' | 'time_bound' {
  return c.startsAt !== null || c.endsAt !== null ? 'time_bound' : 'ongoing'
}

/** Throws invalid_input naming `code` when the PIN breaks the device's rules. Never echoes the PIN. */
export function validateCode(code: string, c: CodeConstraints): void {
  const misfit = codeMisfit(code, c)
  if (misfit) throw invalidInput(misfitMessage(misfit, c), 'code')
}

function misfitMessage(m: CodeMisfit, c: CodeConstraints): string {
  switch (m.kind) {
    case 'not_digits':
      return 'code must contain digits only'
    case 'length': {
      const range = m.minLength === m.maxLength ? `${m.minLength}` : `${m.minLength} to ${m.maxLength}`
      return `code must be ${range} digits long on this device (got ${m.length})`
    }
    case 'alphabet':
      return `code may only use the digits ${c.alphabet} on this device`
    case 'leading_zero':
      return 'code may not start with 0 on this device'
    case 'prefix':
      return `code may not start with ${m.prefix} on this device`
  }
}

/** Codes a guest could guess: one repeated digit, or a straight run up or down. */
export function isWeakCode(code: string): boolean {
  if (/^(\d)\1*$/.test(code)) return true
  const d = [...code].map(Number)
  const step = d[1]! - d[0]!
  return Math.abs(step) === 1 && d.every((v, i) => i === 0 || v - d[i - 1]! === step)
}

export function defaultCodeLength(c: CodeConstraints): number {
  return Math.min(c.maxLength, Math.max(c.minLength, 6))
}

/** A random PIN that fits the device, is not weak, and is not already on the device. */
export function generateCode(c: CodeConstraints, taken: ReadonlySet<string>, random: Random, length?: number): string {
  const len = length ?? defaultCodeLength(c)
  if (len < c.minLength || len > c.maxLength) {
    throw invalidInput(`preferred_code_length must be between ${c.minLength} and ${c.maxLength} on this device`, 'preferred_code_length')
  }
  for (let attempt = 0; attempt < 1000; attempt++) {
    let code = ''
    for (let i = 0; i < len; i++) {
      const alphabet = i === 0 && c.noLeadingZero ? c.alphabet.replace('0', '') : c.alphabet
      code += alphabet[random.int(alphabet.length)]
    }
    if (!isWeakCode(code) && !taken.has(code) && !c.forbiddenPrefixes?.some((p) => code.startsWith(p))) return code
  }
  throw new DomainError('no_code_available', 'Could not find a free code of that length on this device', 409)
}

export interface CodeWindow {
  startsAt: number | null
  endsAt: number | null
}

export function validateWindow(w: CodeWindow, now: number): void {
  if (w.startsAt !== null && w.endsAt !== null && w.endsAt <= w.startsAt) throw invalidInput('ends_at must be after starts_at', 'ends_at')
  if (w.endsAt !== null && w.endsAt <= now) throw invalidInput('ends_at must be in the future', 'ends_at')
  if ((w.startsAt === null) !== (w.endsAt === null)) {
    throw invalidInput('a time-bound code needs both starts_at and ends_at', w.startsAt === null ? 'starts_at' : 'ends_at')
  }
}

/** The same PIN twice on one lock would make keypad entries ambiguous: refuse it. */
export function assertNotDuplicate(code: string, others: Iterable<Pick<AccessCode, 'code' | 'accessCodeId' | 'isManaged'>>): void {
  for (const other of others) {
    if (other.code === code) {
      throw new DomainError(
        'duplicate_access_code',
        `This device already has ${other.isManaged ? 'a managed' : 'an unmanaged'} access code with the same code (access_code_id ${other.accessCodeId}); choose another code`,
        409,
        { access_code_id: other.accessCodeId },
      )
    }
  }
}

/** The name the lock will show, given the names its other codes already show there. */
export function codeAppearance(name: string | null, c: CodeConstraints, namesShownOnLock: Iterable<string>): string | null {
  // A lock that stores no names (maxLength 0, e.g. plain Zigbee keypads) shows none.
  return name === null || c.name.maxLength === 0 ? null : appearanceName(name, c.name, namesShownOnLock)
}
