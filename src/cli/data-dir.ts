// Which data dir a CLI verb that opens the store uses, and why — said on stderr so --json stays clean.
// Rule (README "The lockstep command"): --data-dir; else LOCKSTEP_DATA_DIR; else the data_dir of --config /
// LOCKSTEP_CONFIG (a site); else the lab's data dir (config/lab.json, ./data/lab: what `npm start` uses) when
// it holds a store; else the site default of config/default.json (/var/lib/lockstep).
import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { loadConfig } from '../config.js'
import { DB_FILE } from '../files.js'

export interface DataDirChoice {
  dir: string
  /** Why this one, for the stderr line. */
  source: string
}

export function chooseDataDir(o: { dataDir?: string; config?: string }, env: NodeJS.ProcessEnv = process.env): DataDirChoice {
  if (o.dataDir) return { dir: resolve(o.dataDir), source: '--data-dir' }
  if (env.LOCKSTEP_DATA_DIR) return { dir: resolve(env.LOCKSTEP_DATA_DIR), source: 'LOCKSTEP_DATA_DIR' }
  const configPath = o.config ?? env.LOCKSTEP_CONFIG
  if (configPath) {
    const c = loadConfig({ mode: 'serve', env, path: configPath })
    return { dir: c.data_dir, source: `data_dir of ${c.config_path}` }
  }
  const lab = loadConfig({ mode: 'lab', env })
  if (existsSync(join(lab.data_dir, DB_FILE))) return { dir: lab.data_dir, source: "the lab's data dir (what npm start uses)" }
  const site = loadConfig({ mode: 'serve', env })
  return { dir: site.data_dir, source: `data_dir of ${site.config_path} (no lab store in ./data/lab)` }
}

export function announce(choice: DataDirChoice): void {
  process.stderr.write(`lockstep: data dir ${choice.dir} (${choice.source})\n`)
}
