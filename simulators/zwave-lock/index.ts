export { startZwaveLockLab, type ZwaveLockLab, type ZwaveLockLabOptions, type ZwaveLockSpec } from './harness.js'
export { SimulatedZwaveLock } from './lock.js'
