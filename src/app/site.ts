// The site as Seam names it: the box's workspace, and each radio/driver of the box as a connected account
// (the Zigbee2MQTT broker, Nuki BLE, the PN532 encoder with its offline card locks).
import { notFound } from '../domain/errors.js'
import type { LockDriver } from '../ports/lock-driver.js'
import type { Store } from '../store/store.js'

export interface Workspace {
  workspaceId: string
  name: string
  isSandbox: boolean
}

export interface ConnectedAccount {
  seq: number
  connectedAccountId: string
  /** The lock driver kind ('zigbee2mqtt', 'nuki-ble') or 'offline-card-locks'. */
  driver: string
  displayName: string
  capabilities: ('lock' | 'access_control')[]
  createdAt: number
  deviceIds: string[]
  acsEntranceIds: string[]
  /** false when the driver is not running in this daemon. */
  connected: boolean
}

const CARD_ACCOUNT = 'offline-card-locks'
const NAMES: Record<string, string> = {
  zigbee2mqtt: 'Zigbee2MQTT broker',
  'nuki-ble': 'Nuki Bluetooth LE',
  [CARD_ACCOUNT]: 'PN532 card encoder and offline card locks',
}

export class SiteApp {
  constructor(
    private readonly store: Store,
    private readonly site: { name: string; sandbox: boolean },
    /** Absent in tests that run no drivers: then every account counts as connected. */
    private readonly driverOf?: (kind: string) => LockDriver | undefined,
  ) {}

  workspace(): Workspace {
    return { workspaceId: this.store.workspaceId, name: this.site.name, isSandbox: this.site.sandbox }
  }

  /** One account per lock driver that has devices, then the card system when it has entrances or encoders. */
  connectedAccounts(): ConnectedAccount[] {
    const out: ConnectedAccount[] = []
    const byDriver = new Map<string, ConnectedAccount>()
    for (const d of this.store.devices.list()) {
      let a = byDriver.get(d.driver)
      if (!a) {
        a = {
          seq: out.length, connectedAccountId: d.connectedAccountId, driver: d.driver, displayName: NAMES[d.driver] ?? d.driver,
          capabilities: ['lock'], createdAt: d.createdAt, deviceIds: [], acsEntranceIds: [],
          connected: !this.driverOf || this.driverOf(d.driver) !== undefined,
        }
        byDriver.set(d.driver, a)
        out.push(a)
      }
      a.deviceIds.push(d.deviceId)
      a.createdAt = Math.min(a.createdAt, d.createdAt)
    }
    const acs = this.store.acs
    const entrances = acs.entrances()
    const system = acs.systems().find((s) => s.acsSystemId === acs.systemId)
    if (system && (entrances.length || acs.encoders().length)) {
      out.push({
        seq: out.length, connectedAccountId: acs.connectedAccountId, driver: CARD_ACCOUNT, displayName: NAMES[CARD_ACCOUNT]!,
        capabilities: ['access_control'], createdAt: system.createdAt, deviceIds: [], acsEntranceIds: entrances.map((e) => e.acsEntranceId),
        connected: true,
      })
    }
    return out
  }

  connectedAccount(connectedAccountId: string): ConnectedAccount {
    const a = this.connectedAccounts().find((x) => x.connectedAccountId === connectedAccountId)
    if (!a) throw notFound('connected_account', connectedAccountId)
    return a
  }
}
