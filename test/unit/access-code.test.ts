import { describe, expect, test } from 'vitest'
import fc from 'fast-check'
import { assertNotDuplicate, generateCode, isWeakCode, validateCode, validateWindow } from '../../src/domain/access-code.js'
import { DomainError } from '../../src/domain/errors.js'
import { seededRandom } from '../../src/kernel/ids.js'
import type { CodeConstraints } from '../../src/ports/lock-driver.js'

const yale: CodeConstraints = { minLength: 4, maxLength: 8, alphabet: '0123456789', noLeadingZero: false, firstSlot: 1, slotCount: 20, name: { maxLength: 16, charset: 'any', unique: false } }
const nuki: CodeConstraints = { ...yale, minLength: 6, maxLength: 6, alphabet: '123456789', noLeadingZero: true }

function fieldOf(fn: () => void): string | undefined {
  try {
    fn()
  } catch (e) {
    const err = e as DomainError
    expect(err.type).toBe('invalid_input')
    return Object.keys(err.validationErrors ?? {}).find((k) => k !== '_errors')
  }
  return undefined
}

describe('code validation against device constraints', () => {
  test('accepts codes that fit', () => {
    expect(() => validateCode('1234', yale)).not.toThrow()
    expect(() => validateCode('12345678', yale)).not.toThrow()
    expect(() => validateCode('123456', nuki)).not.toThrow()
  })
  test('refuses length, alphabet and leading zero, naming the field and never echoing the PIN', () => {
    for (const [code, c] of [['123', yale], ['123456789', yale], ['12a4', yale], ['120456', nuki], ['012345', nuki], ['12345', nuki]] as const) {
      expect(fieldOf(() => validateCode(code, c))).toBe('code')
      try {
        validateCode(code, c)
      } catch (e) {
        expect((e as Error).message).not.toContain(code)
      }
    }
  })
  test('weak codes are recognised', () => {
    expect(isWeakCode('1111')).toBe(true)
    expect(isWeakCode('1234')).toBe(true)
    expect(isWeakCode('9876')).toBe(true)
    expect(isWeakCode('1357')).toBe(false)
  })
  test('generated codes always fit the device and avoid taken and weak codes', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 8 }), fc.constantFrom(yale, nuki), (seed, c) => {
        const taken = new Set(['123456', '5555'])
        const code = generateCode(c, taken, seededRandom(seed))
        validateCode(code, c)
        expect(taken.has(code)).toBe(false)
        expect(isWeakCode(code)).toBe(false)
      }),
      { numRuns: 500 },
    )
  })
  test('generation honours a preferred length and refuses one the device cannot take', () => {
    expect(generateCode(yale, new Set(), seededRandom('x'), 4)).toHaveLength(4)
    expect(fieldOf(() => generateCode(nuki, new Set(), seededRandom('x'), 4))).toBe('preferred_code_length')
  })
})

describe('windows and duplicates', () => {
  const now = Date.parse('2026-01-01T00:00:00Z')
  test('time-bound codes need both ends, in order, ending in the future', () => {
    expect(() => validateWindow({ startsAt: null, endsAt: null }, now)).not.toThrow()
    expect(() => validateWindow({ startsAt: now + 1000, endsAt: now + 2000 }, now)).not.toThrow()
    expect(fieldOf(() => validateWindow({ startsAt: now + 2000, endsAt: now + 1000 }, now))).toBe('ends_at')
    expect(fieldOf(() => validateWindow({ startsAt: now - 2000, endsAt: now - 1000 }, now))).toBe('ends_at')
    expect(fieldOf(() => validateWindow({ startsAt: now, endsAt: null }, now))).toBe('ends_at')
  })
  test('a duplicate PIN on the same device is a 409 naming the other code', () => {
    try {
      assertNotDuplicate('4321', [{ code: '4321', accessCodeId: 'abc', isManaged: false }])
      expect.unreachable()
    } catch (e) {
      expect(e).toBeInstanceOf(DomainError)
      expect((e as DomainError).status).toBe(409)
      expect((e as DomainError).data).toEqual({ access_code_id: 'abc' })
      expect((e as Error).message).toMatch(/unmanaged/)
    }
  })
})
