// The offline lock's decision procedure (docs/protocols/lockstep-card.md §5), as a pure function over
// (config, state, what was read from the card, now). Steps are numbered as in the reference.
import { compareStamps, decodeCard, ALL_ENTRANCES, LEVELS, type CardFields, type CardLevel, type Stamp } from '../../src/protocols/lockstep-card/card.js'
import type { LockKeys } from '../../src/protocols/lockstep-card/keys.js'

export type DenyReason =
  | 'unreadable'
  | 'bad_format'
  | 'wrong_site'
  | 'bad_mac'
  | 'wrong_entrance'
  | 'not_yet_valid'
  | 'expired'
  | 'blocked'
  | 'privacy'
  | 'one_shot_used'
  | 'overridden'
export type LockReason = 'granted' | DenyReason
export type LockOutcome = 'granted' | 'denied' | 'cancel_applied' | 'lockout_set' | 'lockout_cleared'
export type GrantMode = 'override' | 'joiner' | 'one_shot' | 'standard'

export interface LockConfig {
  siteId: number
  /** This door's entrance address (u16). */
  entrance: number
  keys: LockKeys
  /** false for lobby/gym doors: guest cards skip the stamp rule (no override, never overridden). */
  reservationCapable: boolean
  /** Clock-drift grace applied in the card's favour at both ends of its window. */
  skewSec?: number
  oneShotMemory?: number
  auditCapacity?: number
}

export interface StampSlot {
  stamp: Stamp
  tag: Buffer
}

export interface LockState {
  slots: Record<CardLevel, StampSlot>
  lockout: boolean
  privacy: boolean
  usedOneShots: number[]
}

export function installState(): LockState {
  const zero = (): StampSlot => ({ stamp: { time: 0, seq: 0 }, tag: Buffer.alloc(8) })
  return { slots: { guest: zero(), staff: zero(), master: zero(), emergency: zero() }, lockout: false, privacy: false, usedOneShots: [] }
}

/** What the reader got off the card (steps 1–2 happen in lock.ts, against the card model). */
export type CardRead = { ok: true; uid: Buffer; record: Buffer } | { ok: false; uid?: Buffer }

export interface Decision {
  outcome: LockOutcome
  reason: LockReason | 'cancel_applied' | 'lockout_set' | 'lockout_cleared'
  unlocked: boolean
  mode?: GrantMode
  fields?: CardFields
}

const deny = (reason: DenyReason, fields?: CardFields): Decision => ({ outcome: 'denied', reason, unlocked: false, ...(fields ? { fields } : {}) })
const levelIndex = (l: CardLevel) => LEVELS.indexOf(l)

export function decide(cfg: LockConfig, state: LockState, read: CardRead, nowSec: number): { decision: Decision; state: LockState } {
  const same = (decision: Decision) => ({ decision, state })
  if (!read.ok) return same(deny('unreadable'))
  // 3–5: format, site, MAC (in this order; nothing later trusts an unauthenticated field).
  const d = decodeCard(read.record, read.uid, cfg.keys.kMac, cfg.siteId)
  if (!d.ok) return same(deny(d.error))
  const f = d.fields
  const lvl = levelIndex(f.level)
  // 6: door.
  const opensHere = f.entrances.includes(cfg.entrance) || (f.entrances.includes(ALL_ENTRANCES) && lvl >= levelIndex('master'))
  if (!opensHere) return same(deny('wrong_entrance', f))
  // 7: window, with drift grace in the card's favour.
  const skew = cfg.skewSec ?? 300
  if (nowSec + skew < f.startsAt) return same(deny('not_yet_valid', f))
  if (nowSec - skew >= f.endsAt) return same(deny('expired', f))
  // 8: special cards never unlock.
  if (f.type === 'cancel') {
    const slot = state.slots[f.level]
    if (compareStamps(f.stamp, slot.stamp) <= 0) return same(deny('overridden', f))
    const next = { ...state, slots: { ...state.slots, [f.level]: { stamp: f.stamp, tag: Buffer.alloc(8) } } }
    return { decision: { outcome: 'cancel_applied', reason: 'cancel_applied', unlocked: false, fields: f }, state: next }
  }
  if (f.type === 'lockout_set' || f.type === 'lockout_clear') {
    if (lvl < levelIndex('staff')) return same(deny('bad_format', f))
    const set = f.type === 'lockout_set'
    return {
      decision: { outcome: set ? 'lockout_set' : 'lockout_cleared', reason: set ? 'lockout_set' : 'lockout_cleared', unlocked: false, fields: f },
      state: { ...state, lockout: set },
    }
  }
  const emergency = f.level === 'emergency'
  // 9–10: lockout, then deadbolt/privacy (a new guest neither opens nor overrides while it is thrown).
  if (state.lockout && !(emergency || f.flags.lockoutOverride)) return same(deny('blocked', f))
  if (state.privacy && !(emergency || f.flags.privacyOverride)) return same(deny('privacy', f))
  // 11: one-shot cards: single use, and outside the stamp rule.
  if (f.flags.oneShot) {
    if (state.usedOneShots.includes(f.credentialId)) return same(deny('one_shot_used', f))
    const used = [...state.usedOneShots, f.credentialId].slice(-(cfg.oneShotMemory ?? 64))
    return { decision: { outcome: 'granted', reason: 'granted', unlocked: true, mode: 'one_shot', fields: f }, state: { ...state, usedOneShots: used } }
  }
  // 12: stamp rule (skipped for guests at doors that take no part in reservations).
  if (f.level === 'guest' && !cfg.reservationCapable) {
    return same({ outcome: 'granted', reason: 'granted', unlocked: true, mode: 'standard', fields: f })
  }
  const slot = state.slots[f.level]
  const cmp = compareStamps(f.stamp, slot.stamp)
  if (cmp < 0) return same(deny('overridden', f))
  if (cmp === 0) {
    if (!f.reservationTag.equals(slot.tag)) return same(deny('overridden', f))
    return same({ outcome: 'granted', reason: 'granted', unlocked: true, mode: 'joiner', fields: f })
  }
  // 13: commit only now.
  const next = { ...state, slots: { ...state.slots, [f.level]: { stamp: f.stamp, tag: Buffer.from(f.reservationTag) } } }
  return { decision: { outcome: 'granted', reason: 'granted', unlocked: true, mode: 'override', fields: f }, state: next }
}
