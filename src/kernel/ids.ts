// Injected identity and randomness (design rule 7).
import { createHash, randomBytes, randomUUID } from 'node:crypto'

export interface Random {
  uuid(): string
  bytes(n: number): Buffer
  /** Uniform integer in [0, n). */
  int(n: number): number
}

export const cryptoRandom: Random = {
  uuid: () => randomUUID(),
  bytes: (n) => randomBytes(n),
  int: (n) => randomBytes(4).readUInt32BE(0) % n,
}

/** Deterministic source for tests and simulators: SHA-256 in counter mode over a seed. */
export function seededRandom(seed: string): Random {
  let counter = 0
  const next = (n: number): Buffer => {
    const out: Buffer[] = []
    let have = 0
    while (have < n) {
      const block = createHash('sha256').update(`${seed}:${counter++}`).digest()
      out.push(block)
      have += block.length
    }
    return Buffer.concat(out).subarray(0, n)
  }
  return {
    bytes: next,
    int: (n) => next(4).readUInt32BE(0) % n,
    uuid: () => formatUuidV4(next(16)),
  }
}

export function formatUuidV4(b: Buffer): string {
  const x = Buffer.from(b)
  x[6] = (x[6]! & 0x0f) | 0x40
  x[8] = (x[8]! & 0x3f) | 0x80
  const h = x.toString('hex')
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`
}

/** A stable UUID for a name within a namespace (config-declared devices keep their id across restarts). */
export function stableUuid(namespace: string, name: string): string {
  return formatUuidV4(createHash('sha256').update(`${namespace}\u0000${name}`).digest().subarray(0, 16))
}
