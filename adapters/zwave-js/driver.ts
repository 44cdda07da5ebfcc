// Z-Wave JS (zwave-js-server's WebSocket API) ↔ LockDriver. Locks are the nodes with User Code (99) and
// Door Lock (98); a lock's native id is its node id. Writes go through the User Code CC API with one slot
// each (never clear() without a slot: that wipes the lock) and are read back from the lock with a Get.
// Reads come from what the lock itself reported while lockstep was listening; a slot it has not reported
// since the session began, or not for reportMaxAgeMs, or that a keypad notification names, is asked for with
// a Get. Nothing polls:
// events drive it, and a lost session is a gap the reconciler fills by reading what it needs.
import { systemClock, type Clock } from '../../src/kernel/clock.js'
import { SerialQueue } from '../../src/kernel/serial-queue.js'
import type { DeviceEvent, DeviceEventSink } from '../../src/ports/device-events.js'
import type { CodeConstraints, DriftCapability, LockDriver, RadioStats, SlotReading } from '../../src/ports/lock-driver.js'
import { RadioTally } from '../../src/ports/radio-tally.js'
import { RejectedByDeviceError, TransientDeviceError, UnsupportedByDeviceError } from '../../src/ports/errors.js'
import { ServerCommandError, ServerConnection } from './connection.js'
import { LockNode, type SlotState } from './lock-node.js'
import { CC, USER_ID_STATUS, accessControl, isRecord, kwiksetAlarm, lockedFromMode, slotReading, type AccessControl } from './values.js'

export interface ZwaveJsDriverOptions {
  /** zwave-js-server, e.g. ws://127.0.0.1:3000 (the Home Assistant add-on and Z-Wave JS UI serve it on 3000). */
  url: string
  /** Manage only these node ids; the network's other locks are left alone. Default: every lock node. */
  nodes?: number[]
  /** Per node id (as a string): what config says about a lock, winning over the model table. */
  devices?: Record<string, { slotCount?: number; minLength?: number; maxLength?: number }>
  /** A command (a set, a get) without an answer after this long is transient. FLiRS locks wake in ~1 s. */
  commandTimeoutMs?: number
  /**
   * How long what a lock reported stands in for a read (default 12 h). Events keep it fresh in between; the
   * age bound makes the reconciler's daily full read, and owned-slot checks twice a day, reach the lock.
   */
  reportMaxAgeMs?: number
  /** How long a lock/unlock waits for the lock to report the new mode before asking it. */
  lockReportWaitMs?: number
  /** start() waits this long for the server, then returns and keeps trying. */
  connectTimeoutMs?: number
  reconnectMs?: number
  maxReconnectMs?: number
  clock?: Clock
  log?: (level: 'debug' | 'warn', message: string) => void
}

/** A Door Lock mode report followed closely by the Access Control notification that explains it. */
const MODE_SETTLE_MS = 300

export class ZwaveJsDriver implements LockDriver {
  readonly kind = 'zwave-js'
  private readonly nodes = new Map<string, LockNode>()
  private readonly conn: ServerConnection
  private readonly clock: Clock
  private readonly radio: RadioTally
  private sink: DeviceEventSink = () => {}

  constructor(private readonly options: ZwaveJsDriverOptions) {
    this.clock = options.clock ?? systemClock
    this.radio = new RadioTally(this.clock)
    this.conn = new ServerConnection({
      url: options.url,
      commandTimeoutMs: options.commandTimeoutMs ?? 30_000,
      reconnectMs: options.reconnectMs ?? 500,
      maxReconnectMs: options.maxReconnectMs ?? 30_000,
      onListening: (state) => this.onListening(state),
      onEvent: (event) => this.onEvent(event),
      onDown: () => {
        // Everything the locks said while the session was down is lost: every slot needs the lock's word again.
        for (const node of this.nodes.values()) {
          node.forgetProof()
          node.failWaiters()
          this.emit({ type: 'eventsMissed', nativeId: node.nativeId })
        }
      },
      log: (level, message) => options.log?.(level, message),
    })
  }

