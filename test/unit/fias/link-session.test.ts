// The lock system's side of the FIAS link start-up (golden against docs/fias.md §link), keep-alive,
// re-initialisation and the rule that a request from before a re-init is never answered after it.
import { describe, expect, it } from 'vitest'
import { ManualClock } from '../../../src/kernel/clock.js'
import { codePage } from '../../../src/fias/code-page.js'
import { encodeFrame } from '../../../src/fias/frame.js'
import { LinkSession, type LinkState } from '../../../src/fias/link-session.js'
import { type FiasRecord, record } from '../../../src/fias/record.js'
import { FakeTimers } from '../../helpers/fake-timers.js'

const frame = (text: string) => encodeFrame(Buffer.from(text, 'latin1'))

function harness() {
  const clock = new ManualClock(Date.parse('2025-12-02T10:15:00Z'))
  const timers = new FakeTimers(clock)
  const wire: Buffer[] = []
  const closed: string[] = []
  const states: LinkState[] = []
  const requests: Array<{ rec: FiasRecord; reply: (a: FiasRecord) => boolean }> = []
  const timeouts: number[] = []
  const session = new LinkSession(
    { page: codePage('cp850'), clock, timers },
    { request: (rec, reply) => requests.push({ rec, reply }), state: (s) => states.push(s), answerTimeout: (s) => timeouts.push(s) },
    (b) => wire.push(b),
    (reason) => closed.push(reason),
  )
  /** What the session wrote since the last call, as record texts. */
  const sent = () => wire.splice(0).map((b) => b.subarray(1, -1).toString('latin1'))
  return { clock, timers, session, sent, closed, states, requests, timeouts }
}

describe('FIAS link session', () => {
  it('answers LS with exactly the reference start-up (LD, one LR per key record, LA), then is alive on LA', () => {
    const h = harness()
    h.session.start()
    h.session.receive(frame('LS|DA251202|TI101500|'))
    expect(h.sent()).toEqual([
      'LD|DA251202|TI101500|V#1.0|IFDL|RT128|',
      'LR|RIKR|FLKCKTRNWSDATIG#GAGDDTGNKOSICTID|',
      'LR|RIKD|FLKCRNWSDATIG#SIID|',
      'LR|RIKM|FLKCRNROWSDATIG#GAGDDTGNSIUOID|',
      'LR|RIKA|FLASCTKCWSDATIG#|',
      'LR|RIKZ|FLASCTKCRNWSDATIDTGNG#GDKOSI|',
      'LA|DA251202|TI101500|',
    ])
    expect(h.session.state).toBe('awaiting_alive')
    h.session.receive(frame('LC|A060;10|PH1|'))
    expect(h.timeouts).toEqual([10])
    h.session.receive(frame('LA|DA251202|TI101502|'))
    expect(h.session.state).toBe('alive')
    expect(h.states).toEqual(['awaiting_alive', 'alive'])
  })

  it('the whole start-up works when the PMS splits every frame across reads', () => {
    const h = harness()
    h.session.start()
    for (const byte of Buffer.concat([frame('LS|DA251202|TI101500|'), frame('LA|DA251202|TI101502|'), frame('KZ|KC1|WS1|')])) h.session.receive(Uint8Array.of(byte))
    expect(h.session.state).toBe('alive')
    expect(h.requests.map((r) => r.rec.type)).toEqual(['KZ'])
  })

  it('sends LS itself when the PMS says nothing for 3 s after the connect', () => {
    const h = harness()
    h.session.start()
    h.timers.advance(2_999)
    expect(h.sent()).toEqual([])
    h.timers.advance(1)
    expect(h.sent()).toEqual(['LS|DA251202|TI101503|'])
    h.timers.advance(30_000)
    expect(h.closed).toEqual(['no answer to LS'])
  })

  it('ignores key requests before the link is alive', () => {
    const h = harness()
    h.session.start()
    h.session.receive(frame('KR|WS1|KC1|RN101|KTN|G#1|'))
    h.session.receive(frame('LS|'))
    h.session.receive(frame('KR|WS1|KC1|RN101|KTN|G#1|'))
    expect(h.requests).toHaveLength(0)
  })

  it('checks a quiet link with LS after 5 minutes, not sooner; LA keeps it, silence closes it', () => {
    const h = harness()
    h.session.start()
    h.session.receive(Buffer.concat([frame('LS|'), frame('LA|')]))
    h.sent()
    h.timers.advance(299_999)
    expect(h.sent()).toEqual([])
    h.timers.advance(1)
    expect(h.sent()).toEqual(['LS|DA251202|TI102000|'])
    h.session.receive(frame('LA|'))
    expect(h.session.state).toBe('alive')
    h.timers.advance(300_000)
    expect(h.sent()).toEqual(['LS|DA251202|TI102500|'])
    h.timers.advance(30_000)
    expect(h.closed).toEqual(['no answer to the link check'])
    expect(h.session.state).toBe('closed')
  })

  it('re-initialises on every LS from the PMS and drops the answer to a request from before it', () => {
    const h = harness()
    h.session.start()
    h.session.receive(Buffer.concat([frame('LS|'), frame('LA|'), frame('KR|WS1|KC1|RN101|KTN|G#1|')]))
    h.sent()
    const before = h.requests[0]!
    // The PMS restarts: LS again.
    h.session.receive(frame('LS|DA251202|TI101600|'))
    expect(h.sent().map((t) => t.slice(0, 2))).toEqual(['LD', 'LR', 'LR', 'LR', 'LR', 'LR', 'LA'])
    h.session.receive(frame('LA|'))
    expect(before.reply(record('KA', { WS: '1', KC: '1', AS: 'OK', CT: 'late' }))).toBe(false)
    expect(h.sent()).toEqual([])
    h.session.receive(frame('KR|WS1|KC1|RN101|KTN|G#1|'))
    expect(h.requests[1]!.reply(record('KA', { WS: '1', KC: '1', AS: 'OK', CT: 'Key 1 OK' }))).toBe(true)
    expect(h.sent()).toEqual(['KA|WS1|KC1|ASOK|CTKey 1 OK|'])
  })

  it('answers LE with LE and ends the connection; nothing is sent after stop', () => {
    const h = harness()
    h.session.start()
    h.session.receive(Buffer.concat([frame('LS|'), frame('LA|'), frame('KD|WS1|KC1|RN101|')]))
    h.sent()
    h.session.receive(frame('LE|'))
    expect(h.sent()).toEqual(['LE|DA251202|TI101500|'])
    expect(h.closed).toEqual(['link ended by the PMS (LE)'])
    expect(h.requests[0]!.reply(record('KA', { AS: 'OK' }))).toBe(false)
    expect(h.sent()).toEqual([])
    expect(h.timers.size).toBe(0)
  })

  it('survives garbage: unreadable frames and records are reported, never fatal', () => {
    const h = harness()
    const problems: string[] = []
    const s = new LinkSession(
      { page: codePage('cp850'), clock: h.clock, timers: h.timers },
      { request: () => {}, problem: (m) => problems.push(m) },
      () => {},
      () => {},
    )
    s.start()
    s.receive(Buffer.from([0x41, 0x02, 0x6b, 0x72, 0x7c, 0x03, 0x02, 0x4b, 0x52, 0x1b, 0x03, 0x02, 0x5a, 0x5a, 0x7c, 0x03]))
    expect(problems).toEqual([
      '1 byte(s) outside STX…ETX ignored',
      "unreadable record: bad record id 'kr'",
      'frame dropped: control byte 0x1b inside a frame',
      'record ZZ ignored (not used by a key system)',
    ])
  })
})
