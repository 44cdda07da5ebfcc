// /health's report: liveness is always ok; `status` says whether some part is degraded, and which. Every
// degraded reason carries a number, and the same numbers are fields of their own, so an operator can alert on them.
import type { Config } from '../config.js'
import { VERSION } from '../package-root.js'
import type { Store } from '../store/store.js'

/** What only the running daemon knows (the reconciler's breakers, the encoders' links). */
export interface HealthProbes {
  /** Devices whose circuit breaker is open or half-open. */
  trippedBreakers(): string[]
  /** Configured card encoders that are not answering. */
  offlineEncoders(): string[]
  /** Webhook endpoints failing or falling behind, each a reason with its number. */
  webhookProblems(): string[]
}

const noProbes: HealthProbes = { trippedBreakers: () => [], offlineEncoders: () => [], webhookProblems: () => [] }

export function healthReport(store: Store, config: Pick<Config, 'lab'>, probes: HealthProbes = noProbes): Record<string, unknown> {
  const degraded: string[] = []
  let storeOk = true
  let devices: { online: boolean }[] = []
  let queue = 0
  let codeErrors: Record<string, number> = {}
  try {
    devices = store.devices.list()
    queue = store.dirtyDevices.depth()
    codeErrors = store.accessCodes.errorCounts()
  } catch {
    storeOk = false
    degraded.push('store unreadable')
  }
  const offline = devices.filter((d) => !d.online).length
  if (offline > 0) degraded.push(`${offline} of ${devices.length} devices offline`)
  for (const [code, n] of Object.entries(codeErrors)) degraded.push(`${n} access code${n === 1 ? '' : 's'} in error ${code}`)
  const breakers = probes.trippedBreakers().length
  if (breakers > 0) degraded.push(`${breakers} device${breakers === 1 ? '' : 's'} with the circuit breaker open`)
  const encoders = probes.offlineEncoders().length
  if (encoders > 0) degraded.push(`${encoders} card encoder${encoders === 1 ? '' : 's'} offline`)
  try {
    degraded.push(...probes.webhookProblems())
  } catch {
    degraded.push('webhook delivery state unreadable')
  }
  return {
    status: degraded.length ? 'degraded' : 'ok',
    degraded,
    mode: config.lab ? 'lab' : 'site',
    version: VERSION,
    store: storeOk ? 'ok' : 'error',
    devices: { total: devices.length, online: devices.length - offline, offline },
    access_codes_in_error: codeErrors,
    devices_breaker_open: breakers,
    encoders_offline: encoders,
    work_queue_depth: queue,
  }
}
