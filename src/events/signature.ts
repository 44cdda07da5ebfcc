// Standard Webhooks / Svix signatures, as Seam's own webhooks carry them: the secret is `whsec_` + base64
// key bytes; the signature is `v1,` + base64 HMAC-SHA256 over "<id>.<timestamp seconds>.<body>".
// Receivers check it with @seamapi/webhook (`new SeamWebhook(secret).verify(body, headers)`).
import { createHmac } from 'node:crypto'
import type { Random } from '../kernel/ids.js'

const PREFIX = 'whsec_'

export function newSecret(random: Pick<Random, 'bytes'>): string {
  return PREFIX + random.bytes(24).toString('base64')
}

function keyOf(secret: string): Buffer {
  return Buffer.from(secret.startsWith(PREFIX) ? secret.slice(PREFIX.length) : secret, 'base64')
}

let lastSecret = ''
let lastKey: Buffer = Buffer.alloc(0)

export function signature(secret: string, msgId: string, timestampSec: number, body: string): string {
  // One endpoint's deliveries come in runs: keep the last decoded key.
  if (secret !== lastSecret) [lastSecret, lastKey] = [secret, keyOf(secret)]
  const mac = createHmac('sha256', lastKey).update(`${msgId}.${timestampSec}.${body}`).digest('base64')
  return `v1,${mac}`
}

/** The headers of one delivery, under both names (svix-* for Seam's SDK, webhook-* for Standard Webhooks). */
export function signedHeaders(secret: string, msgId: string, timestampMs: number, body: string): Record<string, string> {
  const ts = Math.floor(timestampMs / 1000)
  const sig = signature(secret, msgId, ts, body)
  return {
    'svix-id': msgId,
    'svix-timestamp': String(ts),
    'svix-signature': sig,
    'webhook-id': msgId,
    'webhook-timestamp': String(ts),
    'webhook-signature': sig,
  }
}