  async start(sink: DeviceEventSink): Promise<void> {
    this.sink = sink
    await this.conn.start(this.options.connectTimeoutMs ?? 5000)
  }

  async stop(): Promise<void> {
    this.sink = () => {}
    for (const node of this.nodes.values()) node.dispose()
    await this.conn.stop()
  }

  isConnected(): boolean {
    return this.conn.isListening()
  }

  deviceIds(): string[] {
    return [...this.nodes.keys()]
  }

  constraints(nativeId: string): CodeConstraints {
    return this.node(nativeId).constraints
  }

  async readSlots(nativeId: string, slots?: number[]): Promise<SlotReading[]> {
    const node = this.node(nativeId)
    const c = node.constraints
    const wanted = slots ?? Array.from({ length: c.slotCount }, (_, i) => c.firstSlot + i)
    for (const s of wanted) this.checkSlot(node, s)
    this.checkOnline(node)
    return node.queue.run(async () => {
      const out: SlotReading[] = []
      const maxAge = this.options.reportMaxAgeMs ?? 12 * 3_600_000
      for (const slot of wanted) {
        out.push(node.provenReading(slot, this.clock.now(), maxAge) ?? (await node.during(slot, () => this.getSlot(node, slot))))
      }
      return out
    })
  }

  async writeSlot(nativeId: string, slot: number, code: string, _name: string): Promise<SlotReading> {
    const node = this.node(nativeId)
    this.checkSlot(node, slot)
    const c = node.constraints
    if (!/^[0-9]+$/.test(code) || code.length < c.minLength || code.length > c.maxLength) {
      throw new RejectedByDeviceError('bad_format', `code must be ${c.minLength === c.maxLength ? c.minLength : `${c.minLength}–${c.maxLength}`} digits`)
    }
    this.checkOnline(node)
    return node.queue.run(() =>
      node.during(slot, async () => {
        await this.invoke(node, CC.userCode, 'set', [slot, USER_ID_STATUS.enabled, code])
        const got = await this.getSlot(node, slot)
        if (got.state === 'occupied' && (got.code === code || got.code === null)) return got
        const duplicateOf = node.slotHolding(code, slot)
        throw duplicateOf !== undefined
          ? new RejectedByDeviceError('duplicate_code', `lock kept slot ${slot} unchanged; slot ${duplicateOf} holds the same code`)
          : new RejectedByDeviceError('other', `lock kept slot ${slot} unchanged (duplicate or rejected code)`)
      }),
    )
  }

  async clearSlot(nativeId: string, slot: number): Promise<SlotReading> {
    const node = this.node(nativeId)
    this.checkSlot(node, slot)
    this.checkOnline(node)
    return node.queue.run(() =>
      node.during(slot, async () => {
        // Always with the slot: clear() or clear(0) deletes every code on the lock.
        await this.invoke(node, CC.userCode, 'clear', [slot])
        const got = await this.getSlot(node, slot)
        if (got.state === 'empty') return got
        throw new RejectedByDeviceError('other', `lock kept slot ${slot} after a clear`)
      }),
    )
  }

