// The lab banner: one screen telling a person where the API and console are, which key to use, and what
// the simulated property holds. Parts of the daemon contribute sections (locks now; entrances, encoders…).

export interface BannerSection {
  title: string
  /** Rows of cells; cells are padded into columns. */
  rows: string[][]
  /** Shown when rows is empty. */
  empty?: string
}

/** A section producer is called when the banner is drawn, so it shows what the store holds then. */
export type BannerSectionSource = () => BannerSection | null

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
