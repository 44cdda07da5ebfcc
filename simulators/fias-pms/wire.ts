// The PMS simulator's own FIAS wire code, written apart from src/fias so a symmetric bug cannot hide
// (design rule 6): STX record ETX over TCP, `XX|` then `<id><value>|` fields, single-byte text.

const STX = 0x02
const ETX = 0x03

// A handful of CP850 letters a guest name may carry; anything else outside ASCII is sent as '?'.
const CP850_LETTERS: ReadonlyArray<[string, number]> = [
  ['Ç', 0x80], ['ü', 0x81], ['é', 0x82], ['â', 0x83], ['ä', 0x84], ['à', 0x85], ['å', 0x86], ['ç', 0x87],
  ['ê', 0x88], ['ë', 0x89], ['è', 0x8a], ['Ä', 0x8e], ['É', 0x90], ['ô', 0x93], ['ö', 0x94], ['Ö', 0x99],
  ['Ü', 0x9a], ['á', 0xa0], ['í', 0xa1], ['ó', 0xa2], ['ú', 0xa3], ['ñ', 0xa4], ['Ñ', 0xa5], ['ß', 0xe1],
]
const TO_BYTE = new Map(CP850_LETTERS)
const TO_CHAR = new Map(CP850_LETTERS.map(([c, b]) => [b, c]))

export interface PmsRecord {
  id: string
  fields: Array<[string, string]>
}

export function toBytes(rec: PmsRecord): Buffer {
  const text = rec.id + '|' + rec.fields.map(([k, v]) => k + v + '|').join('')
  const bytes = [STX]
  for (const ch of text) {
    const c = ch.charCodeAt(0)
    bytes.push(c >= 0x20 && c < 0x7f ? c : (TO_BYTE.get(ch) ?? 0x3f))
  }
  bytes.push(ETX)
  return Buffer.from(bytes)
}

export function fromBytes(body: Buffer): PmsRecord | null {
  let text = ''
  for (const b of body) text += b < 0x80 ? String.fromCharCode(b) : (TO_CHAR.get(b) ?? '?')
  const parts = text.split('|')
  const id = parts.shift() ?? ''
  if (!/^[A-Z]{2}$/.test(id)) return null
  if (parts.at(-1) === '') parts.pop()
  return { id, fields: parts.map((p) => [p.slice(0, 2), p.slice(2)] as [string, string]) }
}

export function get(rec: PmsRecord, id: string): string | undefined {
  return rec.fields.find(([k]) => k === id)?.[1]
}

export function text(rec: PmsRecord): string {
  return rec.id + '|' + rec.fields.map(([k, v]) => k + v + '|').join('')
}

/** Collects bytes and hands back each STX…ETX body; bytes between frames are dropped. */
export class Deframer {
  private buf: number[] | null = null
  feed(chunk: Buffer): Buffer[] {
    const out: Buffer[] = []
    for (const b of chunk) {
      if (b === STX) this.buf = []
      else if (b === ETX && this.buf) {
        out.push(Buffer.from(this.buf))
        this.buf = null
      } else if (this.buf && this.buf.length < 4096) this.buf.push(b)
    }
    return out
  }
}
