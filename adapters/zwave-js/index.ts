export { ZwaveJsDriver, type ZwaveJsDriverOptions } from './driver.js'
export { modelFacts, slotReading, accessControl, type ModelFacts } from './values.js'
