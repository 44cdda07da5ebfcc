import { describe, expect, test } from 'vitest'
import { appearanceName } from '../../src/domain/appearance.js'

describe('appearance names per manufacturer rules (seed 002)', () => {
  test('truncates to the lock limit', () => {
    expect(appearanceName('Anna Smith, Reservation-12345', { maxLength: 16, charset: 'any', unique: false })).toBe('Anna Smith, Rese')
  })
  test('printable ASCII drops emoji and folds accents', () => {
    expect(appearanceName('Zoë 🎉 Müller', { maxLength: 30, charset: 'printable_ascii', unique: false })).toBe('Zoe Muller')
  })
  test('alphanumeric locks turn punctuation into spaces and collapse them', () => {
    expect(appearanceName('Anna-Smith, #12', { maxLength: 30, charset: 'alphanumeric_space', unique: false })).toBe('Anna Smith 12')
  })
  test('unique names get a numbered suffix that still fits', () => {
    const rules = { maxLength: 8, charset: 'any' as const, unique: true }
    expect(appearanceName('Cleaner', rules, ['Cleaner'])).toBe('Cleane 2')
    expect(appearanceName('Cleaner', rules, ['Cleaner', 'Cleane 2'])).toBe('Cleane 3')
    expect(appearanceName('cleaner', rules, ['CLEANER'])).toBe('cleane 2')
  })
  test('non-unique locks keep duplicates as they are', () => {
    expect(appearanceName('Guest', { maxLength: 8, charset: 'any', unique: false }, ['Guest'])).toBe('Guest')
  })
  test('a name with nothing printable still shows something', () => {
    expect(appearanceName('🎉🎉', { maxLength: 8, charset: 'printable_ascii', unique: false })).toBe('Code')
  })
})
