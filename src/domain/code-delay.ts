// When a code is late reaching (or leaving) its lock: Seam's delay_in_setting_on_device and
// delay_in_removing_from_device. Pure: the store supplies the code and when its current request began.
import type { AccessCode } from './access-code.js'

export type DelayWarningCode = 'delay_in_setting_on_device' | 'delay_in_removing_from_device'

export interface CodeWait {
  warning: DelayWarningCode
  /** Since when the lock should have taken (or dropped) the code (epoch ms). */
  dueSince: number
}

type Facts = Pick<AccessCode, 'isManaged' | 'status' | 'startsAt' | 'endsAt' | 'deletedAt' | 'code' | 'confirmedCode' | 'slot'>

/**
 * What the code waits for at `now`, if anything: a live managed code inside its window that the lock has
 * not confirmed waits to be set (since its request or its start, whichever is later); a deleted code still
 * on a lock, or a code past its end not yet seen gone, waits to be removed. A code not due yet waits for
 * nothing (its start or end will make it due: see nextDue).
 */
export function codeWait(c: Facts, requestedAt: number, now: number): CodeWait | null {
  // Without a slot the code was never written (a slot is recorded before every write): nothing to remove.
  if (c.deletedAt !== null) return c.status === 'removing' && c.slot !== null ? { warning: 'delay_in_removing_from_device', dueSince: requestedAt } : null
  if (!c.isManaged) return null
  if (c.endsAt !== null && now >= c.endsAt) {
    return c.status === 'unset' || c.slot === null ? null : { warning: 'delay_in_removing_from_device', dueSince: Math.max(requestedAt, c.endsAt) }
  }
  if (c.startsAt !== null && now < c.startsAt) return null
  // `unknown` (its slot could not be read) after the lock confirmed this very PIN is not a delay: it was set.
  if (c.status === 'set' || (c.status === 'unknown' && c.confirmedCode !== null && c.confirmedCode === c.code)) return null
  return { warning: 'delay_in_setting_on_device', dueSince: Math.max(requestedAt, c.startsAt ?? requestedAt) }
}

/** The next instant after `now` at which codeWait may change by the passing of time alone (a start or an end). */
export function nextDue(c: Facts, now: number): number | null {
  if (c.deletedAt !== null || !c.isManaged) return null
  for (const t of [c.startsAt, c.endsAt]) if (t !== null && t > now) return t
  return null
}

/**
 * The delay warning the code should get now (null: none, or it has it already), and otherwise when to look
 * again. `thresholdMs` is how long a wait may last before it is a delay.
 */
export function delayCheck(
  c: Facts & Pick<AccessCode, 'warnings'>,
  requestedAt: number,
  now: number,
  thresholdMs: number,
): { flag: DelayWarningCode | null; lookAgainAt: number | null } {
  const wait = codeWait(c, requestedAt, now)
  const later = nextDue(c, now)
  if (!wait || c.warnings.some((w) => w.warning_code === wait.warning)) return { flag: null, lookAgainAt: later === null ? null : later + thresholdMs }
  const at = wait.dueSince + thresholdMs
  if (at <= now) return { flag: wait.warning, lookAgainAt: null }
  return { flag: null, lookAgainAt: later === null ? at : Math.min(at, later + thresholdMs) }
}
