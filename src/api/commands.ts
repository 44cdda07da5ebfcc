// Device actions the API starts and action attempts report. The daemon implements them over drivers.
import type { ActionAttempt } from '../store/action-attempts.js'

export interface LockCommands {
  /** Creates a pending LOCK_DOOR/UNLOCK_DOOR attempt at once and finishes it in the background. */
  lockAction(deviceId: string, action: 'lock' | 'unlock'): ActionAttempt
}
