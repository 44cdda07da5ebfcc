export { Zigbee2MqttSimulator, type SimLockConfig, type LockFaults, type SimulatorOptions, type EnterCodeResult, type ProgramCodeResult } from './simulator.js'
export { startZigbeeLab, labDeviceFacts, zigbeeLabSchema, zigbeeLabLockSchema, type ZigbeeLab, type ZigbeeLabOptions, type ZigbeeLabConfig, type ZigbeeLabLock } from './lab.js'
export { LOCK_MODELS } from './definitions.js'
