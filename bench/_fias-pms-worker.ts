// The bench's hotel PMS in its own thread, as a real PMS is on its own host: KR sent → KA received is
// timed here, so lockstep's bookkeeping after the answer (its event commit) is not counted as PMS wait.
import { parentPort } from 'node:worker_threads'
import { FiasPmsSimulator } from '../simulators/fias-pms/pms.js'

const sim = new FiasPmsSimulator({ answerTimeoutSec: 60 })
await sim.start()
parentPort!.postMessage({ port: sim.port })
await sim.whenAlive()
parentPort!.postMessage({ alive: true })
parentPort!.on('message', async (m: { id: 'KR'; fields: Array<[string, string]> } | { stop: true }) => {
  if ('stop' in m) {
    await sim.stop()
    parentPort!.close()
    return
  }
  const ex = await sim.request(m.id, m.fields)
  parentPort!.postMessage({ status: ex.status, text: ex.text, elapsedMs: ex.elapsedMs })
})
