// API keys: the bootstrap key at start, and the `lockstep keys` verbs. Wraps the repository (its caching stays its own).
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Config } from '../config.js'
import { LAB_KEY_FILE } from '../files.js'
import type { ApiKeyInfo, RevokeResult } from '../store/api-keys.js'
import type { Store } from '../store/store.js'

export class KeysApp {
  constructor(private readonly store: Store) {}

  /** A new key: returned once with its id; only its hash is stored. */
  create(name: string): { key: string; info: ApiKeyInfo } {
    const key = this.store.apiKeys.generate()
    const info = this.store.tx(() => this.store.apiKeys.add(key, name))
    return { key, info }
  }

  list(): ApiKeyInfo[] {
    return this.store.apiKeys.list()
  }

  /** The key revoked now, one revoked before, or nothing by that id. */
  revoke(apiKeyId: string): RevokeResult {
    return this.store.tx(() => this.store.apiKeys.revoke(apiKeyId))
  }

  verify(key: string): boolean {
    return this.store.apiKeys.verify(key)
  }
}

/**
 * The bootstrap key: LOCKSTEP_API_KEY if given; else, on a store with no key, a generated one that is
 * printed once (and, in lab mode, written to <data dir>/lab-api-key so the CLI and tests can find it).
 */
export function bootstrapApiKey(store: Store, config: Config, print: (line: string) => void): string | null {
  if (config.api_key) {
    store.tx(() => store.apiKeys.add(config.api_key!, 'bootstrap (LOCKSTEP_API_KEY)'))
    return null
  }
  const labFile = join(config.data_dir, LAB_KEY_FILE)
  if (config.lab && existsSync(labFile)) {
    const key = readFileSync(labFile, 'utf8').trim()
    if (store.apiKeys.verify(key)) return null
  }
  if (store.apiKeys.count() > 0) return null
  const key = store.apiKeys.generate()
  store.tx(() => store.apiKeys.add(key, config.lab ? 'lab' : 'bootstrap'))
  if (config.lab) {
    writeFileSync(labFile, key + '\n', { mode: 0o600 })
    chmodSync(labFile, 0o600)
  }
  print(`API key (shown once; store it now): ${key}`)
  return key
}
