// How an access code's name appears inside the manufacturer's app (seed 002): the lock may limit length,
// drop characters it cannot show, or refuse two codes with the same name. lockstep computes the exact
// name it will program so support staff can find the code in the owner's app.
import type { NameRules } from './code-constraints.js'

export interface Appearance {
  name: string
}

export function appearanceName(name: string, rules: NameRules, namesInUse: Iterable<string> = []): string {
  let shown = filterCharset(name, rules.charset).replace(/\s+/g, ' ').trim()
  if (shown === '') shown = 'Code'
  shown = truncate(shown, rules.maxLength)
  if (!rules.unique) return shown
  const taken = new Set([...namesInUse].map((n) => n.toLowerCase()))
  if (!taken.has(shown.toLowerCase())) return shown
  for (let i = 2; ; i++) {
    const suffix = ` ${i}`
    const candidate = truncate(shown, rules.maxLength - suffix.length).trimEnd() + suffix
    if (!taken.has(candidate.toLowerCase())) return candidate
  }
}

function filterCharset(name: string, charset: NameRules['charset']): string {
  switch (charset) {
    case 'any':
      return name
    case 'printable_ascii':
      // Decompose accents first so "Zoë" shows as "Zoe" rather than "Zo".
      return name.normalize('NFKD').replace(/[^\x20-\x7e]/g, '')
    case 'alphanumeric_space':
      return name.normalize('NFKD').replace(/[^A-Za-z0-9 ]/g, ' ')
  }
}

function truncate(s: string, max: number): string {
  const chars = [...s]
  return chars.length <= max ? s : chars.slice(0, Math.max(1, max)).join('')
}
