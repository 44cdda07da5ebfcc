// What the lab routes can do to the simulated property. src/lab/property.ts implements it over the
// simulators; the daemon passes it to the API only in lab mode.

export interface LabLock {
  /** Someone types a code at the keypad. */
  enterCode(code: string): Promise<{ granted: boolean; reason: string }>
  /** The owner edits a slot at the keypad or in the manufacturer's app (null clears it). */
  programCode(slot: number, code: string | null): Promise<void>
  /** What is physically on the lock, empty slots included. */
  slots(): Promise<{ slot: number; code: string | null }[]>
  /** In or out of radio range. */
  setOnline(online: boolean): Promise<void>
  /**
   * Radio exchanges the lock itself received so far (ZCL commands for a Zigbee lock, connections for a
   * Nuki), counted on the device's side: what the gateway's own count is checked against.
   */
  radioExchanges(): number
  /** A connection to the lock is open now (a Nuki link kept for a batch); always false for Zigbee. */
  linkOpen(): boolean
  /** The battery level the lock reports, 0–1 (locks whose simulator models it). */
  setBattery?(level: number): Promise<void>
}

export interface PresentResult {
  granted: boolean
  /** `granted` or the lock's denial reason (docs/protocols/lockstep-card.md §5), e.g. `overridden`, `bad_mac`. */
  reason: string
  /** Card locks: `granted` | `denied` | `cancel_applied` | `lockout_set` | `lockout_cleared`. */
  outcome?: string
  /** Card locks, when granted: `override` | `joiner` | `one_shot` | `standard`. */
  mode?: string
  /** Card locks: the card's credential number, when the card decoded. */
  credential_id?: number
}

export interface LabCards {
  create(): { card_id: string }
  get(cardId: string): { card_id: string; uid: string; blocks: string[] }
  clone(cardId: string): { card_id: string }
  writeBlock(cardId: string, block: number, data: string): void
  placeOnEncoder(acsEncoderId: string, cardId: string): void
  removeFromEncoder(acsEncoderId: string): void
  present(acsEntranceId: string, cardId: string): PresentResult
  auditLog(acsEntranceId: string): unknown[]
}

export interface LabControl {
  /** The simulated lock behind a Seam device id, if the lab simulates it. */
  lock(deviceId: string): LabLock | undefined
  cards?: LabCards
  /** Moves the lab's simulated time for the simulators and the daemon alike. */
  advanceClock(seconds: number): void
  now(): number
}
