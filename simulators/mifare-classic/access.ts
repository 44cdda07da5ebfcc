// MIFARE Classic access conditions (MF1S50 data sheet; docs/protocols/pn532-mifare.md §6.4–6.5), written from the
// tables, card side. Who may do what with a block, given the sector trailer's bytes 6–8.
export type Who = '-' | 'A' | 'B' | 'AB'
export type KeyType = 'A' | 'B'

/** Per-block C1C2C3 as a 3-char string, or undefined when the inverted copies do not match (sector blocked). */
export function accessConditions(trailer: Buffer): [string, string, string, string] | undefined {
  const b6 = trailer[6]!
  const b7 = trailer[7]!
  const b8 = trailer[8]!
  const c1 = b7 >> 4
  const c2 = b8 & 0x0f
  const c3 = b8 >> 4
  if ((b6 & 0x0f) !== (~c1 & 0x0f) || b6 >> 4 !== (~c2 & 0x0f) || (b7 & 0x0f) !== (~c3 & 0x0f)) return undefined
  const bit = (n: number, i: number) => String((n >> i) & 1)
  const at = (i: number) => bit(c1, i) + bit(c2, i) + bit(c3, i)
  return [at(0), at(1), at(2), at(3)]
}

const DATA: Record<string, { read: Who; write: Who }> = {
  '000': { read: 'AB', write: 'AB' },
  '010': { read: 'AB', write: '-' },
  '100': { read: 'AB', write: 'B' },
  '110': { read: 'AB', write: 'B' },
  '001': { read: 'AB', write: '-' },
  '011': { read: 'B', write: 'B' },
  '101': { read: 'B', write: '-' },
  '111': { read: '-', write: '-' },
}

export interface TrailerRights {
  keyAWrite: Who
  bitsRead: Who
  bitsWrite: Who
  keyBRead: Who
  keyBWrite: Who
}

const TRAILER: Record<string, TrailerRights> = {
  '000': { keyAWrite: 'A', bitsRead: 'A', bitsWrite: '-', keyBRead: 'A', keyBWrite: 'A' },
  '010': { keyAWrite: '-', bitsRead: 'A', bitsWrite: '-', keyBRead: 'A', keyBWrite: '-' },
  '100': { keyAWrite: 'B', bitsRead: 'AB', bitsWrite: '-', keyBRead: '-', keyBWrite: 'B' },
  '110': { keyAWrite: '-', bitsRead: 'AB', bitsWrite: '-', keyBRead: '-', keyBWrite: '-' },
  '001': { keyAWrite: 'A', bitsRead: 'A', bitsWrite: 'A', keyBRead: 'A', keyBWrite: 'A' },
  '011': { keyAWrite: 'B', bitsRead: 'AB', bitsWrite: 'B', keyBRead: '-', keyBWrite: 'B' },
  '101': { keyAWrite: '-', bitsRead: 'AB', bitsWrite: 'B', keyBRead: '-', keyBWrite: '-' },
  '111': { keyAWrite: '-', bitsRead: 'AB', bitsWrite: '-', keyBRead: '-', keyBWrite: '-' },
}

export function allows(who: Who, key: KeyType): boolean {
  return who === 'AB' || who === key
}

export function dataRights(c: string): { read: Who; write: Who } {
  return DATA[c]!
}

export function trailerRights(c: string): TrailerRights {
  return TRAILER[c]!
}

/** When key B is readable it is data, and the card refuses it as a key for operations. */
export function keyBIsData(trailerC: string): boolean {
  return TRAILER[trailerC]!.keyBRead !== '-'
}

/** Bytes 6–8 for four C1C2C3 strings (data0, data1, data2, trailer). */
export function encodeAccessBits(c: [string, string, string, string]): Buffer {
  let c1 = 0
  let c2 = 0
  let c3 = 0
  c.forEach((s, i) => {
    c1 |= Number(s[0]) << i
    c2 |= Number(s[1]) << i
    c3 |= Number(s[2]) << i
  })
  return Buffer.from([((~c2 & 0xf) << 4) | (~c1 & 0xf), (c1 << 4) | (~c3 & 0xf), (c3 << 4) | c2])
}
