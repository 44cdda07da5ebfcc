// Lab composition for Z-Wave: the real zwave-js driver + zwave-js-server on zwave-js's mock controller with
// one mock lock per configured zwave-js lock (simulators/zwave-lock), and lockstep's ZwaveJsDriver talking to
// that server over loopback WebSocket, as it would to a site's Home Assistant add-on. The stack loads only when
// config has a zwave-js lock, and starts in the background: the API does not wait for zwave-js's interview
// (~4–9 s); the lock shows offline until the driver has discovered it.
//
// config/lab.json entry: { "name": "Side Gate", "driver": "zwave-js", "native_id": "5", … } (native_id = node id)
import { createServer } from 'node:net'
import { ZwaveJsDriver } from '../../adapters/zwave-js/index.js'
import type { SimulatedZwaveLock, ZwaveLockLab } from '../../simulators/zwave-lock/index.js'
import type { Config } from '../config.js'
import { DomainError } from '../domain/errors.js'
import type { Clock } from '../kernel/clock.js'
import type { LockDriver } from '../ports/lock-driver.js'
import type { LabLock } from './control.js'

export interface ZwaveLab {
  /** Not started: the daemon calls driver.start(sink) with its other drivers. */
  driver: LockDriver
  /** The simulated lock behind a zwave-js native id (node id), if the lab runs it. */
  lock(nativeId: string): LabLock | undefined
  /** Resolves with the running stack (tests reach the mock nodes and the server through it). */
  stack: Promise<ZwaveLockLab>
  stop(): Promise<void>
}

export async function startZwaveLab(config: Config, clock: Clock, log?: (message: string) => void): Promise<ZwaveLab | null> {
  const locks = config.locks.filter((l) => l.driver === 'zwave-js')
  if (locks.length === 0) return null
  const port = await freePort()
  const stack = import('../../simulators/zwave-lock/index.js').then((m) =>
    m.startZwaveLockLab({
      port,
      locks: locks.map((l) => ({ name: l.name, nodeId: Number(l.native_id), slots: l.slots, maskCodes: !l.expose_pin })),
    }),
  )
  const warn = log ?? ((message: string) => process.stderr.write(`${message}\n`))
  stack.catch((err: Error) => warn(`Z-Wave lab stack failed to start: ${err.message}`))
  const driver = new ZwaveJsDriver({
    url: `ws://127.0.0.1:${port}`,
    devices: Object.fromEntries(locks.map((l) => [l.native_id, { slotCount: l.slots, minLength: l.code_length[0], maxLength: l.code_length[1] }])),
    clock,
    // The server comes up while the daemon is already serving: do not wait for it, look again often.
    connectTimeoutMs: 0,
    reconnectMs: 250,
    maxReconnectMs: 1000,
  })
  const byNative = new Map(locks.map((l) => [l.native_id, l.name]))
  const sim = async (nativeId: string): Promise<SimulatedZwaveLock> => (await stack).locks.get(byNative.get(nativeId)!)!
  // The stack once up, for the lab's synchronous reads (the radio count).
  let ready: Awaited<typeof stack> | undefined
  void stack.then((s) => (ready = s), () => undefined)
  return {
    driver,
    stack,
    lock(nativeId) {
      if (!byNative.has(nativeId)) return undefined
      return {
        enterCode: async (code) => {
          const r = await (await sim(nativeId)).enterCode(code)
          return { granted: r.granted, reason: r.reason }
        },
        programCode: async (slot, code) => {
          const r = await (await sim(nativeId)).programCode(slot, code)
          if (!r.accepted) throw new DomainError('lock_refused_code', `The lock refused the change: ${r.reason ?? 'refused'}`, 400)
        },
        slots: async () => (await sim(nativeId)).slots(),
        radioExchanges: () => ready?.locks.get(byNative.get(nativeId)!)?.radioExchanges() ?? 0,
        linkOpen: () => false,
        setOnline: async (online) => {
          await (await sim(nativeId)).setOnline(online)
          // zwave-js notices a lock gone only when it next sends to it. On a site that is Home Assistant's poll or
          // lockstep's next write; the lab pings at once so the lock shows offline as the Zigbee lab's do.
          if (!online) void (await stack).driver.controller.nodes.get(Number(nativeId))?.ping().catch(() => false)
        },
      }
    },
    async stop() {
      await stack.then((s) => s.stop()).catch(() => undefined)
    },
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number }
      s.close(() => resolve(port))
    })
  })
}