  async lockAction(nativeId: string, action: 'lock' | 'unlock'): Promise<void> {
    const node = this.node(nativeId)
    this.checkOnline(node)
    const want = action === 'lock'
    await node.queue.run(async () => {
      node.lockActionInFlight = true
      try {
        // A node that dies meanwhile ends the wait; the Get below then fails the action as transient.
        const reported = node.waitForLocked(want, this.options.lockReportWaitMs ?? 5000).catch(() => false)
        this.radio.count(node.nativeId, 'lock_action')
        const result = await this.command<{ result?: { status?: number } }>('node.set_value', {
          nodeId: node.nodeId,
          valueId: { commandClass: CC.doorLock, endpoint: 0, property: 'targetMode' },
          value: want ? 0xff : 0x00,
        })
        // Supervision: 2 = fail; 0xfe/0xff = success (unconfirmed/confirmed); 1 = working (a report follows).
        if (result.result?.status === 2) throw new TransientDeviceError(`${nativeId} refused to ${action}`)
        if (await reported) return
        // No report in time (a quiet lock): ask it once rather than guess.
        const res = await this.invoke(node, CC.doorLock, 'get', [])
        const locked = lockedFromMode(isRecord(res) ? res.currentMode : undefined)
        if (locked !== want) throw new TransientDeviceError(`${nativeId} did not ${action}`)
        this.noteLocked(node, want, 'remote')
      } finally {
        node.lockActionInFlight = false
      }
    })
  }

  /** Z-Wave locks announce codes changed at the keypad (User Code reports, Access Control notifications). */
  driftCapability(_nativeId: string): DriftCapability {
    return { reportsCodeChanges: true, readsAllAtOnce: false }
  }

  /** Commands sent to the lock through zwave-js (each one is a frame the lock wakes for). */
  radioStats(nativeId: string): RadioStats {
    return this.radio.stats(nativeId)
  }

  // --- requests -----------------------------------------------------------------------------------

  /** User Code Get: the lock's own answer for one slot. */
  private async getSlot(node: LockNode, slot: number): Promise<SlotReading> {
    const res = await this.invoke(node, CC.userCode, 'get', [slot])
    if (!isRecord(res)) throw new TransientDeviceError(`slot ${slot} of node ${node.nodeId} did not answer`)
    const value = { status: numberOr(res.userIdStatus), code: typeof res.userCode === 'string' ? res.userCode : '' }
    node.setSlot(slot, value, this.clock.now())
    return slotReading(slot, value) ?? { slot, state: 'unreadable', reason: 'the lock answered without a status' }
  }

  private async invoke(node: LockNode, commandClass: number, methodName: string, args: unknown[]): Promise<unknown> {
    this.radio.count(node.nativeId, methodName)
    const res = await this.command<{ response?: unknown }>('endpoint.invoke_cc_api', { nodeId: node.nodeId, endpoint: 0, commandClass, methodName, args })
    return res.response
  }

  private async command<T>(command: string, args: Record<string, unknown>): Promise<T> {
    try {
      return await this.conn.command<T>(command, args)
    } catch (err) {
      if (!(err instanceof ServerCommandError)) throw err
      // zwave-js's own checks (ZW0322 argument invalid; ZW03xx the lock lacks the command class): retrying will not help.
      if (err.zwaveErrorCode === 322) throw new RejectedByDeviceError('bad_format', err.message)
      if (err.zwaveErrorCode === 302) throw new UnsupportedByDeviceError(err.message)
      // Radio trouble (ZW0204 no ACK, ZW0201 timeout…), an unknown node, a busy driver: transient.
      throw new TransientDeviceError(err.message)
    }
  }

  private node(nativeId: string): LockNode {
    const node = this.nodes.get(nativeId)
    if (!node) throw new TransientDeviceError(`Z-Wave node ${nativeId} is not known to zwave-js-server (yet)`)
    return node
  }

  private checkSlot(node: LockNode, slot: number): void {
    const c = node.constraints
    if (!Number.isInteger(slot) || slot < c.firstSlot || slot >= c.firstSlot + c.slotCount) {
      throw new RejectedByDeviceError('bad_format', `slot ${slot} is outside ${c.firstSlot}…${c.firstSlot + c.slotCount - 1}`)
    }
  }

  private checkOnline(node: LockNode): void {
    if (!this.conn.isListening()) throw new TransientDeviceError('zwave-js-server not connected')
    if (!node.online) throw new TransientDeviceError(`Z-Wave node ${node.nodeId} is dead (out of range or out of battery)`)
  }

