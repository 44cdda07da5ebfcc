// Domain objects → Seam's wire shapes (ids are UUIDs, timestamps ISO 8601 UTC with Z).
import { isoUtc } from '../kernel/clock.js'
import { codeType, type AccessCode } from '../domain/access-code.js'
import { supportedCodeLengths, type Device } from '../domain/device.js'
import type { CodeConstraints } from '../ports/lock-driver.js'
import type { ActionAttempt } from '../app/records.js'
import type { AutomationRun } from '../app/records.js'

const iso = (ms: number | null): string | null => (ms === null ? null : isoUtc(ms))

function codeConstraints(c: CodeConstraints): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [{ constraint_type: 'name_length', max_length: c.name.maxLength }]
  if (!c.alphabet.includes('0')) out.push({ constraint_type: 'no_zeros' })
  if (c.name.unique) out.push({ constraint_type: 'name_must_be_unique' })
  return out
}

export function deviceWire(d: Device, workspaceId: string, extra: { spaceIds?: string[] } = {}): Record<string, unknown> {
  return {
    device_id: d.deviceId,
    workspace_id: workspaceId,
    connected_account_id: d.connectedAccountId,
    device_type: d.deviceType,
    display_name: d.displayName,
    nickname: d.displayName,
    capabilities_supported: ['access_code', 'lock'],
    properties: {
      online: d.online,
      name: d.displayName,
      appearance: { name: d.displayName },
      model: { display_name: d.model, manufacturer_display_name: d.manufacturer },
      manufacturer: d.manufacturer.toLowerCase(),
      ...(d.locked === null ? {} : { locked: d.locked }),
      ...(d.batteryLevel === null ? {} : { battery_level: d.batteryLevel }),
      supported_code_lengths: supportedCodeLengths(d.constraints),
      max_active_codes_supported: d.constraints.slotCount,
      code_constraints: codeConstraints(d.constraints),
      supports_backup_access_code_pool: true,
      lockstep_metadata: { driver: d.driver, native_id: d.nativeId },
    },
    space_ids: extra.spaceIds ?? [],
    custom_metadata: d.customMetadata ?? {},
    is_managed: true,
    created_at: isoUtc(d.createdAt),
    errors: d.errors,
    warnings: d.warnings,
    can_remotely_lock: true,
    can_remotely_unlock: true,
    can_program_online_access_codes: true,
    can_unlock_with_code: true,
  }
}

export function accessCodeWire(c: AccessCode, device: Device, workspaceId: string, extra: { backupAvailable?: boolean } = {}): Record<string, unknown> {
  const deviceErrors = device.errors.map((e) => ({ ...e }))
  const base = {
    access_code_id: c.accessCodeId,
    device_id: c.deviceId,
    workspace_id: workspaceId,
    name: c.name,
    // In Seam's documentation (the name as the lock shows it), not yet in @seamapi/types.
    appearance: c.appearanceName === null ? null : { name: c.appearanceName },
    code: c.code,
    type: codeType(c),
    starts_at: iso(c.startsAt),
    ends_at: iso(c.endsAt),
    created_at: isoUtc(c.createdAt),
    errors: [...c.errors, ...deviceErrors],
    warnings: c.pulledBackupAccessCodeId
      ? [...c.warnings, { warning_code: 'using_backup_access_code', message: 'A backup access code was pulled for this access code.', created_at: isoUtc(c.updatedAt) }]
      : c.warnings,
  }
  if (!c.isManaged) {
    return { ...base, is_managed: false, status: c.status === 'set' ? 'set' : 'unset' }
  }
  return {
    ...base,
    common_code_key: c.commonCodeKey,
    status: c.status,
    display_status: c.status,
    is_managed: true,
    is_external_modification_allowed: c.isExternalModificationAllowed,
    is_one_time_use: c.isOneTimeUse,
    is_offline_access_code: c.isOfflineAccessCode,
    is_backup_access_code_available: extra.backupAvailable ?? false,
    is_backup: c.isBackup ?? false,
    pulled_backup_access_code_id: c.pulledBackupAccessCodeId ?? null,
    is_scheduled_on_device: c.status === 'set',
    is_waiting_for_code_assignment: false,
    pending_mutations: c.pendingMutations,
  }
}

/** Fields Seam's access-grant warnings define; lockstep's others (which doors…) go under lockstep_ keys. */
const SEAM_GRANT_WARNING_FIELDS = new Set(['warning_code', 'message', 'created_at', 'device_id', 'access_method_ids', 'failed_devices', 'original_code', 'new_code', 'reason'])

function seamWarningFields(w: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(w).map(([k, v]) => [SEAM_GRANT_WARNING_FIELDS.has(k) ? k : `lockstep_${k}`, v]))
}

/**
 * A grant's warnings in Seam's shapes: `device_does_not_support_access_codes` names one device per warning
 * (stored ones name several, rows written before this split already name one), plus `encoding_required`
 * while issued cards lag behind the grant (derived, level-triggered).
 */
export function grantWarningsWire(stored: Record<string, unknown>[], staleCardMethodIds: string[], updatedAt: number): Record<string, unknown>[] {
  const out = stored.map(seamWarningFields).flatMap((w) => {
    if (w.warning_code !== 'device_does_not_support_access_codes' || !Array.isArray(w.lockstep_device_ids)) return [w]
    return (w.lockstep_device_ids as string[]).map((device_id) => ({ warning_code: w.warning_code, message: w.message, created_at: w.created_at, device_id }))
  })
  if (staleCardMethodIds.length) {
    out.push({ warning_code: 'encoding_required', message: 'Issued cards carry an old time frame or door set. Re-encode them to apply the change.', access_method_ids: staleCardMethodIds, created_at: isoUtc(updatedAt) })
  }
  return out
}

/** An action attempt as the SDK polls it. */
export function actionAttemptWire(a: ActionAttempt): Record<string, unknown> {
  return { action_attempt_id: a.actionAttemptId, action_type: a.actionType, status: a.status, result: a.result, error: a.error }
}

/** One logged push_data / delete_data / draft activation (lockstep's /customers/automation_runs/list). */
export function automationRunWire(r: AutomationRun): Record<string, unknown> {
  return { seq: r.seq, automation_run_id: r.automationRunId, kind: r.kind, customer_key: r.customerKey, summary: r.summary, results: r.results, created_at: isoUtc(r.createdAt) }
}
