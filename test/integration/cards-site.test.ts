// A real site's encoders (serve mode): no simulator behind them. An encoder without serial_path, or whose
// serial device cannot be opened, is offline and every attempt on it fails with encoder_not_online.
import { afterAll, beforeAll, expect, test } from 'vitest'
import { SeamActionAttemptFailedError, SeamHttp } from '@seamapi/http'
import { schemas } from 'seam-schemas'
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js'

const WAIT = { waitForActionAttempt: { pollingInterval: 100, timeout: 20_000 } } as const
let t: TestDaemon
let seam: SeamHttp

beforeAll(async () => {
  t = await startTestDaemon({
    mode: 'serve',
    patch: (c) => ({
      ...c,
      entrances: [{ name: 'Room 1', can_belong_to_reservation: true }],
      encoders: [
        { name: 'No Port', baud_rate: 115200 },
        { name: 'Missing Device', serial_path: '/dev/lockstep-no-such-tty', baud_rate: 115200 },
      ],
    }),
  })
  seam = SeamHttp.fromApiKey(t.apiKey, { endpoint: t.url })
})
afterAll(async () => t?.stop())

test('site encoders are listed offline, and encode / scan on them fail with encoder_not_online', async () => {
  const encoders = await seam.acs.encoders.list()
  expect(encoders.map((e) => e.display_name).sort()).toEqual(['Missing Device', 'No Port'])
  for (const e of encoders) schemas.acs_encoder.parse(e)
  const [room] = await seam.acs.entrances.list()
  const u = await seam.userIdentities.create({ full_name: 'Site Guest', email_address: 'site.guest@example.com' })
  const g = await seam.accessGrants.create({
    user_identity_id: u.user_identity_id, acs_entrance_ids: [room!.acs_entrance_id], requested_access_methods: [{ mode: 'card' }],
    starts_at: new Date(Date.now() - 3_600_000).toISOString(), ends_at: new Date(Date.now() + 86_400_000).toISOString(), reservation_key: 'site-stay',
  })
  const [method] = await seam.accessMethods.list({ access_grant_id: g.access_grant_id })
  for (const e of encoders) {
    const err = await seam.accessMethods.encode({ access_method_id: method!.access_method_id, acs_encoder_id: e.acs_encoder_id }, WAIT).catch((x: unknown) => x)
    expect(err).toBeInstanceOf(SeamActionAttemptFailedError)
    expect((err as SeamActionAttemptFailedError<any>).code).toBe('encoder_not_online')
    const scan = await seam.acs.encoders.scanCredential({ acs_encoder_id: e.acs_encoder_id }, WAIT).catch((x: unknown) => x)
    expect((scan as SeamActionAttemptFailedError<any>).code).toBe('encoder_not_online')
  }
  expect((await seam.accessMethods.get({ access_method_id: method!.access_method_id })).is_issued).toBe(false)
})
