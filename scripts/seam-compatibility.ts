// docs/seam-compatibility.md, generated so it cannot drift: every Seam route of the groups a lock integrator
// uses (from @seamapi/types' OpenAPI) against lockstep's route table (the routes a daemon registers) and its
// refused-parameter table. `npm run docs:seam` writes the file; test/ops/seam-compatibility-doc.test.ts fails
// when the committed file differs. Routes lockstep does not serve say why, from ROUTE_NOTES below.
//
//   npm run docs:seam
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { loadConfig } from '../src/config.js'
import { startDaemon } from '../src/daemon.js'
import { createLogger } from '../src/log.js'
import { PACKAGE_ROOT } from '../src/package-root.js'
import { registeredRoutes } from '../src/api/route.js'
import { REFUSED_PARAMS } from '../src/api/refused-params.js'

export const DOC_PATH = join(PACKAGE_ROOT, 'docs', 'seam-compatibility.md')

/** The route groups of issue 15 §6: what a lock integrator touches. */
export const SEAM_GROUPS = [
  '/access_codes/', '/devices/', '/locks/', '/events/', '/action_attempts/', '/spaces/', '/user_identities/', '/access_grants/',
  '/access_methods/', '/acs/entrances/', '/acs/encoders/', '/acs/credentials/', '/acs/systems/', '/customers/', '/webhooks/',
  '/client_sessions/', '/connected_accounts/', '/workspaces/',
] as const

type OpenApi = { info: { version: string }; paths: Record<string, Record<string, any>> }

/** Seam's OpenAPI document: @seamapi/types' `connect` export, which lives beside the seam-schemas workspace package (zod 3). */
export function loadSeamOpenApi(): OpenApi {
  const here = createRequire(import.meta.url)
  const beside = createRequire(here.resolve('seam-schemas'))
  return beside('@seamapi/types/connect').openapi as OpenApi
}

export function seamTypesVersion(): string {
  const here = createRequire(import.meta.url)
  const connect = createRequire(here.resolve('seam-schemas')).resolve('@seamapi/types/connect') // <pkg>/dist/connect.cjs
  return (JSON.parse(readFileSync(join(dirname(connect), '..', 'package.json'), 'utf8')) as { version: string }).version
}

/** The Seam routes in SEAM_GROUPS, sorted. */
export function seamRoutes(openapi: OpenApi): string[] {
  return Object.keys(openapi.paths).filter((p) => SEAM_GROUPS.some((g) => p.startsWith(g))).sort()
}

/** A route's top-level request parameters (every branch of a oneOf), with their OpenAPI schemas. */
export function seamParams(openapi: OpenApi, path: string): Record<string, any> {
  const ops = openapi.paths[path] ?? {}
  const op = ops.post ?? Object.values(ops)[0]
  const out: Record<string, any> = {}
  const collect = (s: any) => {
    if (!s) return
    Object.assign(out, s.properties ?? {})
    for (const k of ['oneOf', 'anyOf', 'allOf']) for (const sub of s[k] ?? []) collect(sub)
  }
  collect(op?.requestBody?.content?.['application/json']?.schema)
  for (const p of op?.parameters ?? []) out[p.name] ??= p.schema ?? {}
  return out
}

export interface LockstepRoute {
  path: string
  methods: string[]
}

/** The Seam-style routes a daemon registers (a throwaway serve-mode daemon on loopback: no radios, no lab). */
export async function lockstepRoutes(): Promise<LockstepRoute[]> {
  const dataDir = mkdtempSync(join(tmpdir(), 'lockstep-docs-'))
  const env = { LOCKSTEP_DATA_DIR: dataDir, LOCKSTEP_HTTP_PORT: '0', LOCKSTEP_HTTP_HOST: '127.0.0.1', LOCKSTEP_API_KEY: 'seam_docs_generator_key_0001', LOCKSTEP_MQTT_PORT: '0' }
  const daemon = await startDaemon(loadConfig({ mode: 'serve', env }), { log: createLogger('silent'), print: () => {} })
  try {
    return registeredRoutes(daemon.app).map((r) => ({ path: r.path, methods: [...r.methods] }))
  } finally {
    await daemon.stop()
    rmSync(dataDir, { recursive: true, force: true })
  }
}

