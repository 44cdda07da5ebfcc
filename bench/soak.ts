// `npm run soak -- [--kills N] [--codes N] [--clients N] [--locks N] [--seed N]`: the crash soak of
// testkit/soak.ts — a serve-mode daemon against `lockstep simulate`, only the daemon killed with SIGKILL
// at random moments of a code sync. Prints the counts and last `lost=<n> resurrected=<n> unconverged=<n>`
// (goal: all 0); exits 1 when one is not.
import { parseArgs } from 'node:util'
import { runSoak } from '../testkit/soak.js'

const { values } = parseArgs({
  options: {
    kills: { type: 'string', default: '100' },
    codes: { type: 'string', default: '1000' },
    clients: { type: 'string', default: '4' },
    locks: { type: 'string', default: '4' },
    seed: { type: 'string', default: '12345' },
    quiet: { type: 'boolean', default: false },
  },
})
const int = (name: string, raw: string, min: number, max: number): number => {
  const n = Number(raw)
  if (!Number.isInteger(n) || n < min || n > max) {
    process.stderr.write(`soak: --${name} must be an integer ${min}-${max}, got "${raw}"\n`)
    process.exit(2)
  }
  return n
}
const locks = int('locks', values.locks, 1, 20)
const r = await runSoak({
  kills: int('kills', values.kills, 0, 10_000),
  codes: int('codes', values.codes, 1, locks * 990),
  clients: int('clients', values.clients, 1, 64),
  locks,
  seed: int('seed', values.seed, 1, 2 ** 31),
  ...(values.quiet ? {} : { log: (line: string) => process.stderr.write(`soak: ${line}\n`) }),
})
process.stdout.write(
  [
    `kills=${r.kills} creates=${r.creates} updates=${r.updates} deletes=${r.deletes}`,
    `acknowledged=${r.acknowledged} uncertain=${r.uncertain} checks=${r.checks} codes_at_end=${r.codesAtEnd} seconds=${r.seconds}`,
    `lost=${r.lost} resurrected=${r.resurrected} unconverged=${r.unconverged}`,
  ].join('\n') + '\n',
)
process.exit(r.lost || r.resurrected || r.unconverged ? 1 : 0)
