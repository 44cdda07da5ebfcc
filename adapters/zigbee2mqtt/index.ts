export { Zigbee2MqttDriver, type Zigbee2MqttDriverOptions } from './driver.js'
export { parseBridgeDevices, constraintsFor, type Z2mLockEntry } from './discovery.js'
export { modelFacts, seamDeviceType, type LockModelFacts } from './models.js'
