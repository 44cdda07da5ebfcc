// Per-site secrets and the per-card MIFARE sector keys derived from them (docs/protocols/lockstep-card.md §4).
// Pure: no I/O. Files live in src/store/card-key-files.ts. Never log any of these values.
import { createHmac } from 'node:crypto'

/** Three 32-byte per-site secrets: kMac (payload MAC), kA (locks + encoder), kB (encoder only). */
export interface SiteKeys {
  kMac: Buffer
  kA: Buffer
  kB: Buffer
}

/** The subset a lock holds: it can read and verify, never rewrite. */
export type LockKeys = Pick<SiteKeys, 'kMac' | 'kA'>

export const TRANSPORT_KEY: Buffer = Buffer.alloc(6, 0xff)
/** Data blocks 100 (A/B read, B write), trailer 011 (B rewrites keys and bits). See docs/protocols/pn532-mifare.md §6.6. */
export const PROJECT_ACCESS_BITS: Buffer = Buffer.from([0x78, 0x77, 0x88])
export const TRANSPORT_ACCESS_BITS: Buffer = Buffer.from([0xff, 0x07, 0x80])
export const DEFAULT_GPB = 0x69

function derive(secret: Buffer, label: string, uid: Buffer): Buffer {
  return createHmac('sha256', secret).update(Buffer.from(label, 'latin1')).update(uid).digest().subarray(0, 6)
}

export function cardKeyA(kA: Buffer, uid: Buffer): Buffer {
  return derive(kA, 'A', uid)
}

export function cardKeyB(kB: Buffer, uid: Buffer): Buffer {
  return derive(kB, 'B', uid)
}

/** KeyA ‖ 78 77 88 69 ‖ KeyB — the trailer written to sectors 1 and 2 of an issued card. */
export function projectTrailer(keyA: Buffer, keyB: Buffer): Buffer {
  return Buffer.concat([keyA, PROJECT_ACCESS_BITS, Buffer.from([DEFAULT_GPB]), keyB])
}

/** Sector keys for one card, as the encoder driver needs them. */
export interface CardSectorKeys {
  keyA: Buffer
  keyB: Buffer
}

export function sectorKeysFor(keys: Pick<SiteKeys, 'kA' | 'kB'>, uid: Buffer): CardSectorKeys {
  return { keyA: cardKeyA(keys.kA, uid), keyB: cardKeyB(keys.kB, uid) }
}

export function isValidSecret(b: unknown): b is Buffer {
  return Buffer.isBuffer(b) && b.length === 32
}
