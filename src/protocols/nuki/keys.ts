// Key agreement and authenticators of the pairing flow (docs/protocols/nuki-ble.md §2.4, §3).
import { createHmac } from 'node:crypto'
import nacl from 'tweetnacl'

export interface KeyPair {
  publicKey: Uint8Array
  secretKey: Uint8Array
}

/** Curve25519 key pair from 32 secret bytes (the caller's injected randomness). */
export function keyPairFromSecret(secret: Uint8Array): KeyPair {
  const kp = nacl.box.keyPair.fromSecretKey(Uint8Array.from(secret))
  return { publicKey: kp.publicKey, secretKey: kp.secretKey }
}

/** dh1 (X25519) then kdf1 (HSalsa20 with a zero nonce): crypto_box_beforenm. */
export function deriveSharedKey(mySecret: Uint8Array, theirPublic: Uint8Array): Buffer {
  return Buffer.from(nacl.box.before(Uint8Array.from(theirPublic), Uint8Array.from(mySecret)))
}

/** h1: HMAC-SHA256 keyed with the shared key over the concatenated fields. */
export function authenticator(sharedKey: Uint8Array, ...parts: Uint8Array[]): Buffer {
  const h = createHmac('sha256', sharedKey)
  for (const p of parts) h.update(p)
  return h.digest()
}