type Status = 'refused' | 'not applicable'
const NOT_YET = (what: string): [Status, string] => ['refused', `not implemented yet (${what}); answers 404 route_not_found`]
const SIMULATION: [Status, string] = ['not applicable', "Seam sandbox simulation; lockstep's lab simulates the hardware itself (`/lab/*` routes in lab mode)"]
const ONE_WORKSPACE: [Status, string] = ['not applicable', 'one box is one workspace (the site); it is configured on the box']
const UNMANAGED_CLOUD: [Status, string] = ['not applicable', 'unmanaged resources come from Seam cloud integrations; everything on the box is managed by it']
const NO_ACS_USERS: [Status, string] = ['not applicable', 'lockstep has no ACS users: cards belong to access grants and are encoded with access_methods/encode']
const ACCOUNTS: [Status, string] = ['not applicable', 'radios and drivers are configured on the box, not connected through Seam']

/** Why a Seam route is not served; longest matching prefix wins. Every unserved route must match one. */
const ROUTE_NOTES: Record<string, [Status, string]> = {
  '/access_codes/simulate/': SIMULATION,
  '/access_codes/get_timeline': ['refused', 'undocumented Seam route; not implemented'],
  '/access_codes/pull_backup_access_code': NOT_YET('backup code pools, issue 15 §2'),
  '/access_codes/report_device_constraints': NOT_YET('issue 15 §2'),
  '/access_codes/unmanaged/update': NOT_YET('issue 15 §2'),
  '/access_codes/update_multiple': NOT_YET('issue 15 §2'),
  '/access_grants/get_related': NOT_YET('issue 15 §3'),
  '/access_grants/request_access_methods': NOT_YET('issue 15 §3'),
  '/access_grants/unmanaged/': UNMANAGED_CLOUD,
  '/access_methods/assign_card': ['not applicable', 'cards are written by the box\'s encoder (access_methods/encode), not assigned from a pre-encoded stock'],
  '/access_methods/get_related': ['refused', 'not implemented; use access_grants/get and access_methods/list'],
  '/access_methods/unlock_door': ['not applicable', 'mobile and cloud keys are not supported: offline card locks cannot be opened remotely'],
  '/access_methods/unmanaged/': UNMANAGED_CLOUD,
  '/acs/credentials/delete': NOT_YET('issue 15 §3'),
  '/acs/credentials/get': NOT_YET('issue 15 §3'),
  '/acs/credentials/list': NOT_YET('issue 15 §3'),
  '/acs/credentials/': NO_ACS_USERS,
  '/acs/encoders/scan_to_assign_credential': NO_ACS_USERS,
  '/acs/encoders/simulate/': SIMULATION,
  '/acs/entrances/grant_access': NO_ACS_USERS,
  '/acs/entrances/list_credentials_with_access': ['refused', 'not implemented; acs/credentials/list (issue 15 §3) lists cards with their entrances'],
  '/acs/entrances/unlock': ['not applicable', 'offline card locks have no radio: they cannot be unlocked remotely'],
  '/acs/systems/list_compatible_credential_manager_acs_systems': ['not applicable', 'no credential-manager ACS systems on an edge box'],
  '/acs/systems/report_devices': ['not applicable', 'Seam Bridge reporting; the box reads its locks itself'],
  '/action_attempts/list': NOT_YET('issue 15 §3'),
  '/client_sessions/': NOT_YET('issue 15 §4'),
  '/connected_accounts/get': NOT_YET('issue 15 §3'),
  '/connected_accounts/list': NOT_YET('issue 15 §3'),
  '/connected_accounts/': ACCOUNTS,
  '/customers/create_portal': ['not applicable', 'the customer portal is a Seam cloud web app'],
  '/customers/reservations/create_deep_link': ['not applicable', 'undocumented Seam cloud route (portal deep links)'],
  '/devices/delete': ['not applicable', 'undocumented; devices come from the site config: remove the lock there'],
  '/devices/list_device_providers': ['not applicable', 'providers are the drivers built into the box'],
  '/devices/report_provider_metadata': ['not applicable', 'Seam cloud provider reporting'],
  '/devices/simulate/': SIMULATION,
  '/devices/unmanaged/': UNMANAGED_CLOUD,
  '/devices/update': NOT_YET('issue 15 §3'),
  '/locks/configure_auto_lock': ['refused', 'not implemented: the lock drivers do not expose auto-lock settings'],
  '/locks/simulate/': SIMULATION,
  '/spaces/add_connected_account': ['not applicable', 'spaces group doors; radios are not connected accounts'],
  '/spaces/get_related': NOT_YET('issue 15 §3'),
  '/spaces/remove_connected_account': ['not applicable', 'spaces group doors; radios are not connected accounts'],
  '/user_identities/add_acs_user': NO_ACS_USERS,
  '/user_identities/enrollment_automations/': ['not applicable', 'credential-manager enrollment (undocumented) is a Seam cloud feature'],
  '/user_identities/generate_instant_key': ['not applicable', 'instant keys (mobile keys) are not supported by offline card locks'],
  '/user_identities/grant_access_to_device': NOT_YET('issue 15 §3'),
  '/user_identities/list_accessible_devices': NOT_YET('issue 15 §3'),
  '/user_identities/list_accessible_entrances': NOT_YET('issue 15 §3'),
  '/user_identities/list_acs_systems': NO_ACS_USERS,
  '/user_identities/list_acs_users': NO_ACS_USERS,
  '/user_identities/remove_acs_user': NO_ACS_USERS,
  '/user_identities/revoke_access_to_device': NOT_YET('issue 15 §3'),
  '/user_identities/unmanaged/': UNMANAGED_CLOUD,
  '/webhooks/': NOT_YET('webhooks, issue 14'),
  '/workspaces/customization_profiles/': ['not applicable', 'instant-key branding is a Seam cloud feature'],
  '/workspaces/find_anything': ['not applicable', 'undocumented Seam cloud search'],
  '/workspaces/get': NOT_YET('issue 15 §3'),
  '/workspaces/': ONE_WORKSPACE,
}

