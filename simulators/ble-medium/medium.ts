// A fake radio: an EventEmitter implementing the binding interface @stoprocent/noble calls
// (docs/protocols/nuki-ble.md §9), to which simulated peripherals attach. `new Noble(medium)` never touches HCI.
// Every answer is delivered asynchronously and in order, as a real stack would.
import { EventEmitter } from 'node:events'
import type { PeripheralLink, SimulatedPeripheral } from './peripheral.js'

export interface BleMediumOptions {
  /** Delay of every radio event; 0 delivers on the next macrotask. */
  latencyMs?: number
  /** While scanning, re-advertise every peripheral at this interval (0 = only on start and on change). */
  advertisingIntervalMs?: number
}

interface Link extends PeripheralLink {
  peripheral: SimulatedPeripheral
  subscriptions: Set<string>
  open: boolean
}

export class FakeBleMedium extends EventEmitter {
  private readonly peripherals = new Map<string, SimulatedPeripheral>()
  private readonly links = new Map<string, Link>()
  private scanning = false
  private advertiseTimer: NodeJS.Timeout | undefined
  private readonly latencyMs: number
  private readonly advertisingIntervalMs: number
  /** Counts radio traffic, for benchmarks and tests. */
  readonly stats = { writes: 0, indications: 0, connects: 0 }

  constructor(options: BleMediumOptions = {}) {
    super()
    this.latencyMs = options.latencyMs ?? 0
    this.advertisingIntervalMs = options.advertisingIntervalMs ?? 0
  }

  // ---- peripheral side ------------------------------------------------------------------------

  attach(peripheral: SimulatedPeripheral): void {
    this.peripherals.set(peripheral.id, peripheral)
    this.advertise(peripheral.id)
  }

  detach(id: string): void {
    this.dropLink(id, 'detached')
    this.peripherals.delete(id)
  }

  /** The peripheral's advertisement changed (or it came into range): scanners hear it. */
  advertise(id: string): void {
    const p = this.peripherals.get(id)
    if (!p || !this.scanning || !p.reachable()) return
    const connectable = true
    this.deliver(() => this.emit('discover', p.id, p.address, 'random', connectable, p.advertisement(), -60, true))
  }

  /** Link loss, seen by both ends. */
  dropLink(id: string, reason = 'connection timeout'): void {
    const link = this.links.get(id)
    if (!link) return
    this.closeLink(link)
    this.deliver(() => this.emit('disconnect', id, reason))
  }

  isConnected(id: string): boolean {
    return this.links.has(id)
  }

  // ---- binding interface called by noble --------------------------------------------------------

  start(): void {
    this.deliver(() => this.emit('stateChange', 'poweredOn'))
  }

  stop(): void {
    this.stopAdvertiseTimer()
    this.scanning = false
    for (const id of [...this.links.keys()]) this.dropLink(id, 'stopped')
  }

  reset(): void {}
  setScanParameters(): void {
    this.deliver(() => this.emit('scanParametersSet'))
  }

  startScanning(_serviceUuids: string[] | undefined, allowDuplicates: boolean): void {
    this.scanning = true
    this.deliver(() => this.emit('scanStart', !allowDuplicates))
    for (const id of this.peripherals.keys()) this.advertise(id)
    this.stopAdvertiseTimer()
    if (this.advertisingIntervalMs > 0) {
      this.advertiseTimer = setInterval(() => {
        for (const id of this.peripherals.keys()) this.advertise(id)
      }, this.advertisingIntervalMs)
      this.advertiseTimer.unref()
    }
  }

  stopScanning(): void {
    this.scanning = false
    this.stopAdvertiseTimer()
    this.deliver(() => this.emit('scanStop'))
  }

  addressToId(address: string): string {
    return address.replace(/:/g, '').toLowerCase()
  }

