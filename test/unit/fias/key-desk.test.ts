// The FIAS answer rules around a key service: BY at once for a busy encoder, RY before the PMS's timeout
// with the attempt cancelled, UR for a malformed request, nothing sent after the link re-initialised.
import { describe, expect, it } from 'vitest'
import { ManualClock } from '../../../src/kernel/clock.js'
import { KeyDesk, type KeyService } from '../../../src/fias/key-desk.js'
import type { KeyAnswer, KeyRequest } from '../../../src/fias/key-records.js'
import { type FiasRecord, record, recordText } from '../../../src/fias/record.js'
import { FakeTimers } from '../../helpers/fake-timers.js'

interface Call {
  request: KeyRequest
  signal: AbortSignal
  finish: (a: KeyAnswer) => void
  fail: (e: Error) => void
}

function harness(timeoutMs = 10_000) {
  const clock = new ManualClock(Date.parse('2025-12-02T14:30:00Z'))
  const timers = new FakeTimers(clock)
  const calls: Call[] = []
  const service: KeyService = {
    handle: (request, signal) =>
      new Promise((finish, fail) => {
        calls.push({ request, signal, finish, fail })
      }),
  }
  const desk = new KeyDesk(service, { clock, timers, answerTimeoutMs: () => timeoutMs })
  const sent: string[] = []
  let linkUp = true
  const reply = (r: FiasRecord) => {
    if (!linkUp) return false
    sent.push(recordText(r))
    return true
  }
  const kr = (fields: Record<string, string>) => desk.handle(record('KR', fields), reply)
  return { clock, timers, calls, desk, sent, kr, reply, dropLink: () => (linkUp = false) }
}

const flush = () => new Promise((r) => setImmediate(r))

describe('FIAS key desk', () => {
  it('answers a second request for a busy encoder BY at once, and frees the encoder after the first answer', async () => {
    const h = harness()
    h.kr({ WS: 'FO-PC1', KC: '1', RN: '101', KT: 'N', 'G#': '1' })
    h.kr({ WS: 'FO-PC2', KC: '1', RN: '102', KT: 'N', 'G#': '2' })
    expect(h.sent).toEqual(['KA|WSFO-PC2|KC1|ASBY|G#2|CTEncoder busy|DA251202|TI143000|'])
    expect(h.calls).toHaveLength(1)
    h.kr({ WS: 'FO-PC2', KC: '2', RN: '102', KT: 'N', 'G#': '2' })
    expect(h.calls).toHaveLength(2) // another encoder is not busy
    h.calls[0]!.finish({ status: 'OK', text: 'Key 1 OK' })
    await flush()
    expect(h.sent.at(-1)).toBe('KA|WSFO-PC1|KC1|ASOK|G#1|CTKey 1 OK|DA251202|TI143000|')
    h.kr({ WS: 'FO-PC1', KC: '1', RN: '101', KT: 'D', 'G#': '1' })
    expect(h.calls).toHaveLength(3)
  })

  it('answers RY one second before the PMS timeout, aborts the attempt, and ignores its later answer', async () => {
    const h = harness(10_000)
    h.kr({ WS: 'FO-PC1', KC: '1', RN: '101', KT: 'N', 'G#': '1' })
    h.timers.advance(8_999)
    expect(h.sent).toEqual([])
    h.timers.advance(1)
    expect(h.sent).toEqual(['KA|WSFO-PC1|KC1|ASRY|G#1|CTNo card on encoder|DA251202|TI143009|'])
    expect(h.calls[0]!.signal.aborted).toBe(true)
    // Until the cancelled attempt has finished, the encoder is still busy.
    h.kr({ WS: 'FO-PC1', KC: '1', RN: '101', KT: 'N', 'G#': '1' })
    expect(h.sent.at(-1)).toContain('ASBY')
    h.calls[0]!.finish({ status: 'OK', text: 'too late' })
    await flush()
    expect(h.sent.filter((s) => s.includes('too late'))).toEqual([])
    expect(h.desk.busyEncoders.size).toBe(0)
  })

  it('answers a malformed request UR without calling the service; a failing service answers RY with its message', async () => {
    const h = harness()
    h.kr({ WS: 'W', KC: '1', KT: 'N', 'G#': '1' })
    expect(h.sent).toEqual(['KA|WSW|KC1|ASUR|CTMissing RN (room)|DA251202|TI143000|'])
    expect(h.calls).toHaveLength(0)
    h.kr({ WS: 'W', KC: '1', RN: '101', KT: 'N', 'G#': '1' })
    h.calls[0]!.fail(new Error('encoder_not_online'))
    await flush()
    expect(h.sent.at(-1)).toBe('KA|WSW|KC1|ASRY|G#1|CTencoder_not_online|DA251202|TI143000|')
  })

  it('KD never meets BY (it needs no card)', () => {
    const h = harness()
    h.kr({ WS: 'W', KC: '1', RN: '101', KT: 'N', 'G#': '1' })
    h.desk.handle(record('KD', { WS: 'W2', KC: '1', RN: '101', 'G#': '1' }), h.reply)
    expect(h.calls.map((c) => c.request.kind)).toEqual(['make_key', 'delete_keys'])
  })

  it('abortAll cancels the attempts in flight when the link drops; their answers are not sent', async () => {
    const h = harness()
    h.kr({ WS: 'W', KC: '1', RN: '101', KT: 'N', 'G#': '1' })
    h.dropLink()
    h.desk.abortAll('link dropped')
    expect(h.calls[0]!.signal.aborted).toBe(true)
    h.calls[0]!.finish({ status: 'OK', text: 'Key 1 OK' })
    await flush()
    expect(h.sent).toEqual([])
  })

  it('answers a key read with a KZ record', async () => {
    const h = harness()
    h.desk.handle(record('KZ', { KC: '1', WS: 'FO-PC1' }), h.reply)
    h.calls[0]!.finish({ status: 'OK', text: 'Key Read OK', room: '101', reservation: '123456', guestName: 'Smith, John', departure: '2025-12-05', departureTime: '12:00' } as KeyAnswer)
    await flush()
    expect(h.sent).toEqual(['KZ|DA251202|TI143000|KC1|WSFO-PC1|G#123456|RN101|GNSmith, John|GD251205|DT12:00|ASOK|CTKey Read OK|'])
  })
})
