// Bench: N hotel check-ins with K keys each through the FIAS link (the PMS simulator in its own thread, as a
// PMS is on its own host → loopback TCP → lockstep's FIAS client → src/app → the lab's PN532 encoder
// simulator at 115200 Bd), a fresh blank card laid on the encoder before each key request (KTN, then KTD).
// Per key: KR sent → KA received, timed by the PMS. The floor: the same encodes through
// POST /access_methods/encode (in-process inject) on grants made beforehand (encode request → attempt ended). Check-ins and
// floor keys alternate so machine load hits both alike. Last line ratio=<FIAS per key ÷ direct per key>
// on medians (one scheduler stall on a shared machine does not decide it).
//
//   npm run bench -- fias [--checkins 100] [--keys 2]
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { Worker } from 'node:worker_threads'
import { loadConfig } from '../src/config.js'
import { startDaemon } from '../src/daemon.js'
import { createLogger } from '../src/log.js'

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`)
  return i > 0 ? Number(process.argv[i + 1]) : fallback
}
const CHECKINS = arg('checkins', 100)
const KEYS = arg('keys', 2)
const KEY = 'seam_bench_fias_key_0001'

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'lockstep-bench-fias-'))
  const env = { LOCKSTEP_DATA_DIR: dir, LOCKSTEP_HTTP_PORT: '0', LOCKSTEP_MQTT_PORT: '0', LOCKSTEP_API_KEY: KEY }
  // tsx's loader is registered in the worker itself (Node 20 workers do not inherit --import hooks).
  const script = new URL('./_fias-pms-worker.ts', import.meta.url).href
  const worker = new Worker(`import('tsx/esm/api').then((t) => { t.register(); return import(${JSON.stringify(script)}) })`, { eval: true })
  const messages: Array<(m: any) => void> = []
  worker.on('message', (m) => messages.shift()?.(m))
  worker.on('error', (e) => {
    console.error(e)
    process.exit(1)
  })
  const next = () => new Promise<any>((r) => messages.push(r))
  const port = (await next()).port as number
  const alive = next()
  // A PMS elsewhere (as LOCKSTEP_FIAS_URL would name it): the lab runs no PMS of its own.
  const config = loadConfig({ mode: 'lab', env: { ...env, LOCKSTEP_FIAS_URL: `tcp://127.0.0.1:${port}` } })
  const d = await startDaemon({ ...config, fias: { ...config.fias!, answer_timeout_seconds: 60 } }, { log: createLogger('silent'), print: () => {} })
  const request = (fields: Array<[string, string]>) => {
    const answer = next()
    worker.postMessage({ id: 'KR', fields })
    return answer as Promise<{ status: string | null; text: string | null; elapsedMs: number }>
  }
  try {
    const cards = d.lab!.control.cards!
    await alive
    const encoderId = d.useCases.acs.encoders()[0]!.acsEncoderId
    const rooms = d.useCases.acs.entrances().filter((e) => e.canBelongToReservation)
    const now = d.clock.now()
    const yymmdd = (ms: number) => new Date(ms).toISOString().slice(2, 10).replace(/-/g, '')
    const fias: number[] = []
    const direct: number[] = []

    for (let i = 0; i < CHECKINS; i++) {
      // FIAS: a real check-in, KTN then KTD after each answer, a blank card on the encoder for each.
      for (let k = 0; k < KEYS; k++) {
        const card = cards.create().card_id
        cards.placeOnEncoder(encoderId, card)
        const ex = await request([
          ['WS', 'FO-PC1'], ['KC', '1'], ['RN', String(101 + (i % 3))], ['KT', k === 0 ? 'N' : 'D'], ['G#', String(300_000 + i)],
          ['GA', yymmdd(now)], ['GD', yymmdd(now + 2 * 86_400_000)], ['DT', '11:00'], ['GN', `Guest ${i}`],
        ])
        cards.removeFromEncoder(encoderId)
        if (ex.status !== 'OK') throw new Error(`check-in ${i} key ${k + 1}: ${ex.status} ${ex.text}`)
        fias.push(ex.elapsedMs)
      }
      // Floor: the same number of encodes through access_methods/encode, grants made beforehand (untimed).
      for (let k = 0; k < KEYS; k++) {
        const grant = d.useCases.accessGrants.create({
          userIdentity: { fullName: `Direct ${i}.${k}` }, requested: [{ mode: 'card' }],
          targets: { acsEntranceIds: [rooms[i % rooms.length]!.acsEntranceId] }, startsAt: now, endsAt: now + 2 * 86_400_000,
          name: null, accessGrantKey: null, reservationKey: `direct-${i}`,
        })
        const method = d.useCases.accessGrants.methodsOf(grant.accessGrantId).find((m) => m.mode === 'card')!
        const card = cards.create().card_id
        cards.placeOnEncoder(encoderId, card)
        const t0 = performance.now()
        // In-process (fastify inject): the route's own cost without a socket, so the floor is a floor.
        const res = await d.app.inject({
          method: 'POST', url: '/access_methods/encode', headers: { authorization: `Bearer ${KEY}` },
          payload: { access_method_id: method.accessMethodId, acs_encoder_id: encoderId },
        })
        const body = res.json() as { action_attempt: { action_attempt_id: string } }
        const attempt = await d.cardEncoding.settled(body.action_attempt.action_attempt_id)
        direct.push(performance.now() - t0)
        cards.removeFromEncoder(encoderId)
        if (attempt.status !== 'success') throw new Error(`direct encode ${i}.${k}: ${JSON.stringify(attempt.error)}`)
      }
    }
    console.log(`checkins=${CHECKINS} keys_per_checkin=${KEYS} keys=${fias.length}`)
    console.log(`fias_ms_per_key_mean=${mean(fias).toFixed(2)} fias_ms_per_key_median=${median(fias).toFixed(2)}`)
    console.log(`direct_ms_per_key_mean=${mean(direct).toFixed(2)} direct_ms_per_key_median=${median(direct).toFixed(2)}`)
    console.log(`ratio_mean=${(mean(fias) / mean(direct)).toFixed(3)}`)
    console.log(`ratio=${(median(fias) / median(direct)).toFixed(3)}`)
  } finally {
    worker.postMessage({ stop: true })
    await d.stop()
    await worker.terminate()
    rmSync(dir, { recursive: true, force: true })
  }
}

main().catch((e: unknown) => {
  console.error(e)
  process.exit(1)
})
