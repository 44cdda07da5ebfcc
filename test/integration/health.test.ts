// /health tells an operator what is wrong, with a number to alert on: codes that cannot be placed (by error
// code), devices the circuit breaker keeps the reconciler away from, card encoders that do not answer.
import { afterEach, describe, expect, test } from 'vitest'
import { SeamHttp } from '@seamapi/http'
import { healthReport } from '../../src/app/health.js'
import { ManualClock } from '../../src/kernel/clock.js'
import { seededRandom } from '../../src/kernel/ids.js'
import { Store } from '../../src/store/store.js'
import type { DeviceEventSink } from '../../src/ports/device-events.js'
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js'
import { defaultConstraints, FakeLockDriver } from '../helpers/fake-lock-driver.js'
import { eventually } from '../helpers/eventually.js'

/** One small lock, announced at start. */
class OneLockRadio extends FakeLockDriver {
  override async start(sink: DeviceEventSink): Promise<void> {
    await super.start(sink)
    sink({
      type: 'discovered',
      device: { nativeId: 'door-1', driver: 'fake', displayName: 'Door 1', manufacturer: 'Acme', model: 'K1', deviceType: 'yale_lock', constraints: defaultConstraints(2), online: true },
    })
  }
}

let t: TestDaemon | undefined
afterEach(async () => {
  await t?.stop()
  t = undefined
})

describe('/health', () => {
  test('codes stuck without a free slot make it degraded, counted by error code', async () => {
    const radio = new OneLockRadio()
    radio.add('door-1', 2)
    t = await startTestDaemon({ mode: 'serve', daemon: { lockDrivers: [radio] } })
    const seam = SeamHttp.fromApiKey(t.apiKey, { endpoint: t.url })
    const health = async () => (await (await fetch(`${t!.url}/health`)).json()) as Record<string, unknown>
    expect(await health()).toMatchObject({ status: 'ok', degraded: [], access_codes_in_error: {} })

    const device = await seam.devices.get({ name: 'Door 1' })
    const codes: { access_code_id: string }[] = []
    for (const pin of ['1111', '2222', '3333', '4444']) codes.push(await seam.accessCodes.create({ device_id: device.device_id, code: pin }))
    await eventually(async () => {
      const errors = await Promise.all(codes.map(async (c) => (await seam.accessCodes.get({ access_code_id: c.access_code_id })).errors.length))
      expect(errors.filter((n) => n > 0)).toHaveLength(2)
    })
    const h = await health()
    expect(h.status).toBe('degraded')
    expect(h.access_codes_in_error).toEqual({ no_space_for_access_code_on_device: 2 })
    expect(h.degraded).toContain('2 access codes in error no_space_for_access_code_on_device')

    // Deleting the codes that cannot fit clears it.
    for (const c of codes) await seam.accessCodes.delete({ access_code_id: c.access_code_id })
    await eventually(async () => expect(await health()).toMatchObject({ status: 'ok', degraded: [], access_codes_in_error: {} }))
  })

  test('open breakers and offline encoders are reasons with a count', () => {
    const store = Store.open(':memory:', new ManualClock(Date.UTC(2026, 0, 1)), seededRandom('health'))
    try {
      const quiet = healthReport(store, { lab: false }, { trippedBreakers: () => [], offlineEncoders: () => [], webhookProblems: () => [] })
      expect(quiet).toMatchObject({ status: 'ok', degraded: [], devices_breaker_open: 0, encoders_offline: 0 })
      const bad = healthReport(store, { lab: false }, { trippedBreakers: () => ['a', 'b'], offlineEncoders: () => ['e'], webhookProblems: () => [] })
      expect(bad).toMatchObject({ status: 'degraded', devices_breaker_open: 2, encoders_offline: 1 })
      expect(bad.degraded).toEqual(['2 devices with the circuit breaker open', '1 card encoder offline'])
    } finally {
      store.close()
    }
  })

  test('a lab encoder whose link is down is counted offline', async () => {
    t = await startTestDaemon({ mode: 'lab' })
    const health = async () => (await (await fetch(`${t!.url}/health`)).json()) as Record<string, unknown>
    await eventually(async () => expect((await health()).encoders_offline).toBe(0))
    for (const d of t.daemon.encoderDrivers.values()) await d.stop()
    const h = await health()
    expect(h.encoders_offline).toBe(t.daemon.encoderDrivers.size)
    expect(h.degraded).toContain(`${t.daemon.encoderDrivers.size} card encoder${t.daemon.encoderDrivers.size === 1 ? '' : 's'} offline`)
  })
})
