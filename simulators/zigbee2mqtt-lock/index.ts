export { Zigbee2MqttSimulator, type SimLockConfig, type LockFaults, type SimulatorOptions, type EnterCodeResult, type ProgramCodeResult } from './simulator.js'
export { LOCK_MODELS } from './definitions.js'
