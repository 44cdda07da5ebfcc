// noble with injected bindings: `lib/noble` is the bare Noble class, so neither tests nor the lab ever
// open an HCI socket. Real hardware passes the HCI bindings in the same way.
import { createRequire } from 'node:module'
import type { Noble } from '@stoprocent/noble'

const require = createRequire(import.meta.url)

export type NobleInstance = Noble

export function createNoble(bindings: object): NobleInstance {
  const NobleClass = require('@stoprocent/noble/lib/noble') as new (bindings: object) => NobleInstance
  return new NobleClass(bindings)
}

/** The Linux HCI bindings of a real box. Loaded only when a site has Nuki locks (it opens a raw socket). */
export function hciBindings(): object {
  const Bindings = require('@stoprocent/noble/lib/hci-socket/bindings') as new (options: object) => object
  return new Bindings({})
}
