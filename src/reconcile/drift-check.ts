// When a device's codes are read to catch drift (edits made at the lock, not through lockstep), and how
// (pure). A lock that reports its changes (DriftCapability.reportsCodeChanges) is restored from its
// events; reading it is only a rare safety net. A lock that reports nothing is checked at an interval set
// per driver. Checks fall on a stable per-device phase, so a site's locks are never all read at once;
// a gap in the device's events (offline, link lost) or a restart asks for one check at the next pass.
import type { DriftCapability } from '../ports/lock-driver.js'

export interface DriftSettings {
  /** Interval of the safety-net read of a lock that reports its code changes. */
  reportedCheckMs: number
  /** Interval of the check of a lock that reports nothing, by driver kind. */
  unreportedCheckMs: (driverKind: string) => number
}

/** The daemon's defaults (config.ts sets them per driver): a daily safety net, hourly without reports. */
export const defaultDriftSettings: DriftSettings = {
  reportedCheckMs: 24 * 3_600_000,
  unreportedCheckMs: () => 3_600_000,
}

export interface DriftSchedule {
  intervalMs: number
  /** The device's phase in [0, intervalMs): its checks fall on offsetMs + k × intervalMs. */
  offsetMs: number
}

export type CheckRead = 'none' | 'owned' | 'full'

/** null settings: no schedule, every pass checks (see checkRead). */
export function driftSchedule(deviceId: string, driverKind: string, capability: DriftCapability, settings: DriftSettings | null): DriftSchedule | null {
  if (settings === null) return null
  const intervalMs = Math.max(1, capability.reportsCodeChanges ? settings.reportedCheckMs : settings.unreportedCheckMs(driverKind))
  return { intervalMs, offsetMs: Math.floor(stableFraction(deviceId) * intervalMs) }
}

/**
 * The next check after one at `checkedAt`: the first instant on the device's phase at least half an
 * interval later (so a check made off-phase, after a gap, is not followed by another minutes later).
 */
export function nextCheckAt(checkedAt: number, s: DriftSchedule | null): number | null {
  if (s === null) return null
  const earliest = checkedAt + s.intervalMs / 2
  return s.offsetMs + Math.ceil((earliest - s.offsetMs) / s.intervalMs) * s.intervalMs
}

/**
 * What this pass reads to check for drift: 'full' every slot (the first pass, a read that costs no more
 * than a partial one, or a full read due — within half a check interval — at this check), 'owned' the slots
 * lockstep's codes hold, 'none' nothing beyond what the pass needs (its codes' last readings stand).
 */
export function checkRead(input: {
  now: number
  /** Last check (null = none since the device's events last had a gap, or since start). */
  checkedAt: number | null
  /** Last full read (null = none known). */
  scannedAt: number | null
  /** null: every pass checks the owned slots, and reads every slot once per fullScanMs. */
  schedule: DriftSchedule | null
  fullScanMs: number
  readsAllAtOnce: boolean
}): CheckRead {
  const { now, checkedAt, scannedAt, schedule } = input
  if (scannedAt === null) return 'full'
  if (schedule === null) return now - scannedAt >= input.fullScanMs ? 'full' : 'owned'
  // A full read also falls on the device's phase: one that is due waits for the next check.
  if (checkedAt !== null && now < nextCheckAt(checkedAt, schedule)!) return 'none'
  if (input.readsAllAtOnce) return 'full'
  return now >= scannedAt + input.fullScanMs - schedule.intervalMs / 2 ? 'full' : 'owned'
}

/**
 * A fraction in [0, 1) from the device id (FNV-1a, then a final mix so ids that differ only at the end
 * still land far apart): the same device keeps its phase across restarts.
 */
export function stableFraction(id: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return (h >>> 0) / 2 ** 32
}
