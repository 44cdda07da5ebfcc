// What a pass reads: every slot on the first pass, then only what it needs (a 250-slot Zigbee lock
// answers one slot per request), and a write the driver already read back is not read again.
import { describe, expect, it } from 'vitest'
import { ManualClock } from '../../../src/kernel/clock.js'
import { seededRandom } from '../../../src/kernel/ids.js'
import { MemoryRepo } from '../../helpers/memory-repo.js'
import { Reconciler } from '../../../src/reconcile/reconciler.js'
import type { LockDriver, SlotReading } from '../../../src/ports/lock-driver.js'
import { FakeLockDriver } from '../../helpers/fake-lock-driver.js'
import { FakeTimers } from '../../helpers/fake-timers.js'

const T0 = Date.parse('2026-03-01T12:00:00Z')

function setup(opts: { readBackOnWrite?: boolean; trustEmptyMs?: number } = {}) {
  const clock = new ManualClock(T0)
  const timers = new FakeTimers(clock)
  const repo = new MemoryRepo()
  const driver = new FakeLockDriver()
  const lock = driver.add('lock-1', 250)
  const reads: (number[] | 'all')[] = []
  const readSlots = driver.readSlots.bind(driver)
  // The fake answers every slot; report only the asked ones, as a real driver does.
  driver.readSlots = async (nativeId: string, slots?: number[]) => {
    reads.push(slots ? [...slots] : 'all')
    const all = await readSlots(nativeId)
    return slots ? all.filter((r) => slots.includes(r.slot)) : all
  }
  if (opts.readBackOnWrite) {
    const write = driver.writeSlot.bind(driver)
    ;(driver as { writeSlot: LockDriver['writeSlot'] }).writeSlot = async (nativeId, slot, code, name): Promise<SlotReading> => {
      await write(nativeId, slot, code, name)
      return (await readSlots(nativeId)).find((r) => r.slot === slot)!
    }
  }
  const r = new Reconciler({ repo, route: () => ({ driver, nativeId: 'lock-1' }), clock, random: seededRandom('reads'), timers, concurrency: 2,
    ...(opts.trustEmptyMs !== undefined ? { trustEmptyMs: opts.trustEmptyMs } : {}),
  })
  const converge = async () => {
    r.poke('dev1')
    await r.idle()
  }
  return { repo, driver, lock, reads, r, converge, clock }
}

