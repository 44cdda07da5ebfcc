// The `lockstep` command: serve a real site, run the lab, manage API keys.
import { Command } from 'commander'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { ConfigError, loadConfig } from './config.js'
import type { Daemon } from './daemon.js'
import { DB_FILE } from './files.js'
import { cryptoRandom } from './kernel/ids.js'
import { systemClock } from './kernel/clock.js'
import type { Store } from './store/store.js'
import type { KeysApp } from './app/keys.js'
import { registerLabVerbs, registerVerbs } from './cli/verbs.js'
import { backup } from './cli/backup.js'
import { EXIT, explain } from './cli/client.js'
import { announce, chooseDataDir } from './cli/data-dir.js'

function fail(err: unknown): never {
  if (err instanceof ConfigError) {
    process.stderr.write(`lockstep: ${err.message}\n`)
    process.exit(2)
  }
  throw err
}

const LAB_BANNER_WAIT_MS = 3_000

async function run(mode: 'lab' | 'serve', opts: { config?: string }): Promise<void> {
  let daemon: Daemon
  try {
    const config = loadConfig({ mode, path: opts.config })
    // Loaded on demand so the client verbs start fast.
    const { startDaemon } = await import('./daemon.js')
    daemon = await startDaemon(config)
  } catch (err) {
    fail(err)
  }
  // Graceful stop from here on: the API is serving.
  let stopping = false
  const stop = async (signal: string) => {
    if (stopping) return
    stopping = true
    daemon.log.info({ signal }, 'stopping')
    await daemon.stop()
    process.exit(0)
  }
  process.on('SIGINT', () => void stop('SIGINT'))
  process.on('SIGTERM', () => void stop('SIGTERM'))
  process.stdout.write(`lockstep ${mode === 'lab' ? 'lab' : 'site'} API on ${daemon.url} (data in ${daemon.config.data_dir})\n`)
  if (mode === 'lab') {
    // The simulated locks report in within moments of start: let the banner show them as they are.
    const deadline = Date.now() + LAB_BANNER_WAIT_MS
    const waiting = () => !stopping && Date.now() < deadline && daemon.store.devices.list().some((d) => !d.online)
    while (waiting()) await new Promise((r) => setTimeout(r, 50))
    if (!stopping) process.stdout.write(daemon.banner() + '\n')
  }
}

/** Runs a `keys` verb on the chosen data dir's store (said on stderr); never creates one: a new store is the daemon's to make. */
async function withKeys<T>(opts: { config?: string; dataDir?: string }, fn: (keys: KeysApp, dir: string) => T): Promise<T | undefined> {
  let store: Store
  let keys: KeysApp
  let dir: string
  try {
    const choice = chooseDataDir(opts)
    announce(choice)
    dir = choice.dir
    const file = join(dir, DB_FILE)
    if (!existsSync(file)) {
      process.stderr.write(`lockstep: no store at ${file}; start lockstep there first, or point at the right one with --data-dir / LOCKSTEP_DATA_DIR\n`)
      process.exitCode = EXIT.usage
      return undefined
    }
    const { Store } = await import('./store/store.js')
    const { KeysApp } = await import('./app/keys.js')
    store = Store.open(file, systemClock, cryptoRandom)
    keys = new KeysApp(store)
  } catch (err) {
    fail(err)
  }
  try {
    return fn(keys, dir)
  } finally {
    store.close()
  }
}

const program = new Command('lockstep').description('Keeps every lock of a property in step; speaks Seam Connect.')
// Usage errors (unknown option, missing argument) exit 2, as config errors do; help exits 0.
program.exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2))
program.command('serve').description('run the daemon for a real site (config/default.json or LOCKSTEP_CONFIG)')
  .option('-c, --config <path>', 'config file').action((o) => run('serve', o))
const lab = program.command('lab').description('run the daemon with the simulated lab property (what npm start runs); lab verbs below')
  .option('-c, --config <path>', 'config file').action((o) => run('lab', o))
