// The slot journal replays binds/unbinds/snapshots, ignores a torn last line, and stays 0600.
import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { SlotJournal } from '../../adapters/nuki-ble/slot-journal.js'

let dir: string | undefined
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true })
  dir = undefined
})

describe('SlotJournal', () => {
  it('replays what was written, in order, across instances', () => {
    dir = mkdtempSync(join(tmpdir(), 'nuki-journal-'))
    const path = join(dir, 'x.slots.log')
    const j = new SlotJournal(path)
    j.bind(3, 1)
    j.bind(5, 2)
    j.unbind(3)
    j.snapshot([[5, 2], [7, 9]])
    j.bind(1, 4)
    j.close()
    expect(new SlotJournal(path).load().sort((a, b) => a[0] - b[0])).toEqual([[1, 4], [5, 2], [7, 9]])
    expect(statSync(path).mode & 0o777).toBe(0o600)
  })

  it('ignores a torn last line left by a crash', () => {
    dir = mkdtempSync(join(tmpdir(), 'nuki-journal-'))
    const path = join(dir, 'x.slots.log')
    const j = new SlotJournal(path)
    j.bind(2, 8)
    j.close()
    appendFileSync(path, 'b 4 1') // no newline: the write never completed
    expect(new SlotJournal(path).load()).toEqual([[2, 8]])
  })

  it('compacts into one snapshot line when long', () => {
    dir = mkdtempSync(join(tmpdir(), 'nuki-journal-'))
    const path = join(dir, 'x.slots.log')
    const j = new SlotJournal(path)
    for (let i = 0; i < 2100; i++) j.bind(1, i)
    j.snapshot([[1, 2099]])
    j.bind(2, 5)
    j.close()
    expect(readFileSync(path, 'utf8').split('\n').filter(Boolean)).toHaveLength(2)
    expect(new SlotJournal(path).load()).toEqual([[1, 2099], [2, 5]])
  })
})
