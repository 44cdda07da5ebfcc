// CardEncoderAttempts's attempt lifecycle with fake encoder drivers: every attempt ends within its bound, errors
// keep Seam's types, one card operation per encoder at a time.
import { describe, expect, it } from 'vitest'
import { ManualClock } from '../../../src/kernel/clock.js'
import { CardEncoderAttempts } from '../../../src/app/card-encoder-attempts.js'
import { seededRandom } from '../../../src/kernel/ids.js'
import { createLogger } from '../../../src/log.js'
import type { CardHandle, CardImage, EncoderDriver } from '../../../src/ports/encoder-driver.js'
import { EncoderError } from '../../../src/ports/errors.js'
import { Store } from '../../../src/store/store.js'
import { eventually } from '../../helpers/eventually.js'

class FakeEncoder implements EncoderDriver {
  readonly kind = 'fake'
  online = true
  startFails = false
  active = 0
  maxActive = 0
  readHangs = false
  readError: EncoderError | null = null
  async start() {
    if (this.startFails) throw new EncoderError('encoder_not_online', 'port would not open')
    this.online = true
  }
  async stop() {}
  isOnline() {
    return this.online
  }
  async waitForCard(encoderId: string): Promise<CardHandle> {
    return { encoderId, uid: 'deadbeef' }
  }
  async write(_c: CardHandle, _i: CardImage) {}
  async read(_c: CardHandle, blocks: number[]): Promise<CardImage> {
    this.active++
    this.maxActive = Math.max(this.maxActive, this.active)
    try {
      if (this.readHangs) await new Promise(() => undefined)
      await new Promise((r) => setTimeout(r, 20))
      if (this.readError) throw this.readError
      return { blocks: new Map(blocks.map((b) => [b, Buffer.alloc(16)])) }
    } finally {
      this.active--
    }
  }
}

function rig(driver: FakeEncoder, attemptTimeoutMs = 5000) {
  const store = Store.open(':memory:', new ManualClock(), seededRandom('enc'))
  store.tx(() => store.acs.sync([], [{ name: 'Desk' }], 'cards'))
  const id = store.acs.encoderIdFor('Desk')
  const keys = { kMac: Buffer.alloc(32, 1), kA: Buffer.alloc(32, 2), kB: Buffer.alloc(32, 3) }
  const enc = new CardEncoderAttempts({ store, keys, drivers: new Map([[id, driver]]), log: createLogger('silent'), attemptTimeoutMs, cardWaitMs: 100 })
  const done = async (attemptId: string) => {
    await eventually(() => expect(store.actionAttempts.get(attemptId).status).not.toBe('pending'), 5000)
    return store.actionAttempts.get(attemptId)
  }
  return { store, id, enc, done }
}

describe('CardEncoderAttempts', () => {
  it('a hung driver call ends as action_attempt_expired within the bound', async () => {
    const d = new FakeEncoder()
    d.readHangs = true
    const { id, enc, done } = rig(d, 200)
    const a = enc.scan(id)
    expect(a.status).toBe('pending')
    expect((await done(a.actionAttemptId)).error).toEqual({ type: 'action_attempt_expired', message: expect.any(String) })
  })

  it('an encoder that will not open → encoder_not_online; scan errors stay within SCAN_CREDENTIAL types', async () => {
    const d = new FakeEncoder()
    d.online = false
    d.startFails = true
    const { id, enc, done } = rig(d)
    expect((await done(enc.scan(id).actionAttemptId)).error?.type).toBe('encoder_not_online')
    d.startFails = false
    d.readError = new EncoderError('encoding_interrupted', 'card left')
    expect((await done(enc.scan(id).actionAttemptId)).error?.type).toBe('no_credential_on_encoder')
    d.readError = new EncoderError('encoder_communication_timeout', 'no answer')
    expect((await done(enc.scan(id).actionAttemptId)).error?.type).toBe('encoder_communication_timeout')
  })

  it('attempts on one encoder run one at a time; a blank card scans as blank', async () => {
    const d = new FakeEncoder()
    const { id, enc, done } = rig(d)
    const ids = [enc.scan(id), enc.scan(id), enc.scan(id)].map((a) => a.actionAttemptId)
    for (const x of ids) expect((await done(x)).result).toMatchObject({ acs_credential_on_encoder: null, lockstep_card_metadata: { card_status: 'blank' } })
    expect(d.maxActive).toBe(1)
  })

  it('unknown encoder or method: an API error before any attempt', () => {
    const { id, enc, store } = rig(new FakeEncoder())
    expect(() => enc.scan('00000000-0000-4000-8000-000000000000')).toThrow(/not found/i)
    expect(() => enc.encode(id, { accessMethodId: '00000000-0000-4000-8000-000000000000' })).toThrow(/not found/i)
    expect(() => enc.encode(id, { acsCredentialId: '00000000-0000-4000-8000-000000000000' })).toThrow(/not found/i)
    expect(store.db.prepare('SELECT count(*) AS n FROM action_attempts').get()).toEqual({ n: 0 })
  })
})
