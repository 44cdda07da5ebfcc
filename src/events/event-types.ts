// Which events a webhook receives. `*` is every Seam event; `access_code.*` a family; otherwise the exact
// type. A lockstep-only event (`lockstep.…`) is not a Seam event: only a webhook that names it, or
// `lockstep.*`, receives it, so Seam receivers validating every payload never meet one.

export const EVENT_TYPE_PATTERN = /^(\*|[a-z0-9_]+(\.[a-z0-9_]+)*(\.\*)?)$/

export function wants(patterns: readonly string[], eventType: string): boolean {
  const lockstepOnly = eventType.startsWith('lockstep.')
  for (const p of patterns) {
    if (p === eventType) return true
    if (p === '*') {
      if (!lockstepOnly) return true
      continue
    }
    if (p.endsWith('.*')) {
      const prefix = p.slice(0, -1)
      if (eventType.startsWith(prefix) && (!lockstepOnly || prefix.startsWith('lockstep.'))) return true
    }
  }
  return false
}
