// The bridge/devices entries Z2M publishes for the locks the lab simulates. Exposes follow the real
// definitions (checked against zigbee-herdsman-converters in test/conformance), descriptions omitted.

export interface LockModel {
  vendor: string
  model: string
  zigbeeModel: string
  description: string
  /** ZCL user IDs 0 … slots−1. */
  slots: number
}

export const LOCK_MODELS: Record<string, LockModel> = {
  YRD256HA20BP: { vendor: 'Yale', model: 'YRD256HA20BP', zigbeeModel: 'YRD256 TSDB', description: 'Assure lock SL', slots: 250 },
  '99140-002': { vendor: 'Kwikset', model: '99140-002', zigbeeModel: 'SMARTCODE_DEADBOLT_10_L', description: 'SmartCode traditional electronic deadbolt', slots: 30 },
  BE468: { vendor: 'Schlage', model: 'BE468', zigbeeModel: 'BE468', description: 'Connect smart deadbolt', slots: 30 },
}

export function lockExposes(): unknown[] {
  return [
    {
      type: 'lock',
      features: [
        { name: 'state', label: 'State', access: 7, type: 'binary', property: 'state', value_on: 'LOCK', value_off: 'UNLOCK' },
        { name: 'lock_state', label: 'Lock state', access: 1, type: 'enum', property: 'lock_state', values: ['not_fully_locked', 'locked', 'unlocked'] },
      ],
    },
    { name: 'battery', label: 'Battery', access: 1, type: 'numeric', property: 'battery', unit: '%', value_min: 0, value_max: 100 },
    {
      name: 'pin_code',
      label: 'Pin code',
      access: 7,
      type: 'composite',
      property: 'pin_code',
      features: [
        { name: 'user', label: 'User', access: 2, type: 'numeric', property: 'user' },
        { name: 'user_type', label: 'User type', access: 2, type: 'enum', property: 'user_type', values: ['unrestricted', 'year_day_schedule', 'week_day_schedule', 'master', 'non_access'] },
        { name: 'user_enabled', label: 'User enabled', access: 2, type: 'binary', property: 'user_enabled', value_on: true, value_off: false },
        { name: 'pin_code', label: 'PIN code', access: 2, type: 'numeric', property: 'pin_code' },
      ],
    },
    { name: 'action_source_name', label: 'Action source name', access: 1, type: 'enum', property: 'action_source_name', values: ['keypad', 'rfid', 'manual', 'rf'] },
    { name: 'action_user', label: 'Action user', access: 1, type: 'numeric', property: 'action_user' },
    { name: 'linkquality', label: 'Linkquality', access: 1, type: 'numeric', property: 'linkquality', unit: 'lqi', value_min: 0, value_max: 255 },
  ]
}

export function bridgeDeviceEntry(friendlyName: string, ieeeAddress: string, m: LockModel): Record<string, unknown> {
  return {
    ieee_address: ieeeAddress,
    friendly_name: friendlyName,
    type: 'EndDevice',
    supported: true,
    disabled: false,
    interview_completed: true,
    interview_state: 'SUCCESSFUL',
    power_source: 'Battery',
    model_id: m.zigbeeModel,
    manufacturer: m.vendor,
    definition: {
      model: m.model,
      vendor: m.vendor,
      description: m.description,
      source: 'native',
      supports_ota: false,
      options: [{ name: 'expose_pin', label: 'Expose PIN', access: 2, type: 'binary', property: 'expose_pin', value_on: true, value_off: false }],
      exposes: lockExposes(),
    },
  }
}

export const COORDINATOR_ENTRY = {
  ieee_address: '0x00124b0000000000',
  friendly_name: 'Coordinator',
  type: 'Coordinator',
  supported: true,
  disabled: false,
  interview_completed: true,
  interview_state: 'SUCCESSFUL',
}
