// The crash soak, small (npm run soak runs 100 kills of a 1,000-code sync): a serve-mode daemon against
// `lockstep simulate`, only the daemon killed with SIGKILL 10 times with creates, updates and deletes in
// flight. Nothing acknowledged is lost, nothing deleted comes back, every lock ends with exactly its codes.
import { describe, expect, test } from 'vitest'
import { findMosquitto } from '../../testkit/mosquitto.js'
import { runSoak } from '../../testkit/soak.js'
import { socatAvailable } from '../helpers/socat.js'

const required = process.env.LOCKSTEP_REQUIRE_SYSTEM_TIER === '1'
// The soak needs neither, but it belongs to the system tier and runs where the tier runs.
const skip = (!findMosquitto() || !socatAvailable) && !required

describe.skipIf(skip)('crash soak (10 kills)', () => {
  test('lost=0 resurrected=0 unconverged=0', async () => {
    const lines: string[] = []
    const r = await runSoak({ kills: 10, codes: 200, clients: 4, locks: 3, seed: 20_261_205, log: (l) => lines.push(l) })
    expect(r.kills).toBe(10)
    expect(r.creates).toBe(200)
    expect(r.updates + r.deletes).toBeGreaterThan(0)
    // Requests really were cut off by the kills (otherwise the soak proves nothing about in-flight changes).
    expect(r.uncertain).toBeGreaterThan(0)
    expect({ lost: r.lost, resurrected: r.resurrected, unconverged: r.unconverged }, lines.join('\n')).toEqual({ lost: 0, resurrected: 0, unconverged: 0 })
  }, 170_000)
})