  // --- incoming -----------------------------------------------------------------------------------

  private async onListening(state: Record<string, unknown>): Promise<void> {
    const nodes = Array.isArray(state.nodes) ? state.nodes.filter(isRecord) : []
    for (const dump of nodes) await this.onNodeState(dump)
  }

  /** A node's full state (start_listening, or its `ready` event): a lock is (re)discovered from it. */
  private async onNodeState(dump: Record<string, unknown>): Promise<void> {
    const nodeId = numberOr(dump.nodeId)
    if (nodeId === undefined || dump.ready !== true) return
    if (this.options.nodes && !this.options.nodes.includes(nodeId)) return
    const values = Array.isArray(dump.values) ? dump.values.filter(isRecord) : []
    if (!values.some((v) => v.commandClass === CC.userCode) || !values.some((v) => v.commandClass === CC.doorLock)) return
    const nativeId = String(nodeId)
    const supported = await this.command<{ value?: unknown }>('node.get_value', {
      nodeId,
      valueId: { commandClass: CC.userCode, endpoint: 0, property: 'supportedUsers' },
    }).then((r) => numberOr(r.value), () => undefined)
    const known = this.nodes.get(nativeId)
    const node = known ?? new LockNode(nodeId, nativeId)
    node.load(dump, values, supported, this.options.devices?.[nativeId])
    if (!known) this.nodes.set(nativeId, node)
    if (node.constraints.slotCount < 1) {
      this.options.log?.('warn', `Z-Wave node ${nodeId}: no user slots reported, not managed`)
      return
    }
    this.emit({ type: 'discovered', device: node.describe(this.kind) })
  }

  private onEvent(event: Record<string, unknown>): void {
    if (event.source === 'controller' && event.event === 'node removed' && isRecord(event.node)) {
      const node = this.nodes.get(String(event.node.nodeId))
      if (node?.online) this.emit({ type: 'offline', nativeId: node.nativeId })
      if (node) this.nodes.delete(node.nativeId)
      return
    }
    if (event.source !== 'node') return
    if (event.event === 'ready' && isRecord(event.nodeState)) return void this.onNodeState(event.nodeState)
    const node = this.nodes.get(String(event.nodeId))
    if (!node) return
    switch (event.event) {
      case 'dead':
      case 'alive': {
        const online = event.event === 'alive'
        if (node.online === online) return
        node.online = online
        if (!online) node.failWaiters()
        this.emit({ type: online ? 'online' : 'offline', nativeId: node.nativeId })
        return
      }
      case 'value added':
      case 'value updated':
      case 'value removed':
        if (isRecord(event.args)) this.onValue(node, event.args, event.event === 'value removed')
        return
      case 'notification':
        if (event.ccId === CC.notification && isRecord(event.args) && event.args.type === 6) this.onAccessControl(node, event.args)
        return
    }
  }