export function routeNote(path: string): [Status, string] | undefined {
  const key = Object.keys(ROUTE_NOTES).filter((k) => path === k || (k.endsWith('/') && path.startsWith(k))).sort((a, b) => b.length - a.length)[0]
  return key ? ROUTE_NOTES[key] : undefined
}

/** lockstep's additions to Seam's resources: only under `lockstep_` keys (issue 15 §5). */
export const LOCKSTEP_FIELDS: Record<string, string> = {
  'device.properties.lockstep_metadata': 'driver (zigbee2mqtt, nuki-ble…) and the device\'s native id on that driver',
  'access_grant.lockstep_metadata': 'the doors the grant resolves to (device_ids, acs_entrance_ids), reservation door sets, source (api or customers/push_data) and customer_key',
  'access_method.lockstep_metadata': 'access_grant_id, its access codes and doors; for cards: card uid, acs_credential_id and the encoded window and entrances',
  'space.lockstep_metadata': 'device_ids and acs_entrance_ids of the space',
  'user_identity.lockstep_metadata': 'customer_key of a user identity pushed with customers/push_data',
  'acs_encoder.lockstep_metadata': 'is_online: whether the encoder answers now',
  'access_grant.warnings.lockstep_acs_entrance_ids': 'on underprovisioned_access: the entrances the grant cannot reach',
  'access_grant.warnings.lockstep_device_ids': 'on underprovisioned_access: the locks the grant cannot reach',
  'event.lockstep_warnings': 'on access_method.deleted: an issued card that keeps opening its doors (offline locks cannot be told)',
}

/** Seam fields newer than the pinned @seamapi/types (Seam's docs, or @seamapi/http 2.32's bundled types). */
export const NEWER_SEAM_FIELDS: Record<string, string> = {
  'access_code.appearance': 'the name as the lock shows it (Seam documentation)',
  'access_code.display_status': 'display-only status (@seamapi/http 2.32 types)',
  'access_grant.display_status': 'display-only status (@seamapi/http 2.32 types)',
  'access_method.display_status': 'display-only status (@seamapi/http 2.32 types)',
  'user_identity.merged_user_identity_ids': 'always empty: identities are not merged (@seamapi/http 2.32 types)',
  'user_identity.merged_user_identity_keys': 'always empty (@seamapi/http 2.32 types)',
}

function cell(s: string): string {
  return s.replaceAll('|', '\\|').replaceAll('\n', ' ')
}

