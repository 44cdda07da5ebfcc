// How the CLI finds the daemon and its key, talks to it (the official SDK; plain fetch for /health and
// the lab routes), and turns failures into exit codes: 0 ok, 1 API error, 2 usage/config, 3 unreachable.
import type { SeamHttp } from '@seamapi/http'
import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { LAB_KEY_FILE } from '../files.js'

export const EXIT = { ok: 0, api: 1, usage: 2, unreachable: 3 } as const

export class CliError extends Error {
  constructor(readonly exitCode: number, message: string) {
    super(message)
  }
}

export interface ConnOptions {
  url?: string
  apiKey?: string
  json?: boolean
}

export interface Target {
  url: string
  apiKey: string
  /** The lab key file the key was read from, when it came from the data dir (said on stderr). */
  keyFile?: string
}

export const DEFAULT_URL = 'http://127.0.0.1:3590'

/** Where the client verbs look for the lab's key file: LOCKSTEP_DATA_DIR, else the lab's ./data/lab. */
export function dataDir(env: NodeJS.ProcessEnv = process.env, flag?: string): string {
  return resolve(flag ?? env.LOCKSTEP_DATA_DIR ?? './data/lab')
}

/** --url, LOCKSTEP_URL, default; --api-key, LOCKSTEP_API_KEY, else the lab key file in the data dir. */
export function resolveTarget(o: ConnOptions, env: NodeJS.ProcessEnv = process.env): Target {
  const url = (o.url ?? env.LOCKSTEP_URL ?? DEFAULT_URL).replace(/\/+$/, '')
  if (!/^https?:\/\/[^/]+/.test(url)) throw new CliError(EXIT.usage, `--url: expected http://host:port, got "${url}"`)
  let apiKey = o.apiKey ?? env.LOCKSTEP_API_KEY
  if (!apiKey) {
    const file = join(dataDir(env), LAB_KEY_FILE)
    try {
      apiKey = readFileSync(file, 'utf8').trim()
    } catch {
      throw new CliError(EXIT.usage, `no API key: pass --api-key, set LOCKSTEP_API_KEY, or run the lab so ${file} exists`)
    }
    return { url, apiKey, keyFile: file }
  }
  return { url, apiKey }
}

/** The SDK is loaded on first use: `lockstep serve` never needs it, and it costs ~30 MiB of memory. */
let seamSdk: typeof import('@seamapi/http') | undefined

export async function sdk(t: Target): Promise<SeamHttp> {
  seamSdk ??= await import('@seamapi/http')
  try {
    return seamSdk.SeamHttp.fromApiKey(t.apiKey, { endpoint: t.url })
  } catch (err) {
    if (err instanceof seamSdk.SeamHttpInvalidTokenError) throw new CliError(EXIT.usage, `the API key is malformed: ${err.message}`)
    throw err
  }
}

/** A plain authenticated call in Seam's style (POST, JSON body, envelope) — for the lab routes. */
export async function post(t: Target, path: string, params: Record<string, unknown>): Promise<Record<string, unknown>> {
  let res: Response
  try {
    res = await fetch(t.url + path, {
      method: 'POST',
      headers: { authorization: `Bearer ${t.apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(params),
    })
  } catch (err) {
    throw unreachable(t, err)
  }
  const body = (await res.json().catch(() => null)) as { ok?: boolean; error?: { type?: string; message?: string } } | null
  if (!res.ok || !body || body.ok === false) {
    const type = body?.error?.type ?? `http_${res.status}`
    if (type === 'route_not_found') throw new CliError(EXIT.api, `${path} is not available on this daemon (route_not_found)`)
    throw new CliError(EXIT.api, `${type}: ${body?.error?.message ?? `HTTP ${res.status}`}`)
  }
  return body as Record<string, unknown>
}

export async function getHealth(t: Pick<Target, 'url'>): Promise<Record<string, unknown>> {
  try {
    const res = await fetch(t.url + '/health')
    return (await res.json()) as Record<string, unknown>
  } catch (err) {
    throw unreachable(t, err)
  }
}

function unreachable(t: Pick<Target, 'url'>, err: unknown): CliError {
  const cause = (err as { cause?: { code?: string } })?.cause?.code ?? (err as { code?: string })?.code ?? (err as Error)?.message
  return new CliError(EXIT.unreachable, `cannot reach the lockstep daemon at ${t.url} (${cause}); is it running? (--url / LOCKSTEP_URL)`)
}

/** Maps anything a verb throws to a message on stderr and an exit code. */
export function explain(err: unknown, t?: Pick<Target, 'url'>): CliError {
  if (err instanceof CliError) return err
  // Without the SDK loaded, nothing thrown can be one of its errors.
  const { SeamHttpApiError, SeamActionAttemptError, SeamHttpInvalidTokenError } = seamSdk ?? {}
  if (SeamHttpApiError && err instanceof SeamHttpApiError) {
    if (err.code === 'route_not_found') {
      return new CliError(EXIT.api, `this daemon does not serve that route yet (${err.message})`)
    }
    return new CliError(EXIT.api, `${err.code}: ${err.message}`)
  }
  if (SeamActionAttemptError && err instanceof SeamActionAttemptError) {
    const a = err.actionAttempt as { action_attempt_id?: string; error?: { type?: string } | null }
    return new CliError(EXIT.api, `action attempt ${a.action_attempt_id ?? ''} failed: ${a.error?.type ?? ''} ${err.message}`.trim())
  }
  if (SeamHttpInvalidTokenError && err instanceof SeamHttpInvalidTokenError) return new CliError(EXIT.usage, `the API key is malformed: ${err.message}`)
  const e = err as { isAxiosError?: boolean; response?: unknown; code?: string; message?: string }
  if (e?.isAxiosError && !e.response) return unreachable(t ?? { url: '?' }, err)
  if (e?.isAxiosError) return new CliError(EXIT.api, `unexpected answer from the daemon: ${e.message}`)
  if (err instanceof TypeError) return new CliError(EXIT.usage, err.message)
  return new CliError(EXIT.api, (err as Error)?.message ?? String(err))
}
