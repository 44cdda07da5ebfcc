// Zigbee2MQTT's state layer as seen on MQTT: every publish is the whole cached state deep-merged
// with the converter's new fields, keys sorted; `action*` fields go out once and are never cached
// (docs/protocols/zigbee2mqtt-lock.md §2, §3, §5). Stale `users` entries therefore repeat in every later message, as in Z2M.

import { isObject, type JsonObject } from '../../src/kernel/is-object.js'

type Json = JsonObject

export function deepMerge(target: Json, source: Json): Json {
  const out: Json = { ...target }
  for (const [k, v] of Object.entries(source)) {
    out[k] = isObject(v) && isObject(out[k]) ? deepMerge(out[k] as Json, v) : v
  }
  return out
}

/** JSON with object keys sorted at every level, as Z2M's stable serializer does. */
export function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`
  if (isObject(value)) {
    const keys = Object.keys(value).filter((k) => value[k] !== undefined).sort()
    return `{${keys.map((k) => `${JSON.stringify(k)}:${stableStringify(value[k])}`).join(',')}}`
  }
  return JSON.stringify(value)
}

export class StateCache {
  private state: Json

  constructor(initial: Json = {}) {
    this.state = { ...initial }
  }

  /** Merges converter output and returns the payload Z2M would publish for it. */
  publish(fields: Json): string {
    const merged = deepMerge(this.state, fields)
    const payload = stableStringify(merged)
    this.state = Object.fromEntries(Object.entries(merged).filter(([k]) => k !== 'action' && !k.startsWith('action_')))
    return payload
  }

  snapshot(): Json {
    return structuredClone(this.state)
  }
}
