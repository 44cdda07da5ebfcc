// Lock and unlock: an action attempt is created pending at once and finished when the driver answers
// (or after a bounded wait).
import type { Logger } from '../log.js'
import type { LockDriver } from '../ports/lock-driver.js'
import type { ActionAttempt } from '../store/action-attempts.js'
import type { Store } from '../store/store.js'

export const LOCK_ACTION_TIMEOUT_MS = 30_000

export class LockActionsApp {
  constructor(
    private readonly store: Store,
    /** The running driver of a kind, if any. */
    private readonly driverOf: (kind: string) => LockDriver | undefined,
    private readonly log: Logger,
    private readonly timeoutMs = LOCK_ACTION_TIMEOUT_MS,
  ) {}

  /** Creates a pending LOCK_DOOR/UNLOCK_DOOR attempt at once and finishes it in the background. */
  lockAction(deviceId: string, action: 'lock' | 'unlock'): ActionAttempt {
    const store = this.store
    const device = store.devices.get(deviceId)
    const attempt = store.tx(() => store.actionAttempts.create(action === 'lock' ? 'LOCK_DOOR' : 'UNLOCK_DOOR', deviceId))
    const id = attempt.actionAttemptId
    const driver = this.driverOf(device.driver)
    const finish = (outcome: Parameters<typeof store.actionAttempts.finish>[1]) =>
      store.tx(() => {
        if (!store.actionAttempts.finish(id, outcome)) return
        store.events.append({
          event_type: `action_attempt.${action}_door.${'result' in outcome ? 'succeeded' : 'failed'}`,
          device_id: deviceId,
          action_attempt_id: id,
          action_type: attempt.actionType,
          status: 'result' in outcome ? 'success' : 'error',
        })
      })
    if (!driver) {
      finish({ error: { type: 'device_not_supported', message: `No ${device.driver} driver is running for this device` } })
    } else {
      const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timed out')), this.timeoutMs).unref())
      Promise.race([driver.lockAction(device.nativeId, action), timeout]).then(
        () => finish({ result: { was_confirmed_by_device: true } }),
        (err: Error) => {
          this.log.warn({ device_id: deviceId, action, err: err.message }, 'lock action failed')
          finish({ error: { type: err.message === 'timed out' ? 'action_attempt_expired' : 'failed_to_' + action, message: err.message } })
        },
      )
    }
    return store.actionAttempts.get(id)
  }

  /** Attempts pending longer than maxAgeMs fail as expired. */
  expire(maxAgeMs: number): void {
    this.store.tx(() => this.store.actionAttempts.expire(maxAgeMs))
  }
}
