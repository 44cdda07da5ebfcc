// FIAS dates (YYMMDD), times (HHMMSS) and departure times (HH:MM) are the property's local wall time.

/** 'YYMMDD' → 'YYYY-MM-DD' (two-digit years pivot at 70, as S1's 99/00 examples need), or null. */
export function parseFiasDate(s: string): string | null {
  const m = /^(\d{2})(\d{2})(\d{2})$/.exec(s)
  if (!m) return null
  const yy = Number(m[1])
  const year = yy < 70 ? 2000 + yy : 1900 + yy
  const month = Number(m[2])
  const day = Number(m[3])
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return null
  return `${year}-${m[2]}-${m[3]}`
}

/** 'HH:MM' (S1) or 'HHMM' → 'HH:MM', or null. */
export function parseDepartureTime(s: string): string | null {
  const m = /^(\d{2}):?(\d{2})$/.exec(s)
  if (!m || Number(m[1]) > 23 || Number(m[2]) > 59) return null
  return `${m[1]}:${m[2]}`
}

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate()
}

interface WallTime {
  year: number
  month: number
  day: number
  hour: number
  minute: number
  second: number
}

function wall(ms: number, timeZone: string): WallTime {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(new Date(ms))
  const get = (t: string) => Number(parts.find((p) => p.type === t)!.value)
  return { year: get('year'), month: get('month'), day: get('day'), hour: get('hour'), minute: get('minute'), second: get('second') }
}

const two = (n: number) => String(n).padStart(2, '0')

export function fiasDate(ms: number, timeZone = 'UTC'): string {
  const w = wall(ms, timeZone)
  return `${two(w.year % 100)}${two(w.month)}${two(w.day)}`
}

export function fiasClock(ms: number, timeZone = 'UTC'): string {
  const w = wall(ms, timeZone)
  return `${two(w.hour)}${two(w.minute)}${two(w.second)}`
}

/** 'YYYY-MM-DD' of the instant in the zone. */
export function localDate(ms: number, timeZone = 'UTC'): string {
  const w = wall(ms, timeZone)
  return `${w.year}-${two(w.month)}-${two(w.day)}`
}

/** 'HH:MM' of the instant in the zone. */
export function localTime(ms: number, timeZone = 'UTC'): string {
  const w = wall(ms, timeZone)
  return `${two(w.hour)}:${two(w.minute)}`
}

/** The instant at which the zone's wall clock shows date ('YYYY-MM-DD') and time ('HH:MM'). */
export function zonedInstant(date: string, time: string, timeZone = 'UTC'): number {
  const [y, mo, d] = date.split('-').map(Number) as [number, number, number]
  const [h, mi] = time.split(':').map(Number) as [number, number]
  const asUtc = Date.UTC(y, mo - 1, d, h, mi)
  // Two passes settle the zone offset, including across a DST change between the guess and the answer.
  let guess = asUtc
  for (let i = 0; i < 2; i++) {
    const w = wall(guess, timeZone)
    const shown = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second)
    guess += asUtc - shown
  }
  return guess
}

/** 'YYYY-MM-DD' → 'YYMMDD'. */
export function isoToFiasDate(iso: string): string {
  return `${iso.slice(2, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}`
}
