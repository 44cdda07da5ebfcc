// Key records ↔ typed requests and answers (docs/fias.md §key records). Only the fields below are read;
// any other field a PMS sends is skipped.
import { isoToFiasDate, parseDepartureTime, parseFiasDate } from './fias-time.js'
import { type FiasRecord, field, record } from './record.js'

export type KeyType = 'new' | 'duplicate' | 'one_shot'

interface Addressed {
  /** KC: the key coder (encoder) the PMS names. */
  encoder: string
  /** WS: the PMS workstation; echoed in the answer. */
  workstation: string
}

export interface Stay {
  /** G#: the PMS reservation number, lockstep's reservation_key. */
  reservation?: string
  /** GA / GD as 'YYYY-MM-DD'. */
  arrival?: string
  departure?: string
  /** DT as 'HH:MM'. */
  departureTime?: string
  guestName?: string
}

export type KeyRequest =
  | (Addressed & Stay & { kind: 'make_key'; keyType: KeyType; room: string; extraRooms: string[] })
  | (Addressed & { kind: 'delete_keys'; room?: string; reservation?: string })
  | (Addressed & Stay & { kind: 'modify_keys'; room: string; oldRoom?: string; extraRooms: string[] })
  | (Addressed & { kind: 'read_key' })

/** AS values (S1 App. B); lockstep sends OK, BY, RY and UR. */
export type AnswerStatus = 'OK' | 'BY' | 'RY' | 'UR' | 'DE' | 'NG' | 'DN'

export interface KeyAnswer {
  status: AnswerStatus
  /** CT: clear text the PMS shows the clerk (≤ 40 characters on the wire). */
  text: string
}

export interface ReadAnswer extends KeyAnswer {
  room?: string
  reservation?: string
  guestName?: string
  departure?: string
  departureTime?: string
}

export const KEY_REQUEST_TYPES = new Set(['KR', 'KD', 'KM', 'KZ'])

/** What lockstep tells the PMS it sends and reads (S1 LR; one LR per record type, both directions). */
export const KEY_LINK_RECORDS: readonly FiasRecord[] = [
  record('LR', { RI: 'KR', FL: 'KCKTRNWSDATIG#GAGDDTGNKOSICTID' }),
  record('LR', { RI: 'KD', FL: 'KCRNWSDATIG#SIID' }),
  record('LR', { RI: 'KM', FL: 'KCRNROWSDATIG#GAGDDTGNSIUOID' }),
  record('LR', { RI: 'KA', FL: 'ASCTKCWSDATIG#' }),
  record('LR', { RI: 'KZ', FL: 'ASCTKCRNWSDATIDTGNG#GDKOSI' }),
]

export type Parsed = { ok: true; request: KeyRequest } | { ok: false; answer: KeyAnswer; encoder: string; workstation: string }

/** A key record → a typed request, or the UR answer that says clearly what is wrong with it. */
export function parseKeyRequest(rec: FiasRecord): Parsed {
  const encoder = field(rec, 'KC') ?? ''
  const workstation = field(rec, 'WS') ?? ''
  const refuse = (text: string): Parsed => ({ ok: false, answer: { status: 'UR', text }, encoder, workstation })
  if (encoder === '') return refuse('Missing KC (encoder)')
  const base = { encoder, workstation }
  const room = field(rec, 'RN') || undefined
  const reservation = field(rec, 'G#') || undefined
  const extraRooms = splitRooms(field(rec, 'SI'))

  const stay = (): Stay | string => {
    const out: Stay = {}
    if (reservation) out.reservation = reservation
    for (const [id, key] of [['GA', 'arrival'], ['GD', 'departure']] as const) {
      const raw = field(rec, id)
      if (!raw) continue
      const d = parseFiasDate(raw)
      if (d === null) return `Bad ${id} date '${raw}' (YYMMDD)`
      out[key] = d
    }
    const dt = field(rec, 'DT')
    if (dt) {
      const t = parseDepartureTime(dt)
      if (t === null) return `Bad DT time '${dt}' (HH:MM)`
      out.departureTime = t
    }
    const gn = field(rec, 'GN')
    if (gn) out.guestName = gn
    if (out.arrival && out.departure && out.departure < out.arrival) return 'Departure before arrival'
    return out
  }

  switch (rec.type) {
    case 'KR': {
      const kt = field(rec, 'KT')
      const keyType = kt === 'N' ? 'new' : kt === 'D' ? 'duplicate' : kt === 'O' ? 'one_shot' : null
      if (keyType === null) return refuse(kt ? `Unknown key type KT${kt}` : 'Missing KT (key type)')
      if (!room) return refuse('Missing RN (room)')
      const s = stay()
      if (typeof s === 'string') return refuse(s)
      if (keyType !== 'one_shot' && !s.reservation) return refuse('Missing G# (reservation)')
      return { ok: true, request: { kind: 'make_key', ...base, ...s, keyType, room, extraRooms } }
    }
    case 'KD':
      if (!room && !reservation) return refuse('Missing RN or G#')
      return { ok: true, request: { kind: 'delete_keys', ...base, ...(room ? { room } : {}), ...(reservation ? { reservation } : {}) } }
    case 'KM': {
      if (!room) return refuse('Missing RN (room)')
      const s = stay()
      if (typeof s === 'string') return refuse(s)
      if (!s.reservation) return refuse('Missing G# (reservation)')
      const oldRoom = field(rec, 'RO') || undefined
      return { ok: true, request: { kind: 'modify_keys', ...base, ...s, room, ...(oldRoom ? { oldRoom } : {}), extraRooms } }
    }
    case 'KZ':
      return { ok: true, request: { kind: 'read_key', ...base } }
    default:
      return refuse(`Record ${rec.type} is not a key request`)
  }
}

function splitRooms(si: string | undefined): string[] {
  if (!si) return []
  // S1 separates SI rooms with ';' in requests and shows ',' in a KZ answer: accept both.
  return si.split(/[;,]/).filter((r) => r !== '')
}

/** CT is at most 40 characters of the code page's printable range, and never a field separator. */
export function clearText(text: string): string {
  return text.replace(/[|\x00-\x1f\x7f]/g, ' ').slice(0, 40)
}

export interface Stamp {
  date: string
  time: string
}

/** KA for a KR/KD/KM (field order as S1's examples; order carries no meaning). */
export function keyAnswerRecord(to: { encoder: string; workstation: string; reservation?: string }, answer: KeyAnswer, at: Stamp): FiasRecord {
  return record('KA', {
    WS: to.workstation,
    KC: to.encoder,
    AS: answer.status,
    'G#': to.reservation,
    CT: clearText(answer.text),
    DA: at.date,
    TI: at.time,
  })
}

/** The KZ answer to a key read. */
export function readAnswerRecord(to: { encoder: string; workstation: string }, answer: ReadAnswer, at: Stamp): FiasRecord {
  return record('KZ', {
    DA: at.date,
    TI: at.time,
    KC: to.encoder,
    WS: to.workstation,
    'G#': answer.reservation,
    RN: answer.room,
    GN: answer.guestName?.slice(0, 40),
    GD: answer.departure ? isoToFiasDate(answer.departure) : undefined,
    DT: answer.departureTime,
    AS: answer.status,
    CT: clearText(answer.text),
  })
}
