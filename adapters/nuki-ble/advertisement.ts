// Recognising a Nuki lock in an advertisement (docs/protocols/nuki-ble.md §1.3): iBeacon whose proximity UUID is the Keyturner
// Service, major/minor = Nuki ID, bit 0 of TX power = unfetched state change; pairing-service data while in
// pairing mode. Local names start with "Nuki".
import { NUKI_UUID } from '../../src/protocols/nuki/constants.js'

export interface NukiAdvertisement {
  /** Nuki ID as 8 uppercase hex digits: the driver's native id for the lock. */
  nukiId: string
  pairingMode: boolean
  stateChanged: boolean
}

interface AdvertisementLike {
  localName?: string
  manufacturerData?: Buffer
  serviceData?: { uuid: string; data: Buffer }[]
}

const KEYTURNER_SERVICE = Buffer.from(NUKI_UUID.keyturnerService, 'hex')

export function parseNukiAdvertisement(ad: AdvertisementLike): NukiAdvertisement | undefined {
  const m = ad.manufacturerData
  const pairingMode = (ad.serviceData ?? []).some((s) => s.uuid === NUKI_UUID.pairingService)
  if (m && m.length >= 25 && m.readUInt16LE(0) === 0x004c && m[2] === 0x02 && m[3] === 0x15) {
    if (!m.subarray(4, 20).equals(KEYTURNER_SERVICE)) return undefined
    return {
      nukiId: m.subarray(20, 24).toString('hex').toUpperCase(),
      pairingMode,
      stateChanged: (m[24]! & 0x01) === 1,
    }
  }
  const name = /^Nuki_([0-9A-Fa-f]{8})$/.exec(ad.localName ?? '')
  if (name) return { nukiId: name[1]!.toUpperCase(), pairingMode, stateChanged: false }
  return undefined
}
