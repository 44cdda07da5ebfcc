// The lab factory the daemon calls: one simulated "Office" Nuki lock from config, driver not yet started.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { DeviceEvent } from '../../src/ports/device-events.js'
import { nukiLabLockSchema, startSimulatedNukiLab } from '../../simulators/nuki-lab.js'

describe('startSimulatedNukiLab', () => {
  it('starts the Office lock from its config entry; the driver pairs, writes and reads it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'nuki-lab-'))
    const lab = await startSimulatedNukiLab({
      locks: [{ name: 'Office', kind: 'nuki', slots: 100 }],
      dataDir: dir,
      driver: { commandTimeoutMs: 500, connectTimeoutMs: 500 },
    })
    try {
      const events: DeviceEvent[] = []
      const discovered = new Promise<void>((resolve) =>
        void lab.driver.start((e) => {
          events.push(e)
          if (e.type === 'discovered') resolve()
        }),
      )
      await discovered
      const id = lab.nativeIds.get('Office')!
      expect(id).toMatch(/^[0-9A-F]{8}$/)
      expect(events[0]).toMatchObject({ type: 'discovered', device: { nativeId: id, displayName: 'Office', deviceType: 'nuki_lock', manufacturer: 'Nuki' } })
      await lab.driver.writeSlot(id, 1, '246813', 'Front desk')
      const office = lab.locks.get('Office')!
      expect(office.slots().filter((s) => s.code)).toEqual([{ slot: 1, code: '246813' }])
      expect(office.enterCode('246813').granted).toBe(true)
      expect(lab.driver.constraints(id)).toMatchObject({ slotCount: 100, alphabet: '123456789' })
    } finally {
      await lab.stop()
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('validates lab config entries', () => {
    expect(nukiLabLockSchema.parse({ name: 'Office', kind: 'nuki' })).toEqual({ name: 'Office', kind: 'nuki', slots: 100, securityPin: 1234 })
    expect(() => nukiLabLockSchema.parse({ name: 'Office', kind: 'nuki', nukiId: 'xyz' })).toThrow()
  })
})
