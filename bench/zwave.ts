// Bench: access codes synced to a Z-Wave lock through the whole of lockstep (Seam API → store → reconciler →
// ZwaveJsDriver → zwave-js-server → the real zwave-js driver → zwave-js's mock lock), against a floor measured
// in the same run on the same server: a bare WebSocket client sending the same number of User Code Set + Get
// exchanges, one after the other, to a second, identical mock lock that lockstep is told to leave alone. The
// rounds alternate, so a busy machine weighs on both sides alike.
//
//   tsx bench/zwave.ts [--codes 30] [--rounds 3]
// The last line printed is `ratio=<measured ÷ floor>` (best round of each).
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import WebSocket from 'ws'
import { configSchema } from '../src/config.js'
import { startDaemon } from '../src/daemon.js'
import { createLogger } from '../src/log.js'
import { startZwaveLockLab } from '../simulators/zwave-lock/index.js'
import { ZwaveJsDriver } from '../adapters/zwave-js/index.js'

const { values: args } = parseArgs({
  args: process.argv.slice(2),
  options: { codes: { type: 'string', default: '30' }, rounds: { type: 'string', default: '3' } },
})
const codes = Number(args.codes)
const rounds = Number(args.rounds)
/** lockstep's lock, and the floor's identical lock next to it on the same server. */
const NODE = 5
const FLOOR_NODE = 6
const KEY = 'seam_bench_zwave_0123456789'
const pins = Array.from({ length: codes }, (_, i) => String(500_000 + i * 37))

/** A bare zwave-js-server client: the handshake, then one command at a time. */
async function bareClient(url: string) {
  const ws = new WebSocket(url, { perMessageDeflate: false })
  let next = 1
  const waiting = new Map<string, (m: { success: boolean; result?: unknown }) => void>()
  ws.on('message', (d) => {
    const m = JSON.parse(String(d))
    if (m.type === 'result') waiting.get(m.messageId)?.(m)
  })
  await new Promise((r) => ws.once('open', r))
  ;(ws as unknown as { _socket: { setNoDelay(v: boolean): void } })._socket.setNoDelay(true)
  const send = (command: string, body: Record<string, unknown> = {}) =>
    new Promise<{ success: boolean; result?: unknown }>((resolve) => {
      const id = String(next++)
      waiting.set(id, (m) => {
        waiting.delete(id)
        resolve(m)
      })
      ws.send(JSON.stringify({ ...body, messageId: id, command }))
    })
  await send('set_api_schema', { schemaVersion: 44 })
  const invoke = async (methodName: string, a: unknown[]) => {
    const r = await send('endpoint.invoke_cc_api', { nodeId: FLOOR_NODE, endpoint: 0, commandClass: 99, methodName, args: a })
    if (!r.success) throw new Error(`${methodName} failed: ${JSON.stringify(r)}`)
    return r.result
  }
  return { invoke, close: () => ws.close() }
}

async function main(): Promise<void> {
  const slots = Math.max(30, codes)
  const stack = await startZwaveLockLab({
    locks: [
      { name: 'Bench Lock', nodeId: NODE, slots },
      { name: 'Floor Lock', nodeId: FLOOR_NODE, slots },
    ],
  })
  await stack.ready
  const occupied = (name: string) => stack.locks.get(name)!.slots().filter((s) => s.code !== null).length

  const dataDir = await mkdtemp(join(tmpdir(), 'lockstep-zwave-bench-'))
  const config = configSchema.parse({
    data_dir: dataDir,
    api_key: KEY,
    http: { host: '127.0.0.1', port: 0 },
    mqtt: { host: '127.0.0.1', port: 0 },
    zwave_js: { url: stack.url },
    log_level: 'silent',
    locks: [{ name: 'Bench Lock', driver: 'zwave-js', native_id: String(NODE), manufacturer: 'Schlage', model: 'BE469', device_type: 'schlage_lock', slots, code_length: [4, 8] }],
  })
  // The driver config would build, told to leave the floor's lock alone (it still receives that lock's events).
  const driver = new ZwaveJsDriver({ url: stack.url, nodes: [NODE], devices: { [String(NODE)]: { slotCount: slots, minLength: 4, maxLength: 8 } } })
  const daemon = await startDaemon(config, { log: createLogger('silent'), print: () => {}, lockDrivers: [driver] })
  const device = daemon.store.devices.list()[0]!
  const api = async (path: string, body: Record<string, unknown>) => {
    const res = await fetch(`${daemon.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' }, body: JSON.stringify(body) })
    const json = (await res.json()) as Record<string, any>
    if (!res.ok) throw new Error(`${path}: ${res.status} ${JSON.stringify(json)}`)
    return json
  }
  const until = async (check: () => boolean, what: string, ms = 120_000) => {
    const deadline = Date.now() + ms
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
      await new Promise((r) => setTimeout(r, 5))
    }
  }
  // The lock is discovered and its first full read done before anything is timed.
  await until(() => daemon.store.devices.find(device.deviceId)!.online, 'the lock online')
  await daemon.reconciler.idle()

  const client = await bareClient(stack.url)
  const floorRound = async () => {
    const t0 = performance.now()
    for (let i = 0; i < codes; i++) {
      await client.invoke('set', [i + 1, 1, pins[i]!])
      await client.invoke('get', [i + 1])
    }
    const ms = performance.now() - t0
    if (occupied('Floor Lock') !== codes) throw new Error(`floor left ${occupied('Floor Lock')} of ${codes} codes`)
    for (let i = 0; i < codes; i++) await client.invoke('clear', [i + 1]) // untimed
    return ms
  }
  const lockstepRound = async () => {
    const t0 = performance.now()
    const ids: string[] = []
    for (let i = 0; i < codes; i++) ids.push((await api('/access_codes/create', { device_id: device.deviceId, code: pins[i], name: `Guest ${i}` })).access_code.access_code_id)
    await until(() => daemon.store.accessCodes.onDevice(device.deviceId).filter((c) => c.status === 'set').length === codes, 'all codes set')
    const ms = performance.now() - t0
    if (occupied('Bench Lock') !== codes) throw new Error(`lockstep left ${occupied('Bench Lock')} of ${codes} codes on the lock`)
    for (const id of ids) await api('/access_codes/delete', { access_code_id: id }) // untimed
    await until(() => occupied('Bench Lock') === 0 && daemon.store.accessCodes.onDevice(device.deviceId).length === 0, 'the lock cleared')
    return ms
  }

  // Warm-up (zwave-js, the mock, the JIT) on both sides, then alternating rounds.
  await floorRound()
  await lockstepRound()
  const floor: number[] = []
  const measured: number[] = []
  for (let r = 0; r < rounds; r++) {
    floor.push(await floorRound())
    measured.push(await lockstepRound())
  }
  client.close()
  await daemon.stop()
  await stack.stop()
  await rm(dataDir, { recursive: true, force: true })

  const best = (xs: number[]) => Math.min(...xs)
  const m = best(measured)
  const f = best(floor)
  process.stdout.write(`zwave: ${codes} codes synced through lockstep (API → reconciler → zwave-js-server → mock lock)\n`)
  process.stdout.write(`measured: ${m.toFixed(0)} ms (rounds: ${measured.map((x) => x.toFixed(0)).join(', ')})\n`)
  process.stdout.write(`floor:    ${f.toFixed(0)} ms for ${codes} User Code Set + Get exchanges by a bare WebSocket client (rounds: ${floor.map((x) => x.toFixed(0)).join(', ')})\n`)
  process.stdout.write(`ratio=${(m / f).toFixed(2)}\n`)
}

await main()