  connect(id: string): void {
    const p = this.peripherals.get(id)
    // An unreachable peripheral never answers: the central's own timeout decides, as over a real radio.
    if (!p || !p.reachable() || this.links.has(id)) return
    const link: Link = {
      peripheral: p,
      subscriptions: new Set(),
      open: true,
      get connected() {
        return this.open
      },
      indicate: (serviceUuid, characteristicUuid, data) => {
        if (!link.open || !link.subscriptions.has(`${serviceUuid}/${characteristicUuid}`)) return
        this.stats.indications++
        const copy = Buffer.from(data)
        this.deliver(() => {
          if (link.open) this.emit('read', id, serviceUuid, characteristicUuid, copy, true)
        })
      },
      disconnect: () => this.dropLink(id, 'remote user terminated connection'),
    }
    this.links.set(id, link)
    this.stats.connects++
    this.deliver(() => {
      if (!link.open) return
      this.emit('connect', id, null)
      p.onConnect(link)
    })
  }

  cancelConnect(): void {}

  disconnect(id: string): void {
    const link = this.links.get(id)
    if (!link) {
      this.deliver(() => this.emit('disconnect', id, 'not connected'))
      return
    }
    this.closeLink(link)
    this.deliver(() => this.emit('disconnect', id, 'local host terminated connection'))
  }

  updateRssi(id: string): void {
    this.deliver(() => this.emit('rssiUpdate', id, -60))
  }

  discoverServices(id: string, uuids: string[] | undefined): void {
    const link = this.links.get(id)
    if (!link) return
    const all = link.peripheral.gatt().map((s) => s.uuid)
    const found = uuids && uuids.length > 0 ? all.filter((u) => uuids.includes(u)) : all
    this.deliver(() => this.emit('servicesDiscover', id, found))
  }

  discoverIncludedServices(id: string, serviceUuid: string): void {
    this.deliver(() => this.emit('includedServicesDiscover', id, serviceUuid, []))
  }

  discoverCharacteristics(id: string, serviceUuid: string, uuids: string[] | undefined): void {
    const link = this.links.get(id)
    if (!link) return
    const service = link.peripheral.gatt().find((s) => s.uuid === serviceUuid)
    const chars = (service?.characteristics ?? []).filter((c) => !uuids || uuids.length === 0 || uuids.includes(c.uuid))
    this.deliver(() => this.emit('characteristicsDiscover', id, serviceUuid, chars.map((c) => ({ ...c }))))
  }

  discoverDescriptors(id: string, serviceUuid: string, characteristicUuid: string): void {
    this.deliver(() => this.emit('descriptorsDiscover', id, serviceUuid, characteristicUuid, []))
  }

  notify(id: string, serviceUuid: string, characteristicUuid: string, on: boolean): void {
    const link = this.links.get(id)
    if (!link) return
    const key = `${serviceUuid}/${characteristicUuid}`
    if (on) link.subscriptions.add(key)
    else link.subscriptions.delete(key)
    this.deliver(() => this.emit('notify', id, serviceUuid, characteristicUuid, on))
  }

  /** A write with response: acknowledged first, then handed to the peripheral as one whole value (long write). */
  write(id: string, serviceUuid: string, characteristicUuid: string, data: Buffer): void {
    const link = this.links.get(id)
    if (!link) {
      this.deliver(() => this.emit('write', id, serviceUuid, characteristicUuid, new Error('not connected')))
      return
    }
    this.stats.writes++
    const copy = Buffer.from(data)
    this.deliver(() => {
      if (!link.open) return
      this.emit('write', id, serviceUuid, characteristicUuid, null)
      link.peripheral.onWrite(serviceUuid, characteristicUuid, copy)
    })
  }

  read(id: string, serviceUuid: string, characteristicUuid: string): void {
    this.deliver(() => this.emit('read', id, serviceUuid, characteristicUuid, Buffer.alloc(0), false))
  }

  // ---- internals ----------------------------------------------------------------------------------

  private closeLink(link: Link): void {
    if (!link.open) return
    link.open = false
    this.links.delete(link.peripheral.id)
    link.peripheral.onDisconnect()
  }

  private stopAdvertiseTimer(): void {
    if (this.advertiseTimer) clearInterval(this.advertiseTimer)
    this.advertiseTimer = undefined
  }

  private deliver(fn: () => void): void {
    if (this.latencyMs > 0) setTimeout(fn, this.latencyMs)
    else setImmediate(fn)
  }
}
