// Codes late reaching or leaving their lock (an offline lock, a lock that keeps failing): the code gets
// Seam's delay warning and one event, once per request. The reconciler drops the warning when the code
// lands (its verdict replaces the code's warnings) and keeps it while the code still waits.
import { isoUtc } from '../kernel/clock.js'
import { delayCheck, type DelayWarningCode } from '../domain/code-delay.js'
import type { Store } from '../store/store.js'

const MESSAGES: Record<DelayWarningCode, string> = {
  delay_in_setting_on_device: 'The code has not reached its lock yet; lockstep keeps trying.',
  delay_in_removing_from_device: 'The code has not been removed from its lock yet; lockstep keeps trying.',
}

const EVENTS: Record<DelayWarningCode, string> = {
  delay_in_setting_on_device: 'access_code.delay_in_setting_on_device',
  delay_in_removing_from_device: 'access_code.delay_in_removing_from_device',
}

/**
 * One transaction: flags every code whose wait passed `thresholdMs`; returns when to look again (the next
 * wait to run out, or a start/end that will begin one), null = nothing pending. Writes nothing otherwise.
 */
export function flagDelayedCodes(store: Store, thresholdMs: number): number | null {
  return store.tx(() => {
    const now = store.ctx.clock.now()
    let next: number | null = null
    for (const { code: c, requestedAt } of store.accessCodes.delayCandidates()) {
      const { flag, lookAgainAt } = delayCheck(c, requestedAt, now, thresholdMs)
      if (lookAgainAt !== null && (next === null || lookAgainAt < next)) next = lookAgainAt
      if (!flag) continue
      const warning = { warning_code: flag, message: MESSAGES[flag], created_at: isoUtc(now) }
      store.accessCodes.addWarning(c.accessCodeId, warning)
      const device = store.devices.get(c.deviceId)
      store.accessCodes.codeEvent(EVENTS[flag], device, c.accessCodeId, {
        access_code_errors: c.errors, access_code_warnings: [...c.warnings, warning],
        device_errors: device.errors, device_warnings: device.warnings, connected_account_errors: [], connected_account_warnings: [],
      })
    }
    return next
  })
}
