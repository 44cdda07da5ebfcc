// The raw floor for the convergence benchmark: N set+get round trips against the Zigbee2MQTT
// simulator with a bare mqtt client (no driver, no reconciler), `concurrency` in flight. Whatever
// the full stack costs is measured against this number from the same run.
import type { Socket } from 'node:net'
import mqtt from 'mqtt'

export interface FloorOptions {
  brokerUrl: string
  /** Simulated locks to spread the round trips over; their expose_pin must be on. */
  deviceNames: string[]
  roundTrips: number
  concurrency: number
  baseTopic?: string
  /** Per round trip; a lost answer fails the measurement instead of hanging it. */
  timeoutMs?: number
  /** Untimed round trips first, so JIT warm-up is not counted (default 100). */
  warmupRoundTrips?: number
}

/** Returns the wall time in ms for all round trips. */
export async function measureConvergenceFloor(options: FloorOptions): Promise<number> {
  const base = options.baseTopic ?? 'zigbee2mqtt'
  const timeoutMs = options.timeoutMs ?? 5000
  const client = await mqtt.connectAsync(options.brokerUrl, { protocolVersion: 4, reconnectPeriod: 0, clientId: `floor-${process.pid}-${Date.now()}` })
  ;(client.stream as unknown as Partial<Socket>).setNoDelay?.(true)
  const pending = new Map<string, Map<number, { code: string; done: () => void }>>()
  client.on('message', (topic, payload) => {
    const waiting = pending.get(topic)
    if (!waiting?.size) return
    const users = (JSON.parse(payload.toString()) as { users?: Record<string, { pin_code?: unknown }> }).users ?? {}
    for (const [slot, w] of waiting) if (users[String(slot)]?.pin_code === w.code) w.done()
  })
  await client.subscribeAsync(options.deviceNames.map((d) => `${base}/${d}`), { qos: 0 })

  let next = 0
  let total = 0
  const roundTrip = (device: string, slot: number, code: string) =>
    new Promise<void>((resolve, reject) => {
      const topic = `${base}/${device}`
      const waiting = pending.get(topic) ?? new Map()
      pending.set(topic, waiting)
      const timer = setTimeout(() => reject(new Error(`no read-back for ${device} slot ${slot} in ${timeoutMs} ms`)), timeoutMs)
      waiting.set(slot, {
        code,
        done: () => {
          clearTimeout(timer)
          waiting.delete(slot)
          resolve()
        },
      })
      client.publish(`${topic}/set`, JSON.stringify({ pin_code: { user: slot, pin_code: code } }))
      client.publish(`${topic}/get`, JSON.stringify({ pin_code: { user: slot } }))
    })
  const worker = async (w: number) => {
    const device = options.deviceNames[w % options.deviceNames.length]!
    // Each worker owns one slot, so concurrent round trips never wait on each other's answers.
    const slot = 1 + Math.floor(w / options.deviceNames.length)
    while (next < total) {
      const i = next++
      await roundTrip(device, slot, String(100000 + ((i * 7919 + w) % 900000)))
    }
  }

  const run = async (count: number) => {
    next = 0
    total = count
    await Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, (_, w) => worker(w)))
  }
  try {
    await run(options.warmupRoundTrips ?? 100)
    const started = performance.now()
    await run(options.roundTrips)
    return performance.now() - started
  } finally {
    await client.endAsync(true)
  }
}
