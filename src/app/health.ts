// /health's report: liveness is always ok; `status` says whether some part is degraded, and which.
import type { Config } from '../config.js'
import { VERSION } from '../package-root.js'
import type { Store } from '../store/store.js'

export function healthReport(store: Store, config: Pick<Config, 'lab'>): Record<string, unknown> {
  const degraded: string[] = []
  let storeOk = true
  let devices: { online: boolean }[] = []
  let queue = 0
  try {
    devices = store.devices.list()
    queue = store.dirtyDevices.depth()
  } catch {
    storeOk = false
    degraded.push('store unreadable')
  }
  const offline = devices.filter((d) => !d.online).length
  if (offline > 0) degraded.push(`${offline} of ${devices.length} devices offline`)
  return {
    status: degraded.length ? 'degraded' : 'ok',
    degraded,
    mode: config.lab ? 'lab' : 'site',
    version: VERSION,
    store: storeOk ? 'ok' : 'error',
    devices: { total: devices.length, online: devices.length - offline, offline },
    work_queue_depth: queue,
  }
}
