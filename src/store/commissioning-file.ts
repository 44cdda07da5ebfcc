// What an installer programs into the site's doors, as a file in the data dir (commissioning.json, 0600):
// the card site id, each card lock's entrance address, and the ids the API gives encoders and locks.
// `lockstep simulate` reads it (with the K_mac and K_A files, never K_B) so its offline locks accept the
// daemon's cards; an installer's tool could do the same. No secret is in it. Written only when it changes.
import { readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { DATA_FILE_MODE, tightenFile } from '../files.js'
import type { Store } from './store.js'

export const COMMISSIONING_FILE = 'commissioning.json'

export interface Commissioning {
  card_site_id: number
  entrances: Array<{ name: string; acs_entrance_id: string; address: number; can_belong_to_reservation: boolean }>
  encoders: Array<{ name: string; acs_encoder_id: string }>
  devices: Array<{ name: string; driver: string; native_id: string; device_id: string }>
}

export function commissioningOf(store: Store): Commissioning {
  return {
    card_site_id: store.cardCredentials.siteId,
    entrances: store.acs.entrances().map((e) => ({ name: e.displayName, acs_entrance_id: e.acsEntranceId, address: e.seq, can_belong_to_reservation: e.canBelongToReservation })),
    encoders: store.acs.encoders().map((e) => ({ name: e.displayName, acs_encoder_id: e.acsEncoderId })),
    devices: store.devices.list().map((d) => ({ name: d.displayName, driver: d.driver, native_id: d.nativeId, device_id: d.deviceId })),
  }
}

/** Writes <dir>/commissioning.json atomically, and nothing when the file already says the same. */
export function writeCommissioning(dir: string, c: Commissioning): void {
  const path = join(dir, COMMISSIONING_FILE)
  const text = JSON.stringify(c, null, 2) + '\n'
  if (readCommissioningText(path) === text) return
  const tmp = `${path}.tmp-${process.pid}`
  writeFileSync(tmp, text, { mode: DATA_FILE_MODE })
  tightenFile(tmp)
  renameSync(tmp, path)
}

function readCommissioningText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return undefined
  }
}

/** The file in `dir`, or undefined while no daemon has written it there. */
export function readCommissioning(dir: string): Commissioning | undefined {
  const text = readCommissioningText(join(dir, COMMISSIONING_FILE))
  return text === undefined ? undefined : (JSON.parse(text) as Commissioning)
}