export function renderCompatibility(openapi: OpenApi, routes: LockstepRoute[], typesVersion: string): string {
  const served = new Map(routes.map((r) => [r.path, r]))
  const lines: string[] = []
  const all = seamRoutes(openapi)
  const rows = all.map((path) => {
    const r = served.get(path)
    if (r) {
      const refused = Object.entries(REFUSED_PARAMS[path] ?? {}).map(([p, rule]) =>
        typeof rule !== 'string' && rule.when ? `\`${p}\` (${rule.values ?? 'some values'})` : `\`${p}\``)
      return { path, status: 'implemented', note: refused.length ? `parameters refused with a 400: ${refused.join(', ')}` : 'every parameter honoured' }
    }
    const note = routeNote(path)
    if (!note) throw new Error(`scripts/seam-compatibility.ts: no ROUTE_NOTES entry says why ${path} is not served`)
    return { path, status: note[0], note: note[1] }
  })
  const count = (s: string) => rows.filter((r) => r.status === s).length
  lines.push(
    '# Seam API compatibility',
    '',
    '<!-- Generated by scripts/seam-compatibility.ts (npm run docs:seam). Do not edit by hand: test/ops/seam-compatibility-doc.test.ts fails when this file differs. -->',
    '',
    `Every route of Seam Connect's OpenAPI (\`@seamapi/types\` ${typesVersion}) in the groups a lock integrator uses, against the`,
    'routes lockstep serves. A route that is not served answers 404 `route_not_found`; a parameter that is not honoured',
    'answers 400 `invalid_input` naming it (design rule 11); the refusals live in `src/api/refused-params.ts`, and',
    '`test/conformance/seam-parameters.test.ts` walks every parameter of every implemented route.',
    '',
    `${all.length} routes: ${count('implemented')} implemented, ${count('refused')} refused, ${count('not applicable')} not applicable on an edge box.`,
    '',
  )
  for (const group of SEAM_GROUPS) {
    const inGroup = rows.filter((r) => r.path.startsWith(group))
    if (!inGroup.length) continue
    lines.push(`## ${group.slice(1, -1)}`, '', '| route | status | notes |', '| --- | --- | --- |')
    for (const r of inGroup) lines.push(`| \`${r.path}\` | ${r.status} | ${cell(r.note)} |`)
    lines.push('')
  }
  lines.push('## Refused parameters of implemented routes', '', '| route | parameter | refused values | why |', '| --- | --- | --- | --- |')
  for (const path of all.filter((p) => served.has(p))) {
    for (const [param, rule] of Object.entries(REFUSED_PARAMS[path] ?? {})) {
      const [values, why] = typeof rule === 'string' ? ['any', rule] : [rule.when ? rule.values ?? 'some' : 'any', rule.reason]
      lines.push(`| \`${path}\` | \`${param}\` | ${cell(values)} | ${cell(why)} |`)
    }
  }
  lines.push('')
  const extensions = routes.filter((r) => !openapi.paths[r.path]).map((r) => r.path).sort()
  lines.push('## lockstep extensions', '', 'Routes lockstep adds (not in Seam\'s API); `/openapi.json` on the box documents them with the implemented Seam routes.', '')
  for (const p of extensions) lines.push(`- \`${p}\``)
  lines.push('', '## Fields lockstep adds to Seam resources', '',
    "Responses carry Seam's fields as `@seamapi/types` defines them; what lockstep adds sits only under `lockstep_` keys",
    "(the SDK's zod schemas strip them; raw HTTP clients see them):", '', '| where | what |', '| --- | --- |')
  for (const [where, what] of Object.entries(LOCKSTEP_FIELDS)) lines.push(`| \`${where}\` | ${cell(what)} |`)
  lines.push('', 'Fields Seam documents that `@seamapi/types` ' + typesVersion + ' does not define yet, emitted as Seam describes them:', '')
  for (const [where, what] of Object.entries(NEWER_SEAM_FIELDS)) lines.push(`- \`${where}\`: ${what}`)
  lines.push('')
  return lines.join('\n')
}

export async function generateCompatibilityDoc(): Promise<string> {
  return renderCompatibility(loadSeamOpenApi(), await lockstepRoutes(), seamTypesVersion())
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  writeFileSync(DOC_PATH, await generateCompatibilityDoc())
  console.log(`wrote ${DOC_PATH}`)
}
