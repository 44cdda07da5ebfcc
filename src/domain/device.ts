// A lock as lockstep knows it: identity, maker, what codes it accepts, what it last reported.
import type { CodeConstraints } from './code-constraints.js'

export interface DeviceError {
  error_code: string
  message: string
  created_at: string
  is_device_error: true
}

export interface DeviceWarning {
  warning_code: string
  message: string
  created_at: string
}

export interface Device {
  seq: number
  deviceId: string
  driver: string
  nativeId: string
  connectedAccountId: string
  displayName: string
  deviceType: string
  manufacturer: string
  model: string
  constraints: CodeConstraints
  online: boolean
  locked: boolean | null
  batteryLevel: number | null
  errors: DeviceError[]
  warnings: DeviceWarning[]
  createdAt: number
  /** Seam's custom_metadata, set through /devices/update (absent = none). */
  customMetadata?: Record<string, string | boolean>
  /** The name given through /devices/update; `displayName` already shows it. */
  nickname?: string | null
  /** The lock keeps a pool of backup access codes set (devices/update, or a code using the pool). */
  backupPoolEnabled?: boolean
}

/** Every pair of `has` is in `metadata` (Seam's custom_metadata_has: an empty filter matches all). */
export function metadataHas(metadata: Readonly<Record<string, string | boolean>>, has: Readonly<Record<string, string | boolean>>): boolean {
  return Object.entries(has).every(([k, v]) => Object.hasOwn(metadata, k) && metadata[k] === v)
}

/** The driver's constraints narrowed to the code lengths a user reported for the device. */
export function withReportedLengths(c: CodeConstraints, reported: { min: number; max: number } | null): CodeConstraints {
  if (!reported) return c
  return { ...c, minLength: Math.max(c.minLength, reported.min), maxLength: Math.min(c.maxLength, reported.max) }
}

/** Code lengths the device accepts, as Seam's `supported_code_lengths`. */
export function supportedCodeLengths(c: CodeConstraints): number[] {
  const out: number[] = []
  for (let n = c.minLength; n <= c.maxLength; n++) out.push(n)
  return out
}
