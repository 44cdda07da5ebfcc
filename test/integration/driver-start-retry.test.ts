// A lock driver that cannot start (a Bluetooth adapter not plugged in yet, a radio still booting) is
// tried again with backoff; once it starts, its locks come online and codes flow. The API is up all along.
import { afterEach, describe, expect, test } from 'vitest'
import { SeamHttp } from '@seamapi/http'
import type { DeviceEventSink } from '../../src/ports/device-events.js'
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js'
import { defaultConstraints, FakeLockDriver } from '../helpers/fake-lock-driver.js'
import { eventually } from '../helpers/eventually.js'

/** Fails its first `failures` starts, as a radio that is not there yet. */
class LateRadio extends FakeLockDriver {
  starts = 0
  stops = 0
  constructor(private failures: number) {
    super()
  }
  override async start(sink: DeviceEventSink): Promise<void> {
    this.starts++
    if (this.starts <= this.failures) throw new Error('no adapter')
    await super.start(sink)
    sink({
      type: 'discovered',
      device: { nativeId: 'door-1', driver: 'fake', displayName: 'Door 1', manufacturer: 'Acme', model: 'K1', deviceType: 'yale_lock', constraints: defaultConstraints(6), online: true },
    })
  }
  override async stop(): Promise<void> {
    this.stops++
    await super.stop()
  }
}

let t: TestDaemon | undefined
afterEach(async () => {
  await t?.stop()
  t = undefined
})

describe('a lock driver that fails to start', () => {
  test('is retried with backoff until it starts; then its lock is driven', async () => {
    const radio = new LateRadio(2)
    const lock = radio.add('door-1', 6)
    t = await startTestDaemon({ daemon: { lockDrivers: [radio], driverRetryMs: 20 } })
    const seam = SeamHttp.fromApiKey(t.apiKey, { endpoint: t.url })
    expect((await fetch(`${t.url}/health`)).ok).toBe(true) // up while the radio is not
    await eventually(() => expect(radio.starts).toBe(3))
    expect(radio.stops).toBeGreaterThanOrEqual(2) // each retry begins from a stopped driver
    const device = await seam.devices.get({ name: 'Door 1' })
    expect(device.properties.online).toBe(true)
    const code = await seam.accessCodes.create({ device_id: device.device_id, code: '4826', name: 'Guest' })
    await eventually(async () => expect((await seam.accessCodes.get({ access_code_id: code.access_code_id })).status).toBe('set'))
    expect(lock.pins()).toContain('4826')
  })

  test('stopping the daemon ends the retries', async () => {
    // A control daemon on the same retry schedule shows how much retry time has passed: two control starts
    // after the stop, at an attempt count no lower than the stopped radio's, span one whole control interval,
    // which is at least as long as the stopped radio's next backoff step (the schedule doubles).
    const control = new LateRadio(Number.POSITIVE_INFINITY)
    const controlDaemon = await startTestDaemon({ daemon: { lockDrivers: [control], driverRetryMs: 20 } })
    try {
      const radio = new LateRadio(Number.POSITIVE_INFINITY)
      t = await startTestDaemon({ daemon: { lockDrivers: [radio], driverRetryMs: 20 } })
      await eventually(() => expect(radio.starts).toBeGreaterThanOrEqual(2))
      await t.stop()
      t = undefined
      const after = radio.starts
      const target = Math.max(control.starts, after) + 2
      await eventually(() => expect(control.starts).toBeGreaterThanOrEqual(target), 30_000)
      expect(radio.starts).toBe(after)
    } finally {
      await controlDaemon.stop()
    }
  }, 40_000)
})
