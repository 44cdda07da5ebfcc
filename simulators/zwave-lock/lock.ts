// The person at the door and the owner at the keypad, acting on one zwave-js mock lock node. The node's own
// state (zwave-js's mock User Code and Door Lock behaviours keep it) is the lock's memory; what a real lock
// would announce, this sends to the controller as the lock would: Access Control notifications.
import { NotificationCCReport } from '@zwave-js/cc/NotificationCC'
import { UserCodeCCGet, UserCodeCCReport } from '@zwave-js/cc/UserCodeCC'
import { createMockZWaveRequestFrame, type MockController, type MockNode, type MockNodeBehavior } from '@zwave-js/testing'

const AVAILABLE = 0
const ENABLED = 1
const ACCESS_CONTROL = 6
const EVENT = { keypadLock: 5, keypadUnlock: 6, codeDeleted: 0x0d, codeAdded: 0x0e, invalidCode: 0x13 } as const
const key = { code: (slot: number) => `UserCode_userCode_${slot}`, status: (slot: number) => `UserCode_userIdStatus_${slot}` }
const CURRENT_MODE = 'DoorLock_currentMode'
/**
 * Kwikset 910-series firmware speaks the older Alarm (V1) dialect: alarm type + level (the slot) instead of an
 * Access Control event. Types as Kwikset documents them: 18/19 keypad lock/unlock, 33 code deleted, 112 code
 * added, 161 tamper (wrong codes).
 */
const LEGACY_ALARM: Record<number, number> = { 5: 18, 6: 19, 0x0d: 33, 0x0e: 112, 0x13: 161 }

/** A Schlage answers User Code Get with asterisks: occupancy shows, the digits do not. */
export const maskedGetBehavior: MockNodeBehavior = {
  handleCC(controller, self, cc) {
    if (!(cc instanceof UserCodeCCGet)) return undefined
    const status = (self.state.get(key.status(cc.userId)) as number | undefined) ?? AVAILABLE
    const code = self.state.get(key.code(cc.userId)) as string | undefined
    return {
      action: 'sendCC',
      cc: new UserCodeCCReport({
        nodeId: controller.ownNodeId,
        userId: cc.userId,
        userIdStatus: status,
        ...(status !== AVAILABLE && code ? { userCode: '*'.repeat(10) } : {}),
      }),
    }
  },
}

/** Out of range: nothing reaches the lock, nothing is acknowledged. */
const outOfRange: MockNodeBehavior = { handleCC: () => ({ action: 'stop' }) }

export class SimulatedZwaveLock {
  private online = true
  private received = 0

  constructor(
    readonly node: MockNode,
    private readonly controller: MockController,
    private readonly legacyAlarms = false,
  ) {
    // Defined last, so asked first: it sees every request that reaches the lock (none while out of range,
    // whose behaviour is defined later still), counts it and lets the lock's own behaviours answer.
    node.defineBehavior({
      handleCC: () => {
        this.received++
        return undefined
      },
    })
  }

  get nodeId(): number {
    return this.node.id
  }

  /** Requests the lock's radio received from the controller (what a battery lock pays for). */
  radioExchanges(): number {
    return this.received
  }

  /** The lock's own memory of a slot: null when empty. */
  code(slot: number): string | null {
    const status = this.node.state.get(key.status(slot)) as number | undefined
    const code = this.node.state.get(key.code(slot)) as string | undefined
    return status !== undefined && status !== AVAILABLE && code ? code : null
  }

  slotCount(): number {
    const caps = this.node.getCCCapabilities(0x63) as { numUsers?: number } | undefined
    return caps?.numUsers ?? 1
  }

  /** Every slot, empty ones included, as the lab's /lab/locks/slots shows them. */
  slots(): { slot: number; code: string | null }[] {
    return Array.from({ length: this.slotCount() }, (_, i) => ({ slot: i + 1, code: this.code(i + 1) }))
  }

  isLocked(): boolean {
    return (this.node.state.get(CURRENT_MODE) ?? 0xff) === 0xff
  }

  /**
   * The owner programs (or deletes, code null) a slot at the keypad. The lock stores it and announces the
   * change the way Z-Wave locks do: an Access Control "new user code added" / "single user code deleted"
   * naming the slot, without the digits. Refused like a real lock when the PIN is already in another slot.
   */
  async programCode(slot: number, code: string | null): Promise<{ accepted: boolean; reason?: string }> {
    if (!Number.isInteger(slot) || slot < 1 || slot > this.slotCount()) return { accepted: false, reason: `slot ${slot} does not exist` }
    if (code !== null) {
      const other = this.slots().find((s) => s.slot !== slot && s.code === code)
      if (other) return { accepted: false, reason: 'duplicate code' }
      this.node.state.set(key.status(slot), ENABLED)
      this.node.state.set(key.code(slot), code)
    } else {
      this.node.state.set(key.status(slot), AVAILABLE)
      this.node.state.delete(key.code(slot))
    }
    await this.notify(code === null ? EVENT.codeDeleted : EVENT.codeAdded, slot)
    return { accepted: true }
  }

  /** Someone types a code: a match unlocks and reports the slot; anything else is reported as an invalid code. */
  async enterCode(code: string): Promise<{ granted: boolean; reason: string; slot?: number }> {
    const match = this.slots().find((s) => s.code === code && this.node.state.get(key.status(s.slot)) === ENABLED)
    if (!match) {
      await this.notify(EVENT.invalidCode)
      return { granted: false, reason: 'unknown_code' }
    }
    this.node.state.set(CURRENT_MODE, 0x00)
    await this.notify(EVENT.keypadUnlock, match.slot)
    return { granted: true, reason: 'granted', slot: match.slot }
  }

  /**
   * Out of range: frames to the lock go unacknowledged (zwave-js then marks it dead). Back in range: the
   * lock's next frame to the controller (here its user-code report for slot 1, as a lock sends after a
   * wake) tells zwave-js it is alive again.
   */
  async setOnline(online: boolean): Promise<void> {
    if (online === this.online) return
    this.online = online
    if (!online) {
      this.node.autoAckControllerFrames = false
      this.node.defineBehavior(outOfRange)
      return
    }
    this.node.autoAckControllerFrames = true
    const behaviors = (this.node as unknown as { behaviors: MockNodeBehavior[] }).behaviors
    const i = behaviors.indexOf(outOfRange)
    if (i >= 0) behaviors.splice(i, 1)
    await this.send(new NotificationCCReport({ nodeId: this.controller.ownNodeId, notificationType: ACCESS_CONTROL, notificationEvent: 0 }))
  }

  isOnline(): boolean {
    return this.online
  }

  dispose(): void {
    this.node.autoAckControllerFrames = false
  }

  private async notify(event: number, slot?: number): Promise<void> {
    if (!this.online) return // a lock out of range announces nothing that arrives
    const alarmType = LEGACY_ALARM[event]
    if (this.legacyAlarms && alarmType !== undefined) {
      await this.send(new NotificationCCReport({ nodeId: this.controller.ownNodeId, alarmType, alarmLevel: slot ?? 1 }))
      return
    }
    await this.send(
      new NotificationCCReport({
        nodeId: this.controller.ownNodeId,
        notificationType: ACCESS_CONTROL,
        notificationEvent: event,
        ...(slot !== undefined ? { eventParameters: Uint8Array.from([slot]) } : {}),
      }),
    )
  }

  private async send(cc: NotificationCCReport | UserCodeCCReport): Promise<void> {
    await this.node.sendToController(createMockZWaveRequestFrame(cc, { ackRequested: false }))
  }
}
