// `npm run bench -- <name> [options]` runs bench/<name>.ts with the options; with no name, lists them
// (convergence, encode, push-data, ble, idle-writes, fleet, … — every bench/*.ts not starting with `_`).
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const available = readdirSync(here).filter((f) => f.endsWith('.ts') && f !== 'run.ts' && !f.includes('-floor') && !f.startsWith('_')).map((f) => f.slice(0, -3))
const [name, ...args] = process.argv.slice(2)
if (!name || !existsSync(join(here, `${name}.ts`))) {
  process.stderr.write(`usage: npm run bench -- <${available.join('|')}> [options]\n`)
  process.exit(name ? 2 : 0)
}
const r = spawnSync(process.execPath, ['--import', 'tsx', join(here, `${name}.ts`), ...args], { stdio: 'inherit' })
process.exit(r.status ?? 1)
