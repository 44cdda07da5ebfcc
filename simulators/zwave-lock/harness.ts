// The Z-Wave side of the lab: the real zwave-js driver on zwave-js's own in-memory mock controller, a mock
// lock node per configured lock, and the real zwave-js-server on loopback. Nothing here is lockstep's: the
// peer an adapter talks to is the same software a site runs (reference/zwave-js.md, "A real stack in a test").
// Loaded only through a dynamic import: zwave-js is large and a site without Z-Wave never needs it.
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomBytes } from 'node:crypto'
import { NotificationCCGet, NotificationCCReport } from '@zwave-js/cc/NotificationCC'
import { CommandClasses } from '@zwave-js/core'
import { MockController, MockNode } from '@zwave-js/testing'
import { ZwavejsServer } from '@zwave-js/server'
import type { Driver } from 'zwave-js'
import { createAndStartDriverWithMockPort, createDefaultMockControllerBehaviors, createDefaultMockNodeBehaviors } from 'zwave-js/Testing'
import { SimulatedZwaveLock, maskedGetBehavior } from './lock.js'

export interface ZwaveLockSpec {
  /** The lab's name for the lock (config's native_id is the node id as a string). */
  name: string
  nodeId: number
  slots: number
  /** Z-Wave manufacturer/product ids; default: Schlage BE469 (0x003b / 0x6341 / 0x5044). */
  manufacturerId?: number
  productType?: number
  productId?: number
  /** Answer User Code Get with asterisks, as a Schlage does. */
  maskCodes?: boolean
  /** Announce keypad use and programming with V1 alarm type/level, as Kwikset 910-series firmware does. */
  legacyAlarms?: boolean
}

export interface ZwaveLockLabOptions {
  locks: ZwaveLockSpec[]
  /** zwave-js-server's port on 127.0.0.1; 0 or absent = a free one. */
  port?: number
}

export interface ZwaveLockLab {
  /** ws://127.0.0.1:<port> of zwave-js-server. */
  url: string
  port: number
  driver: Driver
  locks: Map<string, SimulatedZwaveLock>
  /** Resolves once every lock node is interviewed (ready). The server answers before that. */
  ready: Promise<void>
  /** Takes zwave-js-server down (clients are dropped); zwave-js and the locks keep running. */
  stopServer(): Promise<void>
  /** Brings zwave-js-server back on the same port. */
  startServer(): Promise<void>
  stop(): Promise<void>
}

const SCHLAGE_BE469 = { manufacturerId: 0x003b, productType: 0x6341, productId: 0x5044 }
const silent = { error() {}, warn() {}, info() {}, debug() {} }

export async function startZwaveLockLab(options: ZwaveLockLabOptions): Promise<ZwaveLockLab> {
  const cacheDir = await mkdtemp(join(tmpdir(), 'lockstep-zwave-'))
  const { driver, continueStartup, mockPort, serial } = await createAndStartDriverWithMockPort({
    testingHooks: { skipFirmwareIdentification: true },
    securityKeys: {
      S0_Legacy: randomBytes(16),
      S2_Unauthenticated: randomBytes(16),
      S2_Authenticated: randomBytes(16),
      S2_AccessControl: randomBytes(16),
    },
    storage: { cacheDir, lockDir: join(cacheDir, 'locks') },
    logConfig: { enabled: false },
    emitValueUpdateAfterSetValue: true,
    // A fresh cache would otherwise clear the lock's codes at the first interview (reference: traps).
    interview: { queryAllUserCodes: true },
    preferences: { scales: {}, lookupUserIdInNotificationEvents: false },
  })
  const controller = await MockController.create({ homeId: 0x4c6f636b, ownNodeId: 1, mockPort, serial })
  controller.defineBehavior(...createDefaultMockControllerBehaviors())

  const locks = new Map<string, SimulatedZwaveLock>()
  for (const spec of options.locks) {
    const ids = { ...SCHLAGE_BE469, ...pick(spec) }
    const node = await MockNode.create({
      id: spec.nodeId,
      controller,
      capabilities: {
        isListening: false,
        isFrequentListening: '1000ms',
        genericDeviceClass: 0x40,
        specificDeviceClass: 0x03,
        ...ids,
        commandClasses: [
          CommandClasses.Version,
          CommandClasses['Manufacturer Specific'],
          CommandClasses['Door Lock'],
          { ccId: CommandClasses['User Code'], version: 2, numUsers: spec.slots, supportedASCIIChars: '0123456789' },
          {
            ccId: CommandClasses.Notification,
            // Kwikset 910-series firmware has Alarm (Notification CC version 1) only.
            version: spec.legacyAlarms ? 1 : 8,
            supportsV1Alarm: spec.legacyAlarms === true,
            notificationTypesAndEvents: { 6: [1, 2, 3, 4, 5, 6, 0x0d, 0x0e, 0x13] },
          },
        ],
      },
    })
    node.defineBehavior(...createDefaultMockNodeBehaviors())
    // The stock mock leaves Notification Get unanswered, which costs ~10 s of interview per lock.
    node.defineBehavior({
      handleCC(ctrl: MockController, _self: MockNode, cc: unknown) {
        if (!(cc instanceof NotificationCCGet)) return undefined
        return {
          action: 'sendCC',
          cc: new NotificationCCReport({ nodeId: ctrl.ownNodeId, notificationType: cc.notificationType ?? 6, notificationEvent: 0 }),
        }
      },
    })
    if (spec.maskCodes) node.defineBehavior(maskedGetBehavior)
    controller.addNode(node)
    locks.set(spec.name, new SimulatedZwaveLock(node, controller, spec.legacyAlarms === true))
  }

  continueStartup()
  await new Promise<void>((resolve) => driver.once('driver ready', () => resolve()))
  const ready = Promise.all(
    options.locks.map((l) => {
      const node = driver.controller.nodes.get(l.nodeId)
      if (!node || node.ready) return undefined
      return new Promise<void>((resolve) => node.once('ready', () => resolve()))
    }),
  ).then(() => undefined)

  const port = options.port || (await freePort())
  let server: ZwavejsServer | null = null
  const startServer = async () => {
    if (server) return
    server = new ZwavejsServer(driver, { port, host: '127.0.0.1', logger: silent, enableDNSServiceDiscovery: false })
    await server.start(true)
  }
  const stopServer = async () => {
    const s = server
    server = null
    await s?.destroy()
  }
  await startServer()

  return {
    url: `ws://127.0.0.1:${port}`,
    port,
    driver,
    locks,
    ready,
    stopServer,
    startServer,
    async stop() {
      await stopServer()
      // zwave-js does not stop cleanly in the middle of an interview (its destroy() then waits on the mock
      // controller, which waits for ACKs): let the interview finish first. It takes seconds, once.
      await Promise.race([ready, new Promise((r) => setTimeout(r, 20_000).unref())])
      for (const lock of locks.values()) lock.dispose()
      await driver.destroy().catch(() => undefined)
      // Then the mock controller: it settles the acknowledgements it still waits for, which would
      // otherwise fail a second later with the driver gone (mid-interview when the lab stops early).
      controller.destroy()
      await rm(cacheDir, { recursive: true, force: true })
    },
  }
}

function pick(spec: ZwaveLockSpec) {
  const out: Partial<typeof SCHLAGE_BE469> = {}
  if (spec.manufacturerId !== undefined) out.manufacturerId = spec.manufacturerId
  if (spec.productType !== undefined) out.productType = spec.productType
  if (spec.productId !== undefined) out.productId = spec.productId
  return out
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number }
      s.close(() => resolve(port))
    })
  })
}
