// A lock's battery status from its reported level (0–1), with Seam's four names. A level going down moves
// the status at once; going up it must clear the threshold by a margin, so a reading that wobbles around
// a threshold (24 %, 25 %, 24 %…) does not send an event each time.
export type BatteryStatus = 'critical' | 'low' | 'good' | 'full'

const THRESHOLDS: [number, BatteryStatus][] = [[0.1, 'critical'], [0.25, 'low'], [0.95, 'good']]
const RANK: Record<BatteryStatus, number> = { critical: 0, low: 1, good: 2, full: 3 }
const RECOVERY_MARGIN = 0.03

export function batteryStatus(level: number): BatteryStatus {
  for (const [below, status] of THRESHOLDS) if (level < below) return status
  return 'full'
}

export function nextBatteryStatus(previous: BatteryStatus | null, level: number): BatteryStatus {
  const now = batteryStatus(level)
  if (previous === null || RANK[now] <= RANK[previous]) return now
  const cleared = batteryStatus(Math.max(0, level - RECOVERY_MARGIN))
  return RANK[cleared] > RANK[previous] ? cleared : previous
}

export const isLow = (s: BatteryStatus): boolean => s === 'low' || s === 'critical'