describe('reconciler reads', () => {
  it('reads every slot once, then owned slots, probed candidates and slots events named', async () => {
    const t = setup()
    t.repo.putCode('dev1', { accessCodeId: 'ac1', code: '1357' })
    await t.converge()
    expect(t.reads).toEqual(['all', [1]])
    expect(t.repo.codes.get('ac1')).toMatchObject({ status: 'set', slot: 1 })

    // A new code: the owned slot and one candidate, read empty just before it is used.
    t.reads.length = 0
    t.repo.putCode('dev1', { accessCodeId: 'ac2', code: '2468' })
    await t.converge()
    expect(t.reads).toEqual([[1, 2], [2]])
    expect(t.repo.codes.get('ac2')).toMatchObject({ status: 'set', slot: 2 })

    // Someone programs slot 3 at the keypad (no event): the next candidate probe finds it occupied and moves on.
    t.lock.set(3, '9999', 'Owner')
    t.reads.length = 0
    t.repo.putCode('dev1', { accessCodeId: 'ac3', code: '3579' })
    await t.converge()
    expect(t.reads).toEqual([[1, 2, 3], [4], [4]])
    expect(t.repo.codes.get('ac3')).toMatchObject({ status: 'set', slot: 4 })
    expect(t.repo.unmanaged('dev1')).toEqual([{ slot: 3, code: '9999', name: 'Owner' }])

    // An event naming slot 100: read it on the next pass; an unmanaged code appears there.
    t.lock.set(100, '4444', 'Cleaner')
    t.reads.length = 0
    t.r.onDeviceEvent('dev1', { type: 'slotChanged', nativeId: 'lock-1', slot: 100, code: '4444', source: 'keypad' })
    await t.r.idle()
    expect(t.reads).toEqual([[1, 2, 4, 100]])
    expect(t.repo.unmanaged('dev1').map((u) => u.slot)).toEqual([3, 100])
  })

  it('a write the driver read back itself is not read again', async () => {
    const t = setup({ readBackOnWrite: true })
    t.repo.putCode('dev1', { accessCodeId: 'ac1', code: '1357' })
    await t.converge()
    expect(t.reads).toEqual(['all'])
    expect(t.repo.codes.get('ac1')).toMatchObject({ status: 'set', slot: 1 })
  })

  describe('with trustEmptyMs', () => {
    const window = 10 * 60_000
    const started = async () => {
      const t = setup({ trustEmptyMs: window })
      t.repo.putCode('dev1', { accessCodeId: 'ac1', code: '1357' })
      await t.converge() // the first pass reads every slot: slots 2… are known empty from now on
      t.reads.length = 0
      return t
    }

    it('takes a slot read empty within the window without reading it again', async () => {
      const t = await started()
      t.repo.putCode('dev1', { accessCodeId: 'ac2', code: '2468' })
      await t.converge()
      expect(t.reads).toEqual([[1], [2]]) // the owned slot before, the written slot after; no probe of 2
      expect(t.repo.codes.get('ac2')).toMatchObject({ status: 'set', slot: 2 })
    })

    it('reads again once the reading is older than the window', async () => {
      const t = await started()
      t.lock.set(2, '9999', 'Owner') // programmed with no event, after the scan
      t.clock.advance(window + 1)
      t.repo.putCode('dev1', { accessCodeId: 'ac2', code: '2468' })
      await t.converge()
      expect(t.reads).toEqual([[1, 2], [3], [3]])
      expect(t.repo.codes.get('ac2')).toMatchObject({ status: 'set', slot: 3 })
      expect(t.lock.code(2)).toBe('9999')
    })

    for (const gap of ['offline', 'eventsMissed'] as const) {
      it(`reads again after the device's events had a gap (${gap})`, async () => {
        const t = await started()
        t.lock.set(2, '9999', 'Owner')
        t.r.onDeviceEvent('dev1', { type: gap, nativeId: 'lock-1' })
        if (gap === 'offline') t.r.onDeviceEvent('dev1', { type: 'online', nativeId: 'lock-1' })
        await t.r.idle()
        t.reads.length = 0
        t.repo.putCode('dev1', { accessCodeId: 'ac2', code: '2468' })
        await t.converge()
        expect(t.reads).toEqual([[1, 2], [3], [3]])
        expect(t.lock.code(2)).toBe('9999')
      })
    }

    it('reads a slot an event named, whatever its age', async () => {
      const t = await started()
      t.lock.set(2, '9999', 'Owner')
      t.r.onDeviceEvent('dev1', { type: 'slotChanged', nativeId: 'lock-1', slot: 2, code: undefined, source: 'keypad' })
      t.repo.putCode('dev1', { accessCodeId: 'ac2', code: '2468' })
      await t.converge()
      expect(t.lock.code(2)).toBe('9999')
      expect(t.repo.codes.get('ac2')).toMatchObject({ status: 'set', slot: 3 })
    })
  })

  describe('after a restart', () => {
    /** A second reconciler over the same repo and lock: what a restarted daemon runs. */
    const restart = (t: ReturnType<typeof setup>, fullScanMs?: number) =>
      new Reconciler({
        repo: t.repo, route: () => ({ driver: t.driver, nativeId: 'lock-1' }), clock: t.clock, random: seededRandom('again'),
        timers: new FakeTimers(t.clock), ...(fullScanMs !== undefined ? { fullScanMs } : {}),
      })

    it('starts from the last full read the store remembers: owned and unmanaged slots only, then candidates', async () => {
      const t = setup()
      t.lock.set(3, '9999', 'Owner')
      t.repo.putCode('dev1', { accessCodeId: 'ac1', code: '1357' })
      await t.converge()
      expect(t.reads[0]).toBe('all')
      await t.r.stop()
      t.clock.advance(3_600_000)
      t.lock.set(3, null) // the owner's code went while lockstep was down
      t.reads.length = 0
      const again = restart(t)
      t.repo.putCode('dev1', { accessCodeId: 'ac2', code: '2468' })
      again.poke('dev1')
      await again.idle()
      expect(t.reads).not.toContain('all')
      expect(t.reads[0]).toEqual([1, 2, 3]) // owned 1, unmanaged 3 (read again), candidate 2
      expect(t.repo.codes.get('ac2')).toMatchObject({ status: 'set', slot: 2 })
      expect(t.repo.unmanaged('dev1')).toEqual([])
    })

    it('reads every slot when the remembered full read is older than fullScanMs', async () => {
      const t = setup()
      t.repo.putCode('dev1', { accessCodeId: 'ac1', code: '1357' })
      await t.converge()
      await t.r.stop()
      t.clock.advance(25 * 3_600_000)
      t.reads.length = 0
      const again = restart(t)
      again.poke('dev1')
      await again.idle()
      expect(t.reads[0]).toBe('all')
    })
  })
})
