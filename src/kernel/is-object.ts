// The one guard for "a JSON-like object with named fields": not null, not an array, not a byte buffer.
// Buffers are excluded so a deep merge or a key walk never descends into raw bytes.

export type JsonObject = Record<string, unknown>

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !ArrayBuffer.isView(value)
}
