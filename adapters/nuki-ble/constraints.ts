// Nuki keypad code rules (docs/protocols/nuki-ble.md §5.3) as the port's CodeConstraints, so the API refuses bad codes early.
import type { CodeConstraints } from '../../src/ports/lock-driver.js'

export function nukiConstraints(slotCount: number): CodeConstraints {
  return {
    minLength: 6,
    maxLength: 6,
    alphabet: '123456789',
    noLeadingZero: true,
    forbiddenPrefixes: ['12'],
    firstSlot: 1,
    slotCount,
    // 20 bytes UTF-8 on the lock; 'printable_ascii' keeps one byte per character so 20 characters fit.
    name: { maxLength: 20, charset: 'printable_ascii', unique: false },
  }
}

/** Why a code breaks the constraints, or undefined when it fits. */
export function codeViolation(code: string, c: CodeConstraints): string | undefined {
  if (code.length < c.minLength || code.length > c.maxLength) return `length must be ${c.minLength}-${c.maxLength}`
  for (const ch of code) if (!c.alphabet.includes(ch)) return `character '${ch}' not allowed`
  if (c.noLeadingZero && code.startsWith('0')) return 'may not start with 0'
  for (const p of c.forbiddenPrefixes ?? []) if (code.startsWith(p)) return `may not start with ${p}`
  return undefined
}
