// lockstep's FIAS link client against the PMS simulator over loopback TCP: start-up, frames split across
// reads, link dropped mid-request → reconnect and re-init with the lost request never answered late,
// PMS restart (LS again) → re-init. The key service here is a stand-in that waits for a signal.
import { afterEach, describe, expect, it } from 'vitest'
import { systemClock } from '../../../src/kernel/clock.js'
import { codePage } from '../../../src/fias/code-page.js'
import { KeyDesk, type KeyService } from '../../../src/fias/key-desk.js'
import type { KeyAnswer, KeyRequest } from '../../../src/fias/key-records.js'
import { FiasLinkClient } from '../../../src/fias/link-client.js'
import { realTimers } from '../../../src/reconcile/reconciler.js'
import { FiasPmsSimulator } from '../../../simulators/fias-pms/pms.js'
import { eventually } from '../../helpers/eventually.js'

interface Held {
  request: KeyRequest
  signal: AbortSignal
  finish: (a: KeyAnswer) => void
}

const stops: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const s of stops.splice(0).reverse()) await s()
})

async function setup(opts: { hold?: boolean; answerTimeoutSec?: number } = {}) {
  const pms = new FiasPmsSimulator({ answerTimeoutSec: opts.answerTimeoutSec ?? 5 })
  await pms.start()
  stops.push(() => pms.stop())
  const held: Held[] = []
  const service: KeyService = {
    handle: (request, signal) =>
      opts.hold
        ? new Promise((finish) => held.push({ request, signal, finish }))
        : Promise.resolve({ status: 'OK', text: `Key for ${'room' in request ? request.room : '?'} OK` }),
  }
  let timeoutSec = 10
  const desk = new KeyDesk(service, { clock: systemClock, timers: realTimers, answerTimeoutMs: () => timeoutSec * 1000 })
  const connections: Array<{ up: boolean; reason?: string }> = []
  const client = new FiasLinkClient(
    { url: pms.url, page: codePage('cp850'), clock: systemClock, timers: realTimers, backoffMs: 50, maxBackoffMs: 200 },
    {
      request: (rec, reply) => desk.handle(rec, reply),
      answerTimeout: (s) => (timeoutSec = s),
      connection: (up, reason) => connections.push(reason === undefined ? { up } : { up, reason }),
      state: (s) => {
        if (s !== 'alive') desk.abortAll(`link ${s}`)
      },
    },
  )
  client.start()
  stops.push(() => client.stop())
  await pms.whenAlive()
  await eventually(() => expect(client.state).toBe('alive'))
  return { pms, client, desk, held, connections, timeout: () => timeoutSec }
}

const checkin = (room: string, g: string) => ({ room, guest: 'Smith, John', reservation: g, keys: 1 })

describe('FIAS link over TCP', () => {
  it('starts up as the PMS expects: LD, the five LR records, LA; takes the DLS timeout from LC A0', async () => {
    const { pms, timeout } = await setup({ answerTimeoutSec: 7 })
    expect(pms.linkRecords.map((r) => r.id)).toEqual(['LD', 'LR', 'LR', 'LR', 'LR', 'LR'])
    expect(pms.linkRecords.slice(1).map((r) => r.fields[0]![1])).toEqual(['KR', 'KD', 'KM', 'KA', 'KZ'])
    await eventually(() => expect(timeout()).toBe(7))
    const [ex] = await pms.checkin(checkin('101', '123456'))
    expect(ex).toMatchObject({ status: 'OK', text: 'Key for 101 OK' })
  })

  it('reads requests the PMS writes one byte at a time, and several frames in one write', async () => {
    const { pms } = await setup()
    const split = await pms.request('KR', [['WS', 'FO-PC1'], ['KC', '1'], ['RN', '102'], ['KT', 'N'], ['G#', '9']], { chunkBytes: 1 })
    expect(split).toMatchObject({ status: 'OK', text: 'Key for 102 OK' })
    const [a, b] = await Promise.all([pms.checkin({ ...checkin('101', '7'), encoder: '1' }), pms.checkin({ ...checkin('103', '8'), encoder: '2' })])
    expect([a![0]!.text, b![0]!.text]).toEqual(['Key for 101 OK', 'Key for 103 OK'])
  })

  it('link dropped mid-request: reconnects, re-inits, cancels the attempt, and never answers it late', async () => {
    const { pms, held, connections } = await setup({ hold: true })
    const startups = pms.startups
    const pending = pms.checkin(checkin('101', '1'))
    await eventually(() => expect(held).toHaveLength(1))
    pms.dropConnection()
    expect((await pending)[0]!.answer).toBeNull()
    await eventually(() => expect(pms.startups).toBe(startups + 1))
    expect(held[0]!.signal.aborted).toBe(true)
    held[0]!.finish({ status: 'OK', text: 'made too late' })
    expect(connections.some((c) => c.up === false)).toBe(true)
    // A new request on the new link is answered; the old one never shows up.
    const again = pms.checkin(checkin('101', '1'))
    await eventually(() => expect(held).toHaveLength(2))
    held[1]!.finish({ status: 'OK', text: 'Key 1 OK' })
    expect((await again)[0]).toMatchObject({ status: 'OK', text: 'Key 1 OK' })
    expect(pms.lateAnswers).toEqual([])
    expect(pms.log.filter((l) => l.text.includes('made too late'))).toEqual([])
  })

  it('PMS restart (LS again on the link): lockstep re-inits, and the request from before is not answered after', async () => {
    const { pms, held } = await setup({ hold: true })
    const pending = pms.checkin(checkin('102', '2'))
    await eventually(() => expect(held).toHaveLength(1))
    pms.restartLink()
    expect((await pending)[0]!.answer).toBeNull()
    await pms.whenAlive()
    expect(pms.startups).toBe(2)
    await eventually(() => expect(held[0]!.signal.aborted).toBe(true))
    held[0]!.finish({ status: 'OK', text: 'made too late' })
    const ok = pms.read()
    await eventually(() => expect(held).toHaveLength(2))
    held[1]!.finish({ status: 'OK', text: 'Key Read OK' })
    expect((await ok).status).toBe('OK')
    expect(pms.lateAnswers).toEqual([])
  })

  it('keeps reconnecting while the PMS is down and starts up when it is back', async () => {
    const { pms, client } = await setup()
    const port = pms.port
    await pms.stop()
    await eventually(() => expect(client.state).toBe('connecting'))
    const back = new FiasPmsSimulator({ port })
    await back.start()
    stops.push(() => back.stop())
    await back.whenAlive()
    const [ex] = await back.checkin(checkin('103', '3'))
    expect(ex!.status).toBe('OK')
  })
})
