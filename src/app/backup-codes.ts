// Backup access codes (Seam's backup access code pool): a few codes kept set on a lock that nobody holds,
// so that when a guest's code is late (slow radio) or failed, pulling one hands out a PIN that already
// works. The reconciler keeps pool codes set like any managed code; they stay out of lists and events
// until pulled. A pulled code takes the window of the code it stands in for (so it stops working with it),
// and the pool is refilled at once with a fresh PIN.
import { codeAppearance, generateCode, isWaitingBackup, type AccessCode } from '../domain/access-code.js'
import type { Device } from '../domain/device.js'
import { DomainError, notFound } from '../domain/errors.js'
import type { Store } from '../store/store.js'

/** Codes a pool keeps set on each lock. Small: every one takes a slot. */
export const BACKUP_POOL_SIZE = 2

/** Fills the device's pool up to its size (inside the caller's transaction). */
export function ensureBackupPool(store: Store, device: Device): void {
  if (!device.backupPoolEnabled) store.devices.setBackupPoolEnabled(device.deviceId, true)
  const waiting = store.accessCodes.backupPool(device.deviceId).length
  if (waiting >= BACKUP_POOL_SIZE) return
  // The whole pool fits at once or not at all: a lock without free slots says so on the codes.
  const free = device.constraints.slotCount - store.accessCodes.onDevice(device.deviceId).length
  for (let i = waiting; i < Math.min(BACKUP_POOL_SIZE, waiting + free); i++) {
    const peers = store.accessCodes.peers(device.deviceId)
    const code = generateCode(device.constraints, new Set(peers.map((p) => p.code ?? '')), store.ctx.random)
    const shown = peers.flatMap((p) => (p.appearanceName === null ? [] : [p.appearanceName]))
    store.accessCodes.insertBackup(device.deviceId, code, 'Backup code', codeAppearance('Backup code', device.constraints, shown))
  }
  store.dirtyDevices.markDirty(device.deviceId, 'backup_pool.filled')
}

/** devices/update backup_access_code_pool_enabled: on fills the pool; off clears waiting pool codes from the lock. */
export function setBackupPool(store: Store, deviceId: string, enabled: boolean): void {
  const device = store.devices.get(deviceId)
  if (enabled) return ensureBackupPool(store, device)
  store.devices.setBackupPoolEnabled(deviceId, false)
  const waiting = store.accessCodes.backupPool(deviceId)
  for (const c of waiting) store.accessCodes.markRemoving(c.accessCodeId)
  if (waiting.length) store.dirtyDevices.markDirty(deviceId, 'backup_pool.cleared')
}

export class BackupCodesApp {
  constructor(private readonly store: Store) {}

  /** Whether a code using the pool could pull a backup now: one is set on its lock. */
  available(c: AccessCode): boolean {
    if (!c.useBackupPool || c.pulledBackupAccessCodeId) return false
    return this.store.accessCodes.backupPool(c.deviceId).some((b) => b.status === 'set')
  }

  /** Hands the code a backup already set on its lock; a repeat answers the same backup. */
  pull(accessCodeId: string): { accessCode: AccessCode; backup: AccessCode } {
    const store = this.store
    return store.tx(() => {
      const original = store.accessCodes.get(accessCodeId, true)
      if (isWaitingBackup(original)) throw notFound('access_code', accessCodeId)
      if (original.pulledBackupAccessCodeId) {
        return { accessCode: original, backup: store.accessCodes.get(original.pulledBackupAccessCodeId, true) }
      }
      if (!original.useBackupPool) {
        throw new DomainError('invalid_input', 'access_code_id: this access code was not created with use_backup_access_code_pool; it cannot pull a backup code', 400, undefined, {
          _errors: [], access_code_id: { _errors: ['not created with use_backup_access_code_pool'] },
        })
      }
      const backup = store.accessCodes.backupPool(original.deviceId).find((b) => b.status === 'set')
      if (!backup) {
        throw new DomainError('empty_backup_access_code_pool', 'No backup code is set on this lock yet; try again once the lock has taken its pool', 409)
      }
      const device = store.devices.get(original.deviceId)
      store.accessCodes.markPulled(accessCodeId, backup.accessCodeId)
      // The backup opens the door only while the code it stands in for would.
      const now = store.ctx.clock.now()
      const window = { startsAt: original.startsAt, endsAt: original.endsAt }
      if (window.startsAt !== null || window.endsAt !== null) {
        const active = (window.startsAt === null || window.startsAt <= now) && (window.endsAt === null || window.endsAt > now)
        store.accessCodes.writeChange(backup.accessCodeId, { ...backup, ...window, name: original.name ?? backup.name }, active ? backup.status : 'unset', false)
      }
      store.accessCodes.codeEvent('access_code.backup_access_code_pulled', device, accessCodeId, { backup_access_code_id: backup.accessCodeId })
      ensureBackupPool(store, device)
      store.dirtyDevices.markDirty(device.deviceId, 'access_code.backup_access_code_pulled')
      return { accessCode: store.accessCodes.get(accessCodeId, true), backup: store.accessCodes.get(backup.accessCodeId, true) }
    })
  }
}
