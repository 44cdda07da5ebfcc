// Whether a PIN fits a lock's code rules: the one copy of the check. The domain turns a misfit into an
// API error before anything is stored; an adapter refuses a misfit the same way before it touches the
// radio. It lives in the kernel (not the domain) because adapters may import only ports, protocols and
// kernel, and both must agree on what fits. Reasons are data so each caller words its own message.

/** The parts of a lock's code constraints that decide whether a PIN fits (structural, so ports' type fits). */
export interface CodeRules {
  minLength: number
  maxLength: number
  /** Characters a code may use, e.g. '0123456789'. */
  alphabet: string
  noLeadingZero: boolean
  forbiddenPrefixes?: string[]
}

export type CodeMisfit =
  | { kind: 'not_digits' }
  | { kind: 'length'; minLength: number; maxLength: number; length: number }
  | { kind: 'alphabet'; character: string }
  | { kind: 'leading_zero' }
  | { kind: 'prefix'; prefix: string }

/** The first rule the code breaks, in a fixed order, or undefined when it fits. Pure; never logs the code. */
export function codeMisfit(code: string, rules: CodeRules): CodeMisfit | undefined {
  if (!/^\d+$/.test(code)) return { kind: 'not_digits' }
  if (code.length < rules.minLength || code.length > rules.maxLength) {
    return { kind: 'length', minLength: rules.minLength, maxLength: rules.maxLength, length: code.length }
  }
  const bad = [...code].find((ch) => !rules.alphabet.includes(ch))
  if (bad !== undefined) return { kind: 'alphabet', character: bad }
  if (rules.noLeadingZero && code.startsWith('0')) return { kind: 'leading_zero' }
  const prefix = rules.forbiddenPrefixes?.find((p) => code.startsWith(p))
  if (prefix !== undefined) return { kind: 'prefix', prefix }
  return undefined
}
