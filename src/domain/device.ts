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
}

/** Code lengths the device accepts, as Seam's `supported_code_lengths`. */
export function supportedCodeLengths(c: CodeConstraints): number[] {
  const out: number[] = []
  for (let n = c.minLength; n <= c.maxLength; n++) out.push(n)
  return out
}
