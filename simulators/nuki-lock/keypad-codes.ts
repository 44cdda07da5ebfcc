// The lock's keypad code table: its rules (docs/protocols/nuki-ble.md §5.3) and its limits. Code ids are the lock's to assign.
import { ERROR_CODE } from '../../src/protocols/nuki/constants.js'
import type { KeypadEntry } from './wire.js'

export class KeypadError extends Error {
  constructor(readonly code: number, message: string) {
    super(message)
  }
}

/** Six digits 1–9, not starting with 12. */
export function isValidKeypadCode(code: number): boolean {
  if (!Number.isInteger(code) || code < 111111 || code > 999999) return false
  const s = String(code)
  return !s.includes('0') && !s.startsWith('12')
}

export class KeypadCodeStore {
  private readonly entries = new Map<number, KeypadEntry>()

  constructor(readonly capacity: number) {}

  list(): KeypadEntry[] {
    return [...this.entries.values()].sort((a, b) => a.id - b.id)
  }

  get(id: number): KeypadEntry | undefined {
    return this.entries.get(id)
  }

  findByCode(code: number): KeypadEntry | undefined {
    for (const e of this.entries.values()) if (e.code === code) return e
    return undefined
  }

  /** New codes take the lowest free id in 1…capacity. */
  add(code: number, name: string, nowMs: number, id?: number): KeypadEntry {
    if (!isValidKeypadCode(code)) throw new KeypadError(ERROR_CODE.kBadParameter, 'code must be 6 digits 1-9, not starting with 12')
    if (this.findByCode(code)) throw new KeypadError(ERROR_CODE.kCodeAlreadyExists, 'code already exists')
    if (this.entries.size >= this.capacity) throw new KeypadError(ERROR_CODE.kTooManyEntries, 'keypad code table full')
    let slot = id
    if (slot === undefined) {
      slot = 1
      while (this.entries.has(slot)) slot++
    } else if (this.entries.has(slot) || slot < 1 || slot > this.capacity) {
      throw new KeypadError(ERROR_CODE.kBadParameter, 'code id taken or out of range')
    }
    const entry: KeypadEntry = { id: slot, code, name, enabled: true, createdMs: nowMs, lastActiveMs: 0, lockCount: 0 }
    this.entries.set(slot, entry)
    return entry
  }

  update(id: number, code: number, name: string, enabled: boolean): KeypadEntry {
    const entry = this.entries.get(id)
    if (!entry) throw new KeypadError(ERROR_CODE.kBadParameter, 'unknown code id')
    if (!isValidKeypadCode(code)) throw new KeypadError(ERROR_CODE.kBadParameter, 'invalid code')
    const other = this.findByCode(code)
    if (other && other.id !== id) throw new KeypadError(ERROR_CODE.kCodeAlreadyExists, 'code already exists')
    entry.code = code
    entry.name = name
    entry.enabled = enabled
    return entry
  }

  remove(id: number): void {
    if (!this.entries.delete(id)) throw new KeypadError(ERROR_CODE.kBadParameter, 'unknown code id')
  }
}
