// Numbers fixed by the Nuki Smart Lock API V2.1 (docs/protocols/nuki-ble.md §1, §4, §6, §7).

const uuid = (short: string): string => `a92e${short}550111e4916c0800200c9a66`

/** GATT UUIDs in noble's spelling: lowercase, no dashes. */
export const NUKI_UUID = {
  initializationService: uuid('e000'),
  pairingService: uuid('e100'),
  pairingGdio: uuid('e101'),
  keyturnerService: uuid('e200'),
  keyturnerGdio: uuid('e201'),
  usdio: uuid('e202'),
} as const

export const CMD = {
  requestData: 0x0001,
  publicKey: 0x0003,
  challenge: 0x0004,
  authorizationAuthenticator: 0x0005,
  authorizationData: 0x0006,
  authorizationId: 0x0007,
  keyturnerStates: 0x000c,
  lockAction: 0x000d,
  status: 0x000e,
  errorReport: 0x0012,
  requestConfig: 0x0014,
  config: 0x0015,
  authorizationIdConfirmation: 0x001e,
  addKeypadCode: 0x0041,
  keypadCodeId: 0x0042,
  requestKeypadCodes: 0x0043,
  keypadCodeCount: 0x0044,
  keypadCode: 0x0045,
  updateKeypadCode: 0x0046,
  removeKeypadCode: 0x0047,
} as const

export const STATUS = { complete: 0x00, accepted: 0x01 } as const

export const ERROR_CODE = {
  badCrc: 0xfd,
  badLength: 0xfe,
  unknown: 0xff,
  pNotPairing: 0x10,
  pBadAuthenticator: 0x11,
  pBadParameter: 0x12,
  pMaxUser: 0x13,
  kNotAuthorized: 0x20,
  kBadPin: 0x21,
  kBadNonce: 0x22,
  kBadParameter: 0x23,
  kInvalidAuthId: 0x24,
  kDisabled: 0x25,
  kTooManyPinAttempts: 0x28,
  kTooManyEntries: 0x29,
  kCodeAlreadyExists: 0x2a,
  kCodeInvalid: 0x2b,
  kBusy: 0x45,
} as const

export const LOCK_ACTION = { unlock: 0x01, lock: 0x02 } as const

export const LOCK_STATE = {
  uncalibrated: 0x00,
  locked: 0x01,
  unlocking: 0x02,
  unlocked: 0x03,
  locking: 0x04,
  unlatched: 0x05,
  unlockedLockNGo: 0x06,
  unlatching: 0x07,
} as const

export const NUKI_STATE = { uninitialized: 0x00, pairingMode: 0x01, doorMode: 0x02 } as const

export const TRIGGER = { system: 0x00, manual: 0x01, button: 0x02, automatic: 0x03, autoLock: 0x06 } as const

/** Plain frame totals on the pairing GDIO, id and CRC included (docs/protocols/nuki-ble.md §1.2): the reader knows the length. */
export const PLAIN_FRAME_LENGTH: Readonly<Record<number, number>> = {
  [CMD.publicKey]: 36,
  [CMD.challenge]: 36,
  [CMD.authorizationId]: 88,
  [CMD.status]: 5,
  [CMD.errorReport]: 7,
}

/** ADATA: 24-byte nonce, u32 authorization id, u16 length. */
export const ADATA_LENGTH = 30
