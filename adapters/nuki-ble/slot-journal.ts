// Durable slot ↔ code-id bindings as an append-only journal: one short line per change instead of an
// atomic file replace (a rename per keypad write dominated a 100-code sync in bench/ble.ts). A torn last
// line after a crash is ignored; the file is compacted into one snapshot line when it grows.
import { closeSync, existsSync, openSync, readFileSync, renameSync, writeFileSync, writeSync } from 'node:fs'

const COMPACT_AFTER_LINES = 2000

export class SlotJournal {
  private fd: number | undefined
  private lines = 0

  constructor(private readonly path: string) {}

  /** Replays the journal into slot → id pairs. */
  load(): [number, number][] {
    const map = new Map<number, number>()
    if (!existsSync(this.path)) return []
    const text = readFileSync(this.path, 'utf8')
    const complete = text.endsWith('\n') ? text : text.slice(0, text.lastIndexOf('\n') + 1)
    for (const line of complete.split('\n')) {
      if (!line) continue
      this.lines++
      const [op, a, b] = line.split(' ')
      if (op === 'b') map.set(Number(a), Number(b))
      else if (op === 'u') map.delete(Number(a))
      else if (op === 's') {
        map.clear()
        for (const [slot, id] of JSON.parse(a ?? '[]') as [number, number][]) map.set(slot, id)
      }
    }
    return [...map]
  }

  bind(slot: number, id: number): void {
    this.append(`b ${slot} ${id}\n`)
  }

  unbind(slot: number): void {
    this.append(`u ${slot}\n`)
  }

  /** Records the whole map (after a read realigned it), compacting when the journal is long. */
  snapshot(pairs: [number, number][]): void {
    const line = `s ${JSON.stringify(pairs)}\n`
    if (this.lines < COMPACT_AFTER_LINES) return this.append(line)
    this.close()
    const tmp = `${this.path}.tmp`
    writeFileSync(tmp, line, { mode: 0o600 })
    renameSync(tmp, this.path)
    this.lines = 1
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd)
    this.fd = undefined
  }

  private append(line: string): void {
    this.fd ??= openSync(this.path, 'a', 0o600)
    writeSync(this.fd, line)
    this.lines++
  }
}
