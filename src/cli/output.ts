// Human tables by default, JSON (one document on stdout) with --json.

export function table(headers: string[], rows: (string | number | boolean | null | undefined)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map((c) => (c === null || c === undefined ? '—' : String(c))))]
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)))
  return cells
    .map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd())
    .join('\n')
}

export function out(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : text + '\n')
}

export function emit(json: boolean | undefined, data: unknown, human: () => string): void {
  out(json ? JSON.stringify(data, null, 2) : human())
}

/** A spinner on stderr while waiting (only on a terminal; otherwise one line, so logs stay clean). */
export function progress(label: string): { stop(final?: string): void } {
  const started = Date.now()
  if (!process.stderr.isTTY) {
    process.stderr.write(`${label}…\n`)
    return { stop: (final) => void (final && process.stderr.write(final + '\n')) }
  }
  const frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏']
  let i = 0
  const draw = () => process.stderr.write(`\r${frames[i++ % frames.length]} ${label} ${((Date.now() - started) / 1000).toFixed(0)}s `)
  draw()
  const timer = setInterval(draw, 100)
  return {
    stop(final) {
      clearInterval(timer)
      process.stderr.write('\r\x1b[K' + (final ? final + '\n' : ''))
    },
  }
}

export function issuesText(x: { errors?: { error_code?: string; message?: string }[]; warnings?: { warning_code?: string; message?: string }[] }): string {
  const parts = [
    ...(x.errors ?? []).map((e) => `error: ${e.message ?? e.error_code}`),
    ...(x.warnings ?? []).map((w) => `warning: ${w.message ?? w.warning_code}`),
  ]
  return parts.join('; ')
}
