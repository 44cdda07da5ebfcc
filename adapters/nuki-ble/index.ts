export { NukiBleDriver, type NukiBleDriverOptions, type DriverLog } from './driver.js'
export { hciBindings } from './noble.js'
export { nukiConstraints } from './constraints.js'
export { parseNukiAdvertisement } from './advertisement.js'
