// The offline card locks of `lockstep simulate`. A card lock is programmed at installation with the
// site id, its entrance address and K_mac / K_A (never K_B): here from the daemon's data dir
// (commissioning.json and the key files the daemon writes). Until a daemon has written them the locks
// are not commissioned and say so; each lock's memory (stamps, audit) survives in the state file.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Clock } from '../kernel/clock.js'
import type { EntranceConfig } from '../config.js'
import { DomainError } from '../domain/errors.js'
import { COMMISSIONING_FILE, type Commissioning } from '../store/commissioning-file.js'
import { SITE_KEY_FILES } from '../store/card-key-files.js'
import { OfflineLock } from '../../simulators/offline-lock/lock.js'
import type { SimState } from './sim-state.js'
import type { LockState } from '../../simulators/offline-lock/decide.js'

type Saved = SimState['entrances']

export class SimCardLocks {
  private text: string | undefined
  private commissioning: Commissioning | undefined
  private readonly locks = new Map<string, OfflineLock>()

  constructor(
    private readonly entrances: EntranceConfig[],
    private readonly keysDir: string,
    private readonly saved: Saved,
    private readonly clock: Clock,
  ) {}

  /** Re-reads commissioning.json when it changed (a daemon started on a new data dir re-commissions the doors). */
  private refresh(): Commissioning | undefined {
    let text: string
    try {
      text = readFileSync(join(this.keysDir, COMMISSIONING_FILE), 'utf8')
    } catch {
      return this.commissioning
    }
    if (text === this.text) return this.commissioning
    const c = JSON.parse(text) as Commissioning
    const keys = { kMac: readKey(this.keysDir, SITE_KEY_FILES.kMac), kA: readKey(this.keysDir, SITE_KEY_FILES.kA) }
    const before = this.snapshot()
    this.locks.clear()
    for (const e of this.entrances) {
      const entry = c.entrances.find((x) => x.name === e.name)
      if (!entry) continue
      const lock = new OfflineLock({ siteId: c.card_site_id, entrance: entry.address, keys, reservationCapable: e.can_belong_to_reservation }, this.clock)
      const s = before[e.name]
      if (s) lock.restore(s.state, s.audit)
      this.locks.set(e.name, lock)
    }
    this.text = text
    this.commissioning = c
    return c
  }

  get commissioned(): boolean {
    return this.refresh() !== undefined
  }

  /** An entrance by name or by the daemon's acs_entrance_id. */
  lock(ref: { name?: string | undefined; acs_entrance_id?: string | undefined }): OfflineLock {
    const c = this.refresh()
    if (!c) {
      throw new DomainError(
        'card_locks_not_commissioned',
        `The card locks are not commissioned yet: start the daemon with data dir ${this.keysDir} first (it writes ${COMMISSIONING_FILE} and the card keys there)`,
        409,
      )
    }
    const name = ref.name ?? c.entrances.find((e) => e.acs_entrance_id === ref.acs_entrance_id)?.name
    const lock = name === undefined ? undefined : this.locks.get(name)
    if (!lock) throw new DomainError('lab_invalid_request', `no simulated entrance ${ref.name ?? ref.acs_entrance_id ?? '(give name or acs_entrance_id)'}`, 400)
    return lock
  }

  encoderName(acsEncoderId: string): string | undefined {
    return this.refresh()?.encoders.find((e) => e.acs_encoder_id === acsEncoderId)?.name
  }

  deviceNativeId(deviceId: string): string | undefined {
    return this.refresh()?.devices.find((d) => d.device_id === deviceId)?.native_id
  }

  /** Live locks as they are; locks not commissioned yet keep what the state file said. */
  snapshot(): Saved {
    const out: Saved = {}
    for (const e of this.entrances) {
      const lock = this.locks.get(e.name)
      const s = lock ? { state: withBufferTags(lock.snapshot()), audit: lock.audit() } : this.saved[e.name]
      if (s) out[e.name] = s
    }
    return out
  }
}

/** OfflineLock.snapshot() hands tags back as Uint8Arrays (structuredClone); as Buffers they survive JSON. */
function withBufferTags(state: LockState): LockState {
  const slots = Object.fromEntries(Object.entries(state.slots).map(([level, s]) => [level, { ...s, tag: Buffer.from(s.tag) }]))
  return { ...state, slots: slots as LockState['slots'] }
}

function readKey(dir: string, file: string): Buffer {
  const path = join(dir, file)
  let text: string
  try {
    text = readFileSync(path, 'utf8').trim()
  } catch {
    throw new DomainError('card_locks_not_commissioned', `card key file ${path} is missing: start the daemon on ${dir} first`, 409)
  }
  if (!/^[0-9a-f]{64}$/i.test(text)) throw new Error(`card key file ${path} is not 32 bytes of hex`)
  return Buffer.from(text, 'hex')
}
