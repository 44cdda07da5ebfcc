// The verdict table of repo.ts as one pure function: what a verdict does to a stored code (its status,
// its PIN after an adoption) and which events it earns, in order. Every ReconcileRepo (the SQLite store,
// the in-memory reference) applies this; each only decides how to store it and what the events carry.
import type { AccessCodeStatus } from '../domain/access-code.js'
import type { CodeVerdict } from './plan.js'

export type VerdictEventType =
  | 'access_code.modified_external_to_seam'
  | 'access_code.deleted_external_to_seam'
  | 'access_code.set_on_device'
  | 'access_code.removed_from_device'
  | 'access_code.failed_to_set_on_device'
  | 'access_code.failed_to_remove_from_device'

export interface VerdictEffect {
  /** null: forget the code (off the lock, no longer desired). */
  status: AccessCodeStatus | null
  /** The PIN the code now has after an adoption; undefined = unchanged. */
  code?: string
  events: VerdictEventType[]
}

export interface StoredCodeFacts {
  code: string | null
  /** The PIN last confirmed on the lock, before this verdict. */
  confirmedCode: string | null
  /** The error codes the code carries before this verdict. */
  errorCodes: ReadonlySet<string>
}

export function verdictEffect(v: CodeVerdict, stored: StoredCodeFacts): VerdictEffect {
  const events: VerdictEventType[] = []
  if (v.external) {
    const adoptedRemoval = v.external.resolution === 'adopt' && v.external.changeType === 'removed'
    events.push(adoptedRemoval ? 'access_code.deleted_external_to_seam' : 'access_code.modified_external_to_seam')
  }
  const wasConfirmed = stored.confirmedCode !== null
  switch (v.kind) {
    case 'set':
      // Newly confirmed with this PIN; an unknown→set flap or a restore of the same PIN is not news.
      if (stored.confirmedCode !== stored.code) events.push('access_code.set_on_device')
      return { status: 'set', events }
    case 'setting':
    case 'externally_modified':
      return { status: 'setting', events }
    case 'adopted':
      // The owner set it, not lockstep: no set_on_device.
      return { status: 'set', ...(v.adoptedCode ? { code: v.adoptedCode } : {}), events }
    case 'removing':
      return { status: 'removing', events }
    case 'unset':
      if (wasConfirmed) events.push('access_code.removed_from_device')
      return { status: 'unset', events }
    case 'unknown':
      return { status: 'unknown', events }
    case 'gone':
      // An adopted external removal was announced by its own event above.
      if (wasConfirmed && !v.external) events.push('access_code.removed_from_device')
      return { status: null, events }
    case 'failed': {
      const clearing = v.errors.some((e) => e.code === 'failed_to_remove_from_device')
      if (v.errors.some((e) => !stored.errorCodes.has(e.code))) {
        events.push(clearing ? 'access_code.failed_to_remove_from_device' : 'access_code.failed_to_set_on_device')
      }
      return { status: clearing ? 'removing' : 'setting', events }
    }
  }
}
