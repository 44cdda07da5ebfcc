// FIAS record codec: `XX|` + fields of a 2-character id immediately followed by the value and `|`.
// Field order carries no meaning and may change; unknown fields are kept here and ignored by the mapping.
import { type CodePage, CodePageError } from './code-page.js'

export interface FiasRecord {
  /** Two-character record id: LS, LD, LR, LA, LE, LC, KR, KA, KD, KM, KZ, … */
  readonly type: string
  /** Fields in wire order; an id may repeat (kept as sent, the mapping reads the first). */
  readonly fields: ReadonlyArray<readonly [id: string, value: string]>
}

export class FiasRecordError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'FiasRecordError'
  }
}

const RECORD_ID = /^[A-Z0-9]{2}$/
// Field ids are letters and digits plus the '#' and '$' S1 uses (G#, K#, V#, $1, $2, $3).
const FIELD_ID = /^[A-Z0-9#$]{2}$/

export function field(record: FiasRecord, id: string): string | undefined {
  for (const [k, v] of record.fields) if (k === id) return v
  return undefined
}

export function record(type: string, fields: Record<string, string | undefined> | ReadonlyArray<readonly [string, string]>): FiasRecord {
  const list = Array.isArray(fields)
    ? (fields as ReadonlyArray<readonly [string, string]>)
    : Object.entries(fields).filter((e): e is [string, string] => e[1] !== undefined)
  return { type, fields: list }
}

/** Parses one record (the bytes between STX and ETX). Throws FiasRecordError with a message fit for a log line. */
export function parseRecord(body: Uint8Array, page: CodePage): FiasRecord {
  let text: string
  try {
    text = page.decode(body)
  } catch (err) {
    if (err instanceof CodePageError) throw new FiasRecordError(err.message)
    throw err
  }
  if (text.length < 2) throw new FiasRecordError(`record too short (${text.length} characters)`)
  const type = text.slice(0, 2)
  if (!RECORD_ID.test(type)) throw new FiasRecordError(`bad record id '${printable(type)}'`)
  if (text.length === 2 || text.length === 3) {
    if (text.length === 3 && text[2] !== '|') throw new FiasRecordError(`record id ${type} must be followed by '|'`)
    return { type, fields: [] }
  }
  if (text[2] !== '|') throw new FiasRecordError(`record id ${type} must be followed by '|'`)
  // A missing final '|' is tolerated: the last field still ends where the record ends.
  const rest = text.endsWith('|') ? text.slice(3, -1) : text.slice(3)
  const fields: Array<[string, string]> = []
  for (const part of rest.split('|')) {
    if (part.length < 2) throw new FiasRecordError(`${type}: field '${printable(part)}' is shorter than its 2-character id`)
    const id = part.slice(0, 2)
    if (!FIELD_ID.test(id)) throw new FiasRecordError(`${type}: bad field id '${printable(id)}'`)
    fields.push([id, part.slice(2)])
  }
  return { type, fields }
}

/** The record bytes (without STX/ETX) in the given code page. */
export function encodeRecord(rec: FiasRecord, page: CodePage): Buffer {
  if (!RECORD_ID.test(rec.type)) throw new FiasRecordError(`bad record id '${printable(rec.type)}'`)
  let text = `${rec.type}|`
  for (const [id, value] of rec.fields) {
    if (!FIELD_ID.test(id)) throw new FiasRecordError(`${rec.type}: bad field id '${printable(id)}'`)
    if (value.includes('|')) throw new FiasRecordError(`${rec.type}: field ${id} may not contain '|'`)
    text += `${id}${value}|`
  }
  try {
    return page.encode(text)
  } catch (err) {
    if (err instanceof CodePageError) throw new FiasRecordError(`${rec.type}: ${err.message}`)
    throw err
  }
}

/** Record text for logs and events: the same characters as on the wire, nothing hidden. */
export function recordText(rec: FiasRecord): string {
  return `${rec.type}|${rec.fields.map(([k, v]) => `${k}${v}|`).join('')}`
}

function printable(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
}
