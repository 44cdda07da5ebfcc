// The simulated property's memory on disk (`lockstep simulate --state <file>`): what real devices keep
// across a gateway crash or a power cut — slot tables, cards, door stamps and audit, a card on an encoder.
// Checked every interval against the last write and written (tmp + rename, 0600) only when it differs:
// an idle property writes nothing, and a burst of changes costs one write per interval.
import { readFileSync, renameSync, writeFileSync } from 'node:fs'
import { DATA_FILE_MODE } from '../files.js'
import type { AuditEntry } from '../../simulators/offline-lock/lock.js'
import type { LockState } from '../../simulators/offline-lock/decide.js'

export const SIM_STATE_VERSION = 1

export interface SimState {
  version: typeof SIM_STATE_VERSION
  /** Zigbee2MQTT locks by friendly name: occupied slots only. */
  zigbee: Record<string, Array<{ slot: number; code: string }>>
  /** Virtual cards by id: 64 blocks of hex. */
  cards: Record<string, string[]>
  /** Offline card locks by entrance name. */
  entrances: Record<string, { state: LockState; audit: AuditEntry[] }>
  /** The card lying on each encoder, by encoder name. */
  encoders: Record<string, { card: string | null }>
}

export const emptySimState = (): SimState => ({ version: SIM_STATE_VERSION, zigbee: {}, cards: {}, entrances: {}, encoders: {} })

/** Buffers go to disk as Node's {type:'Buffer',data}; this brings them back. */
const reviveBuffers = (_key: string, v: unknown): unknown =>
  v !== null && typeof v === 'object' && (v as { type?: unknown }).type === 'Buffer' && Array.isArray((v as { data?: unknown }).data)
    ? Buffer.from((v as { data: number[] }).data)
    : v

/** The saved state, an empty one when the file does not exist; a file that is not ours is an error, never overwritten. */
export function loadSimState(path: string): { state: SimState; existed: boolean } {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { state: emptySimState(), existed: false }
    throw err
  }
  let parsed: SimState
  try {
    parsed = JSON.parse(text, reviveBuffers) as SimState
  } catch (err) {
    throw new Error(`state file ${path} is not JSON (${(err as Error).message}); move it away or pass another --state`)
  }
  if (parsed?.version !== SIM_STATE_VERSION) throw new Error(`state file ${path} is not a lockstep simulate state (version ${String(parsed?.version)})`)
  return { state: { ...emptySimState(), ...parsed }, existed: true }
}

export class SimStateFile {
  private last: string | undefined
  private timer: NodeJS.Timeout | undefined
  /** Writes so far: tests and the soak check that idle means none. */
  writes = 0

  constructor(
    private readonly path: string,
    private readonly snapshot: () => SimState,
    private readonly intervalMs = 250,
  ) {}

  /** `loaded`: the text the file holds now, so a start that changes nothing writes nothing. */
  start(loaded: SimState | undefined): void {
    this.last = loaded ? JSON.stringify(loaded) : undefined
    this.timer = setInterval(() => this.flush(), this.intervalMs)
    this.timer.unref()
  }

  /** Writes now if anything changed since the last write. */
  flush(): void {
    const text = JSON.stringify(this.snapshot())
    if (text === this.last) return
    const tmp = `${this.path}.tmp-${process.pid}`
    writeFileSync(tmp, text, { mode: DATA_FILE_MODE })
    renameSync(tmp, this.path)
    this.last = text
    this.writes++
  }

  stop(): void {
    clearInterval(this.timer)
    this.timer = undefined
    this.flush()
  }
}