registerLabVerbs(lab)
program.command('simulate').description("run the lab's simulated property on its own, for a daemon in serve mode (docs/lab.md)")
  .option('-c, --config <path>', 'lab config naming the locks, entrances and encoders (default config/lab.json)')
  .option('--state <file>', 'device state file (slots, cards, door stamps)', './data/sim/state.json')
  .option('--fresh', 'start from factory-fresh devices, ignoring the saved state')
  .option('--broker <url>', 'an external MQTT broker instead of the embedded one')
  .option('--mqtt-port <port>', 'port of the embedded broker (0: any free one)', '1884')
  .option('--port <port>', 'port of the control API on 127.0.0.1 (0: any free one)', '3591')
  .option('--data-dir <dir>', "the daemon's data dir: the card locks read commissioning.json and the card keys there", './data/sim-site')
  .option('--link-dir <dir>', "where the encoders' serial links (PTY symlinks) go", './data/sim')
  .option('--site-config <file>', 'write the serve-mode config for the daemon here', './data/sim/site.json')
  .action(async (o) => (await import('./lab/simulate-cli.js')).simulate(o))
program.command('gateway').description('run a stateless fleet gateway: the Seam API of every site behind an MQTT 5 broker (docs/fleet.md)')
  .option('--broker <url>', 'the fleet broker, e.g. mqtts://broker.example:8883 (else gateway.broker in the config)')
  .option('-c, --config <path>', 'config file (its gateway and http sections)')
  .action(async (o) => (await import('./gateway/cli.js')).runGateway(o).catch(fail))
registerVerbs(program)
program.command('backup').description('online backup of the store (safe while the daemon runs); restore = stop, copy over lockstep.db, start')
  .argument('<file>').option('--data-dir <dir>', 'data dir (LOCKSTEP_DATA_DIR; see README for the default)').option('-c, --config <path>').option('-f, --force', 'overwrite <file>')
  .option('--json', 'machine-readable output')
  .action(async (file: string, o: { dataDir?: string; config?: string; force?: boolean; json?: boolean }) => {
    try {
      const choice = chooseDataDir(o)
      announce(choice)
      const r = await backup(choice.dir, file, o)
      process.stdout.write(o.json ? JSON.stringify(r) + '\n' : `backed up ${r.source} (schema ${r.schema_version}, ${r.bytes} bytes) to ${r.file}\n`)
    } catch (err) {
      const e = explain(err)
      process.stderr.write(`lockstep: ${e.message}\n`)
      process.exitCode = e.exitCode
    }
  })

const keys = program.command('keys').description('manage API keys in the data dir (which one: see README; said on stderr)')
const dirOption = (c: Command) => c.option('-c, --config <path>', "use this config's data_dir").option('--data-dir <dir>', 'data dir (LOCKSTEP_DATA_DIR)')
dirOption(keys.command('create')).option('-n, --name <name>', 'a label for the key', 'cli')
  .action((o) => withKeys(o, (keys) => {
    const { key, info } = keys.create(o.name)
    process.stdout.write(`${key}\n`)
    process.stderr.write(`created key ${info.api_key_id} (${o.name}); it is shown only now\n`)
  }))
dirOption(keys.command('list')).option('--json', 'machine-readable output')
  .action((o) => withKeys(o, (keys, dir) => {
    const rows = keys.list()
    if (o.json) return void process.stdout.write(JSON.stringify(rows) + '\n')
    if (rows.length === 0) return void process.stdout.write(`no API keys in ${dir} (lockstep keys create makes one)\n`)
    for (const r of rows) {
      process.stdout.write(`${r.api_key_id}  ${r.hint.padEnd(14)}  ${r.name.padEnd(24)}  ${new Date(r.created_at).toISOString()}  ${r.revoked_at ? 'revoked' : 'active'}\n`)
    }
  }))
dirOption(keys.command('revoke')).argument('<api_key_id>')
  .action((id, o) => withKeys(o, (keys) => {
    const r = keys.revoke(id)
    if ('revoked' in r) process.stdout.write(`revoked ${r.revoked.api_key_id} (${r.revoked.name}, ${r.revoked.hint}); refused from the next request on\n`)
    else if ('alreadyRevoked' in r) process.stdout.write(`${id} (${r.alreadyRevoked.name}) was already revoked at ${new Date(r.alreadyRevoked.revoked_at!).toISOString()}\n`)
    else {
      process.stderr.write(`lockstep: no API key with id ${id} in this data dir (lockstep keys list shows them)\n`)
      process.exitCode = EXIT.api
    }
  }))

await program.parseAsync(process.argv)
