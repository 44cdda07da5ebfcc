// Nuki keypad code rules (docs/protocols/nuki-ble.md §5.3) as the port's CodeConstraints, so the API refuses bad codes early.
import { codeMisfit } from '../../src/kernel/code-fit.js'
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

/** Why a code breaks the constraints, in the driver's words, or undefined when it fits (the check is the kernel's). */
export function codeViolation(code: string, c: CodeConstraints): string | undefined {
  const m = codeMisfit(code, c)
  switch (m?.kind) {
    case undefined:
      return undefined
    case 'length':
      return `length must be ${c.minLength}-${c.maxLength}`
    case 'not_digits':
    case 'alphabet':
      return `character '${[...code].find((ch) => !c.alphabet.includes(ch))}' not allowed`
    case 'leading_zero':
      return 'may not start with 0'
    case 'prefix':
      return `may not start with ${m.prefix}`
  }
}
