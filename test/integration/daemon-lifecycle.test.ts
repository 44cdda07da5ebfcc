// A started-then-stopped lab daemon leaves nothing behind: no bus listener, no socket or server, no timer.
import { createServer, type AddressInfo } from 'node:net'
import { afterEach, expect, test } from 'vitest'
import type { Config } from '../../src/config.js'
import { startTestDaemon } from '../helpers/daemon.js'
import { eventually } from '../helpers/eventually.js'

/** Active handles by type (TCPServerWrap, TCPSocketWrap…). Unref'd timers are not among them: see timers(). */
function resources(): Record<string, number> {
  const out: Record<string, number> = {}
  for (const r of process.getActiveResourcesInfo()) out[r] = (out[r] ?? 0) + 1
  return out
}

/** Records every timer created until `restore()`, and which of them are still pending (not fired, not cleared). */
function timers() {
  const g = globalThis as any
  const original = { setTimeout: g.setTimeout, clearTimeout: g.clearTimeout, setInterval: g.setInterval, clearInterval: g.clearInterval }
  const pending = new Map<unknown, string>()
  g.setTimeout = (fn: (...a: unknown[]) => void, ms?: number, ...args: unknown[]) => {
    const t = original.setTimeout((...a: unknown[]) => {
      pending.delete(t)
      fn(...a)
    }, ms, ...args)
    pending.set(t, `setTimeout ${ms} ms\n${new Error().stack}`)
    return t
  }
  g.setInterval = (fn: (...a: unknown[]) => void, ms?: number, ...args: unknown[]) => {
    const t = original.setInterval(fn, ms, ...args)
    pending.set(t, `setInterval ${ms} ms\n${new Error().stack}`)
    return t
  }
  g.clearTimeout = (t: unknown) => (pending.delete(t), original.clearTimeout(t))
  g.clearInterval = (t: unknown) => (pending.delete(t), original.clearInterval(t))
  return { pending: () => [...pending.values()], restore: () => Object.assign(g, original) }
}

// The whole lab, its Nuki lock included: a sighting that began before stop() (pairing, then announcing
// the lock) opens no connection after it, so no connect deadline outlives the daemon.
let restore: (() => void) | undefined
afterEach(() => restore?.())

test('stop removes every bus listener, every timer and every socket the daemon made', async () => {
  const before = resources()
  const tracked = timers()
  restore = tracked.restore
  const t = await startTestDaemon({ mode: 'lab' })
  const { bus } = t.daemon
  // Running: the reconciler and metrics listen; timers tick; the API and the broker listen.
  expect(bus.listenerCount('device.dirty')).toBeGreaterThan(0)
  expect(bus.listenerCount('reconcile.lag')).toBeGreaterThan(0)
  expect(tracked.pending().some((p) => p.startsWith('setInterval'))).toBe(true)
  expect(resources().TCPServerWrap ?? 0).toBeGreaterThan(before.TCPServerWrap ?? 0)
  await t.stop()
  expect(bus.listenerCount()).toBe(0)
  // Sockets close a moment after their servers: wait for them, then nothing may be pending.
  await eventually(() => {
    const after = resources()
    for (const [type, n] of Object.entries(after)) expect({ type, n }).toEqual({ type, n: Math.min(n, before[type] ?? 0) })
    expect(tracked.pending()).toEqual([])
  }, 5_000)
})

test('a start that fails half-way (the HTTP port is taken) stops what had started', async () => {
  const taken = createServer()
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve))
  const port = (taken.address() as AddressInfo).port
  const before = resources()
  const tracked = timers()
  restore = tracked.restore
  await expect(startTestDaemon({ mode: 'lab', patch: (c: Config) => ({ ...c, http: { ...c.http, port } }) })).rejects.toThrow(/port \d+ on 127\.0\.0\.1 is already in use/)
  // The store, broker, simulators, drivers and timers that had started are gone again.
  await eventually(() => {
    const after = resources()
    for (const [type, n] of Object.entries(after)) expect({ type, n }).toEqual({ type, n: Math.min(n, before[type] ?? 0) })
    expect(tracked.pending()).toEqual([])
  }, 5_000)
  tracked.restore()
  await new Promise((resolve) => taken.close(resolve))
})
