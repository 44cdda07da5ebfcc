// stop() while a sighting is being handled: the driver pairs (the lock was in pairing mode) and must
// then not announce the lock over a new connection after stop(), which left a connect deadline behind.
import { afterEach, expect, test } from 'vitest'
import { FakeBleMedium } from '../../simulators/ble-medium/medium.js'
import { eventually } from '../helpers/eventually.js'
import { startHarness, type Harness } from './nuki-harness.js'

let h: Harness | undefined
afterEach(async () => {
  await h?.close()
  h = undefined
})

test('a sighting in flight at stop() opens no connection after the pairing one', async () => {
  h = await startHarness({ medium: new FakeBleMedium({ latencyMs: 5 }), lock: { pairingMode: true } })
  const harness = h
  // The pairing connection is open: the sighting is in the middle of its work.
  await eventually(() => expect(harness.lock.radio.connections).toBe(1), 3_000)
  await harness.driver.stop()
  expect(harness.driver.knownLocks()).toEqual([expect.objectContaining({ paired: true })])
  expect(harness.lock.radio.connections).toBe(1)
  expect(harness.medium.isConnected(harness.lock.id)).toBe(false)
  expect(harness.events.some((e) => e.type === 'discovered')).toBe(false)
  // The driver counted the same single (pairing) connection the lock received.
  expect(harness.driver.radioStats('2A37599A').total).toEqual({ exchanges: 1, byKind: { pairing_connection: 1 } })
})
