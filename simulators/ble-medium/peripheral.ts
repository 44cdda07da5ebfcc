// What a simulated BLE peripheral offers to the fake radio. The medium owns links and timing; the
// peripheral only sees connects, writes and disconnects, and answers through its PeripheralLink.

export interface Advertisement {
  localName?: string
  manufacturerData?: Buffer
  serviceData: { uuid: string; data: Buffer }[]
  serviceUuids: string[]
  serviceSolicitationUuids: string[]
  txPowerLevel?: number
}

export interface GattCharacteristic {
  uuid: string
  properties: string[]
}

export interface GattService {
  uuid: string
  characteristics: GattCharacteristic[]
}

/** The peripheral's handle on one live connection. */
export interface PeripheralLink {
  /** Sends one indication (the caller chunks); dropped if the central is not subscribed. */
  indicate(serviceUuid: string, characteristicUuid: string, data: Buffer): void
  /** The peripheral ends the connection (link loss, idle timeout). */
  disconnect(): void
  readonly connected: boolean
}

export interface SimulatedPeripheral {
  /** noble peripheral id: lowercase hex, no separators. */
  readonly id: string
  readonly address: string
  /** In radio range and powered: advertises and accepts connections. */
  reachable(): boolean
  advertisement(): Advertisement
  gatt(): GattService[]
  onConnect(link: PeripheralLink): void
  onWrite(serviceUuid: string, characteristicUuid: string, data: Buffer): void
  onDisconnect(): void
}