  private onValue(node: LockNode, args: Record<string, unknown>, removed: boolean): void {
    const value = removed ? undefined : args.newValue
    if (args.commandClass === CC.userCode && (args.property === 'userCode' || args.property === 'userIdStatus')) {
      const slot = numberOr(args.propertyKey)
      if (slot === undefined) return
      const before = node.reading(slot)
      const change: SlotState = args.property === 'userCode' ? { code: typeof value === 'string' ? value : '' } : { status: numberOr(value) }
      node.setSlot(slot, change, removed ? null : this.clock.now())
      const after = node.reading(slot)
      if (node.isOwnRequest(slot) || after === undefined || sameReading(before, after)) return
      this.emit({
        type: 'slotChanged',
        nativeId: node.nativeId,
        slot,
        code: after.state === 'empty' ? null : after.state === 'occupied' && after.code !== null ? after.code : undefined,
        source: 'unknown',
      })
      return
    }
    if (args.commandClass === CC.doorLock && args.property === 'currentMode') {
      const locked = lockedFromMode(value)
      if (locked === undefined) return
      node.resolveWaiters(locked)
      if (node.lockActionInFlight) return this.noteLocked(node, locked, 'remote')
      // The Access Control notification that says who did it usually follows at once: give it the say.
      node.deferMode(MODE_SETTLE_MS, () => this.noteLocked(node, locked, 'unknown'))
      return
    }
    if (args.commandClass === CC.notification && node.facts.legacyAlarms && (args.property === 'alarmType' || args.property === 'alarmLevel')) {
      // One V1 alarm report arrives as two value events, type first; the level closes it (even when unchanged).
      if (args.property === 'alarmType') node.lastAlarmType = numberOr(value)
      else if (node.lastAlarmType !== undefined && typeof value === 'number') {
        const ac = kwiksetAlarm(node.lastAlarmType, value)
        node.lastAlarmType = undefined
        if (ac) this.onAccess(node, ac)
      }
      return
    }
    if (args.commandClass === 128 && args.property === 'level' && typeof value === 'number') {
      this.emit({ type: 'battery', nativeId: node.nativeId, level: Math.max(0, Math.min(1, value / 100)) })
      return
    }
    if (args.commandClass === CC.configuration && args.property === node.pinLengthParameter() && typeof value === 'number') {
      if (node.setPinLength(value)) this.emit({ type: 'discovered', device: node.describe(this.kind) })
    }
  }

  private onAccessControl(node: LockNode, args: Record<string, unknown>): void {
    const ac = accessControl(numberOr(args.event) ?? -1, args.parameters)
    if (ac) this.onAccess(node, ac)
  }

  private onAccess(node: LockNode, ac: AccessControl): void {
    const id = node.nativeId
    switch (ac.kind) {
      case 'operation':
        node.cancelDeferredMode()
        if (ac.method === 'keycode') this.emit({ type: 'keypadUsed', nativeId: id, granted: true, ...(ac.slot !== undefined ? { slot: ac.slot } : {}) })
        this.noteLocked(node, ac.locked, ac.method, ac.slot)
        return
      case 'denied':
        this.emit({ type: 'keypadUsed', nativeId: id, granted: false, ...(ac.slot !== undefined ? { slot: ac.slot } : {}) })
        return
      case 'programmed':
        // During our own write the Get that follows answers it. Later, it may be the lock's late echo of
        // our write or someone at the keypad: the digits are not in the notification, so one Get decides.
        if (node.isOwnRequest(ac.slot)) return
        node.forgetProof(ac.slot)
        this.emit({ type: 'slotChanged', nativeId: id, slot: ac.slot, code: ac.deleted ? null : undefined, source: 'keypad' })
        return
      case 'allCodesDeleted':
        node.forgetProof()
        for (let s = node.constraints.firstSlot; s < node.constraints.firstSlot + node.constraints.slotCount; s++) {
          this.emit({ type: 'slotChanged', nativeId: id, slot: s, code: null, source: 'keypad' })
        }
        return
    }
  }

  private noteLocked(node: LockNode, locked: boolean, method: 'keycode' | 'manual' | 'automatic' | 'remote' | 'unknown', slot?: number): void {
    const changed = node.locked !== locked
    node.locked = locked
    // A mode report repeating what is known is a re-read, not an operation; a notification is always one.
    if (!changed && method === 'unknown') return
    this.emit({ type: 'lockStateChanged', nativeId: node.nativeId, locked, method, ...(slot !== undefined ? { slot } : {}) })
  }

  private emit(event: DeviceEvent): void {
    try {
      this.sink(event)
    } catch (err) {
      this.options.log?.('warn', `event sink threw: ${(err as Error).message}`)
    }
  }
}

function numberOr(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined
}

function sameReading(a: SlotReading | undefined, b: SlotReading): boolean {
  if (!a || a.state !== b.state) return false
  return a.state !== 'occupied' || b.state !== 'occupied' || a.code === b.code
}
