// When a code is late: the pure rule behind delay_in_setting_on_device / delay_in_removing_from_device.
import { expect, test } from 'vitest'
import { codeWait, delayCheck } from '../../src/domain/code-delay.js'

const T = 300_000
const base = { isManaged: true, status: 'setting' as 'setting' | 'set' | 'unset' | 'removing' | 'unknown', startsAt: null, endsAt: null, deletedAt: null, code: '1234', confirmedCode: null as string | null, slot: 3 as number | null, warnings: [] }

test('a code waiting to be set is late threshold after its request; once flagged, not again', () => {
  expect(delayCheck(base, 1_000, 1_000 + T - 1, T)).toEqual({ flag: null, lookAgainAt: 1_000 + T })
  expect(delayCheck(base, 1_000, 1_000 + T, T).flag).toBe('delay_in_setting_on_device')
  const flagged = { ...base, warnings: [{ warning_code: 'delay_in_setting_on_device', message: 'x', created_at: '' }] }
  expect(delayCheck(flagged, 1_000, 1_000 + 10 * T, T)).toEqual({ flag: null, lookAgainAt: null })
})

test('a set code, a scheduled code and an unset expired code wait for nothing; their start or end is looked at', () => {
  expect(codeWait({ ...base, status: 'set' }, 0, 10)).toBeNull()
  expect(delayCheck({ ...base, status: 'unset', startsAt: 5_000 }, 0, 10, T)).toEqual({ flag: null, lookAgainAt: 5_000 + T })
  // Its wait starts at starts_at, not at the request.
  expect(codeWait({ ...base, startsAt: 5_000 }, 0, 6_000)).toEqual({ warning: 'delay_in_setting_on_device', dueSince: 5_000 })
  expect(codeWait({ ...base, status: 'unset', endsAt: 5_000 }, 0, 6_000)).toBeNull()
})

test('past its end or deleted, a code still on the lock waits to be removed', () => {
  expect(codeWait({ ...base, status: 'set', endsAt: 5_000 }, 0, 6_000)).toEqual({ warning: 'delay_in_removing_from_device', dueSince: 5_000 })
  expect(delayCheck({ ...base, status: 'set', endsAt: 5_000 }, 0, 6_000, T)).toEqual({ flag: null, lookAgainAt: 5_000 + T })
  expect(delayCheck({ ...base, status: 'removing', deletedAt: 7_000 }, 7_000, 7_000 + T, T).flag).toBe('delay_in_removing_from_device')
  expect(codeWait({ ...base, status: 'unset', deletedAt: 7_000 }, 7_000, 9_000)).toBeNull()
})

test('unmanaged codes are never late, unless deleted through the API and still on the lock', () => {
  expect(codeWait({ ...base, isManaged: false, status: 'set' }, 0, 10 * T)).toBeNull()
  expect(codeWait({ ...base, isManaged: false, status: 'removing', deletedAt: 0 }, 0, 10 * T)?.warning).toBe('delay_in_removing_from_device')
})

test('a code whose slot could not be read is late only if the lock never confirmed its PIN', () => {
  expect(codeWait({ ...base, status: 'unknown', confirmedCode: '1234' }, 0, 10 * T)).toBeNull()
  expect(codeWait({ ...base, status: 'unknown', confirmedCode: '9999' }, 0, 10 * T)?.warning).toBe('delay_in_setting_on_device')
  expect(codeWait({ ...base, status: 'unknown' }, 0, 10 * T)?.warning).toBe('delay_in_setting_on_device')
})

test('a code that never got a slot was never written: deleted or ended, it waits for no removal', () => {
  expect(codeWait({ ...base, status: 'removing', deletedAt: 0, slot: null }, 0, 10 * T)).toBeNull()
  expect(codeWait({ ...base, status: 'setting', endsAt: 5_000, slot: null }, 0, 6_000)).toBeNull()
  expect(codeWait({ ...base, status: 'setting', slot: null }, 0, 6_000)?.warning).toBe('delay_in_setting_on_device')
})
