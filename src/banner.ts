// The lab banner: one screen telling a person where the API and console are, which key to use, and what
// the property holds (locks, card entrances, card encoders), read from the store when it is drawn.
import type { Store } from './store/store.js'

export interface BannerSection {
  title: string
  /** Rows of cells; cells are padded into columns. */
  rows: string[][]
  /** Shown when rows is empty. */
  empty?: string
}

/** The property's sections: what the store holds now. */
export function propertySections(store: Store, encoderOnline: (acsEncoderId: string) => boolean): BannerSection[] {
  const devices = store.devices.list()
  const entrances = store.acs.entrances()
  const encoders = store.acs.encoders()
  return [{
    title: `Locks (${devices.length})`,
    rows: devices.map((d) => [d.displayName, d.deviceId, `${d.manufacturer} ${d.model}`, d.driver, d.online ? 'online' : 'offline']),
    empty: 'no locks in config',
  }, {
    title: `Card entrances (${entrances.length})`,
    rows: entrances.map((e) => [e.displayName, e.acsEntranceId, e.canBelongToReservation ? 'reservation door' : 'common door', `lock address ${e.seq}`]),
    empty: 'no card entrances in config',
  }, {
    title: `Card encoders (${encoders.length})`,
    rows: encoders.map((e) => [e.displayName, e.acsEncoderId, encoderOnline(e.acsEncoderId) ? 'online' : 'offline']),
    empty: 'no card encoders in config',
  }]
}

export interface BannerInput {
  title: string
  apiUrl: string
  consoleUrl: string
  apiKey: string | null
  apiKeySource: string
  dataDir: string
  sections: BannerSection[]
}

function table(rows: string[][]): string[] {
  const widths: number[] = []
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)))
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd())
}

export function renderBanner(b: BannerInput): string {
  const lines: string[] = []
  const rule = '─'.repeat(72)
  lines.push(rule, `  ${b.title}`, rule)
  lines.push(
    ...table([
      ['  API', b.apiUrl],
      ['  Console', b.consoleUrl],
      ['  API key', b.apiKey ? `${b.apiKey}  (${b.apiKeySource})` : `(${b.apiKeySource})`],
      ['  Data', b.dataDir],
    ]),
  )
  for (const s of b.sections) {
    lines.push('', `  ${s.title}`)
    if (s.rows.length === 0) lines.push(`    ${s.empty ?? '(none)'}`)
    else lines.push(...table(s.rows).map((l) => `    ${l}`))
  }
  lines.push(
    '',
    '  Try:  LOCKSTEP_URL=' + b.apiUrl + ' npx lockstep devices',
    '  Stop: Ctrl-C',
    rule,
  )
  return lines.join('\n')
}
