import { describe, expect, it } from 'vitest'
import { checkRead, driftSchedule, nextCheckAt, stableFraction, type DriftSchedule } from '../../../src/reconcile/drift-check.js'

const HOUR = 3_600_000
const settings = { reportedCheckMs: 24 * HOUR, unreportedCheckMs: (kind: string) => (kind === 'zigbee2mqtt' ? 12 * HOUR : HOUR) }

describe('drift schedule', () => {
  it('a lock that reports its changes is checked daily; one that does not, at its driver\'s interval', () => {
    expect(driftSchedule('d', 'zigbee2mqtt', { reportsCodeChanges: true, readsAllAtOnce: false }, settings)!.intervalMs).toBe(24 * HOUR)
    expect(driftSchedule('d', 'zigbee2mqtt', { reportsCodeChanges: false, readsAllAtOnce: false }, settings)!.intervalMs).toBe(12 * HOUR)
    expect(driftSchedule('d', 'nuki-ble', { reportsCodeChanges: false, readsAllAtOnce: true }, settings)!.intervalMs).toBe(HOUR)
    expect(driftSchedule('d', 'nuki-ble', { reportsCodeChanges: false, readsAllAtOnce: true }, null)).toBeNull()
  })

  it('spreads a site\'s locks over the interval, and keeps each lock\'s phase', () => {
    const ids = Array.from({ length: 24 }, (_, i) => `5f2c1e0a-0000-4000-8000-${String(i).padStart(12, '0')}`)
    const hours = new Set(ids.map((id) => Math.floor(driftSchedule(id, 'z', { reportsCodeChanges: true, readsAllAtOnce: false }, settings)!.offsetMs / HOUR)))
    expect(hours.size).toBeGreaterThanOrEqual(10)
    expect(stableFraction(ids[0]!)).toBe(stableFraction(ids[0]!))
    for (const id of ids) expect(stableFraction(id)).toBeGreaterThanOrEqual(0), expect(stableFraction(id)).toBeLessThan(1)
  })

  it('the next check is on the phase, at least half an interval after the last', () => {
    const s: DriftSchedule = { intervalMs: HOUR, offsetMs: 20 * 60_000 }
    const t0 = 100 * HOUR
    expect(nextCheckAt(t0, s)).toBe(t0 + HOUR + 20 * 60_000) // t0+20 min is too soon
    expect(nextCheckAt(t0 + 20 * 60_000, s)).toBe(t0 + HOUR + 20 * 60_000)
    expect(nextCheckAt(t0 + 50 * 60_000, s)).toBe(t0 + HOUR + 20 * 60_000) // exactly half an hour later
    expect(nextCheckAt(t0 + 51 * 60_000, s)).toBe(t0 + 2 * HOUR + 20 * 60_000)
    for (let c = t0; c < t0 + 3 * HOUR; c += 7 * 60_000) {
      const n = nextCheckAt(c, s)!
      expect(n - c).toBeGreaterThanOrEqual(HOUR / 2)
      expect(n - c).toBeLessThanOrEqual(1.5 * HOUR)
      expect((n - s.offsetMs) % HOUR).toBe(0)
    }
  })
})

describe('checkRead', () => {
  const s: DriftSchedule = { intervalMs: 12 * HOUR, offsetMs: 0 }
  const base = { schedule: s, fullScanMs: 24 * HOUR, readsAllAtOnce: false }
  it('reads every slot first, then nothing until the check', () => {
    expect(checkRead({ ...base, now: 0, checkedAt: null, scannedAt: null })).toBe('full')
    expect(checkRead({ ...base, now: HOUR, checkedAt: 0, scannedAt: 0 })).toBe('none')
    expect(checkRead({ ...base, now: 12 * HOUR, checkedAt: 0, scannedAt: 0 })).toBe('owned')
    // The full read falls at a check once it is due within half an interval.
    expect(checkRead({ ...base, now: 24 * HOUR, checkedAt: 12 * HOUR, scannedAt: 0 })).toBe('full')
  })
  it('a gap in events asks for a check at once; a lock read whole at one cost is read whole', () => {
    expect(checkRead({ ...base, now: HOUR, checkedAt: null, scannedAt: 0 })).toBe('owned')
    expect(checkRead({ ...base, now: HOUR, checkedAt: null, scannedAt: 0, readsAllAtOnce: true })).toBe('full')
  })
  it('without a schedule every pass reads the owned slots', () => {
    expect(checkRead({ ...base, schedule: null, now: HOUR, checkedAt: 0, scannedAt: 0 })).toBe('owned')
    expect(checkRead({ ...base, schedule: null, now: 24 * HOUR, checkedAt: 0, scannedAt: 0 })).toBe('full')
  })
})
