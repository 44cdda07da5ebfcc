// Protocol-neutral Nuki BLE codec shared by adapters/nuki-ble and simulators/nuki-lock.
// Sharing is allowed (design rule 6) because every function here is pinned by the spec's golden vectors
// (test/unit/nuki-codec-vectors.test.ts). Payload layouts of individual commands are NOT shared: each side
// has its own.
export * from './constants.js'
export * from './crc16.js'
export * from './encrypted-frame.js'
export * from './frame-error.js'
export * from './keys.js'
export * from './plain-frame.js'
