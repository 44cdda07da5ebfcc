// CLI verbs on the official SDK against the local API: lockstep is its own first SDK user.
import { readFile } from 'node:fs/promises'
import type { Command } from 'commander'
import type { SeamHttp } from '@seamapi/http'
import { CliError, EXIT, explain, getHealth, post, resolveTarget, sdk, type ConnOptions, type Target } from './client.js'
import { emit, issuesText, out, progress, table } from './output.js'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

type Verb<O> = (t: Target, o: O & ConnOptions, ...args: string[]) => Promise<void>

/** Adds the connection options and runs the verb with errors mapped to exit codes. */
function verb<O>(cmd: Command, fn: Verb<O>): Command {
  return cmd
    .option('--url <url>', 'daemon URL (LOCKSTEP_URL; default http://127.0.0.1:3590)')
    .option('--api-key <key>', 'API key (LOCKSTEP_API_KEY; default: the lab key in LOCKSTEP_DATA_DIR)')
    .option('--json', 'machine-readable output')
    .action(async (...argv: unknown[]) => {
      // commander passes the positional args, then the options, then the command.
      const o = argv[argv.length - 2] as O & ConnOptions
      const args = argv.slice(0, -2).filter((a): a is string => typeof a === 'string')
      let t: Target | undefined
      try {
        t = resolveTarget(o)
        if (t.keyFile) process.stderr.write(`lockstep: API key from ${t.keyFile} (set LOCKSTEP_API_KEY or --api-key for another)\n`)
        await fn(t, o, ...args)
      } catch (err) {
        const e = explain(err, t)
        process.stderr.write(`lockstep: ${e.message}\n`)
        process.exitCode = e.exitCode
      }
    })
}

/** Radio exchanges per device over the last day; empty when the daemon does not count them (an older one). */
async function radioLastDay(t: Target): Promise<Map<string, number>> {
  try {
    const body = (await post(t, '/lockstep/devices/radio', {})) as { devices?: { device_id: string; last_day: { exchanges: number } }[] }
    return new Map((body.devices ?? []).map((d) => [d.device_id, d.last_day.exchanges]))
  } catch {
    return new Map()
  }
}

async function deviceId(seam: SeamHttp, ref: string): Promise<string> {
  if (UUID.test(ref)) return ref
  const d = await seam.devices.get({ name: ref }).catch((err) => {
    throw (err as { code?: string })?.code === 'device_not_found' ? new CliError(EXIT.api, `no device named "${ref}"`) : err
  })
  return d.device_id
}

/** An entrance by name ("Room 101") or id, like devices. */
async function entranceId(seam: SeamHttp, ref: string): Promise<string> {
  if (UUID.test(ref)) return ref
  const all = await seam.acs.entrances.list()
  const found = all.find((e) => e.display_name === ref)
  if (!found) throw new CliError(EXIT.api, `no entrance named "${ref}" (entrances: ${all.map((e) => `"${e.display_name}"`).join(', ') || 'none'})`)
  return found.acs_entrance_id
}

/** A card encoder by name ("Front Desk Encoder") or id. */
async function encoderId(seam: SeamHttp, ref: string): Promise<string> {
  if (UUID.test(ref)) return ref
  const all = await seam.acs.encoders.list()
  const found = all.find((e) => e.display_name === ref)
  if (!found) throw new CliError(EXIT.api, `no encoder named "${ref}" (encoders: ${all.map((e) => `"${e.display_name}"`).join(', ') || 'none'})`)
  return found.acs_encoder_id
}

function parseParams(pairs: string[] | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const p of pairs ?? []) {
    const eq = p.indexOf('=')
    if (eq < 1) throw new CliError(EXIT.usage, `--param: expected key=value, got "${p}"`)
    const raw = p.slice(eq + 1)
    let value: unknown = raw
    try {
      value = JSON.parse(raw)
    } catch {
      // a plain string
    }
    out[p.slice(0, eq)] = value
  }
  return out
}

/** "90s", "15m", "2h", "1d", or plain seconds. */
export function parseDuration(s: string): number {
  const m = /^(\d+(?:\.\d+)?)(s|m|h|d)?$/.exec(s.trim())
  if (!m) throw new CliError(EXIT.usage, `duration: expected e.g. 90s, 15m, 2h, 1d; got "${s}"`)
  return Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[(m[2] ?? 's') as 's' | 'm' | 'h' | 'd']
}

const collect = (v: string, prev: string[] = []) => [...prev, v]

type PushResult = {
  status: string; collection: string; key: string; outcome?: string
  error?: { type: string; message: string }; waiting_for?: Record<string, unknown>; warnings?: (string | { message?: string })[]
}

/** What a person needs to act on one push_data item. */
function pushDetail(r: PushResult): string {
  if (r.error) return `${r.error.type}: ${r.error.message}`
  const parts: string[] = []
  const waiting = Object.entries(r.waiting_for ?? {}).filter(([, v]) => !Array.isArray(v) || v.length > 0)
  if (waiting.length) parts.push(`waiting for ${waiting.map(([k, v]) => `${k.replaceAll('_', ' ')}: ${Array.isArray(v) ? v.join(', ') : String(v)}`).join('; ')}`)
  for (const w of r.warnings ?? []) parts.push(`warning: ${typeof w === 'string' ? w : w.message ?? JSON.stringify(w)}`)
  if (!parts.length && r.outcome) parts.push(r.outcome)
  return parts.join('; ')
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = []
  for await (const c of process.stdin) chunks.push(c as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

export function registerVerbs(program: Command): void {
  verb(program.command('status').description('is the daemon up, healthy, and does the key work'), async (t, o) => {
    const health = await getHealth(t)
    const devices = await (await sdk(t)).devices.list()
    const report = { url: t.url, ...health, key: 'accepted', devices_listed: devices.length }
    emit(o.json, report, () => {
      const h = health as { status?: string; mode?: string; version?: string; degraded?: string[]; work_queue_depth?: number; devices?: { online: number; total: number } }
      return table(['', ''], [
        ['daemon', `${t.url} (lockstep ${h.version ?? '?'}, ${h.mode ?? '?'})`],
        ['health', h.status === 'degraded' ? `degraded: ${(h.degraded ?? []).join(', ')}` : h.status ?? 'ok'],
        ['devices', `${h.devices?.online ?? '?'} of ${h.devices?.total ?? devices.length} online`],
        ['queue', `${h.work_queue_depth ?? '?'} devices waiting for the reconciler`],
        ['api key', 'accepted'],
      ]).split('\n').slice(1).join('\n')
    })
  })

  verb(
    program.command('push-data').description("push a PMS's data (customers/push_data body as JSON: a file, or - for stdin); every item's result is shown, problems first")
      .argument('<file>'),
    async (t, o, file) => {
      const text = file === '-' ? await readStdin() : await readFile(file!, 'utf8').catch((err: NodeJS.ErrnoException) => {
        throw new CliError(EXIT.usage, `cannot read ${file}: ${err.code ?? err.message}`)
      })
      let payload: Record<string, unknown>
      try {
        payload = JSON.parse(text) as Record<string, unknown>
      } catch (err) {
        throw new CliError(EXIT.usage, `${file}: not JSON (${(err as Error).message})`)
      }
      const body = (await post(t, '/customers/push_data', payload)) as { automation_run_id: string; summary: Record<string, number>; results: PushResult[] }
      const rank = (r: PushResult) => (r.status === 'rejected' ? 0 : r.status === 'waiting' ? 1 : r.warnings?.length ? 2 : 3)
      const rows = [...body.results].sort((a, b) => rank(a) - rank(b))
      emit(o.json, body, () => {
        const counts = Object.entries(body.summary).filter(([k]) => k !== 'total').map(([k, n]) => `${n} ${k}`).join(', ')
        return `run ${body.automation_run_id}: ${body.summary.total ?? rows.length} items (${counts || 'none'})\n` + table(
          ['STATUS', 'COLLECTION', 'KEY', 'DETAIL'],
          rows.map((r) => [r.status, r.collection, r.key, pushDetail(r)]),
        )
      })
      // A rejected item is a failure a script must notice (exit 1); waiting items and warnings are shown, not fatal.
      if (body.results.some((r) => r.status === 'rejected')) process.exitCode = EXIT.api
    },
  )

  verb(program.command('devices').description('list the locks (RADIO 24H: radio exchanges with the lock in the last day)'), async (t, o) => {
    const devices = await (await sdk(t)).devices.list()
    const radio = await radioLastDay(t)
    const shown = devices.map((d) => (radio.has(d.device_id) ? { ...d, lockstep_radio_exchanges_last_day: radio.get(d.device_id)! } : d))
    emit(o.json, shown, () =>
      table(
        ['NAME', 'DEVICE ID', 'TYPE', 'ONLINE', 'LOCKED', 'RADIO 24H', 'ISSUES'],
        devices.map((d) => [
          d.display_name, d.device_id, d.device_type, d.properties.online ? 'yes' : 'no',
          d.properties.locked === undefined ? '—' : d.properties.locked ? 'yes' : 'no',
          radio.has(d.device_id) ? String(radio.get(d.device_id)) : '—', issuesText(d),
        ]),
      ),
    )
  })

  const codes = program.command('codes').description('access codes')
  verb(codes.command('list').description('codes on one device (--device) or on every device').option('-d, --device <name|id>'), async (t, o: ConnOptions & { device?: string }) => {
    const seam = await sdk(t)
    const devices = o.device ? [await seam.devices.get({ device_id: await deviceId(seam, o.device) })] : await seam.devices.list()
    const rows: { device: string; code: Awaited<ReturnType<SeamHttp['accessCodes']['list']>>[number] }[] = []
    for (const d of devices) for (const c of await seam.accessCodes.list({ device_id: d.device_id })) rows.push({ device: d.display_name, code: c })
    emit(o.json, rows.map((r) => r.code), () =>
      table(
        ['DEVICE', 'NAME', 'CODE', 'STATUS', 'ACCESS CODE ID', 'ISSUES'],
        rows.map(({ device, code: c }) => [device, c.name, c.code, c.status, c.access_code_id, issuesText(c)]),
      ),
    )
  })
  verb(
    codes.command('create').description('create a code on a device')
      .requiredOption('-d, --device <name|id>').option('--code <digits>', 'the code (default: generated)')
      .option('-n, --name <name>').option('--starts-at <iso>').option('--ends-at <iso>'),
    async (t, o: ConnOptions & { device: string; code?: string; name?: string; startsAt?: string; endsAt?: string }) => {
      const seam = await sdk(t)
      const created = await seam.accessCodes.create({
        device_id: await deviceId(seam, o.device),
        ...(o.code ? { code: o.code } : {}),
        ...(o.name ? { name: o.name } : {}),
        ...(o.startsAt ? { starts_at: o.startsAt } : {}),
        ...(o.endsAt ? { ends_at: o.endsAt } : {}),
      })
      emit(o.json, created, () => `created ${created.access_code_id}: code ${created.code} (${created.status})`)
    },
  )
  verb(codes.command('delete').description('delete a code').argument('<access_code_id>'), async (t, o, id) => {
    await (await sdk(t)).accessCodes.delete({ access_code_id: id! })
    emit(o.json, { deleted: id }, () => `deleted ${id}`)
  })

  const grants = program.command('grants').description('access grants (who may open which doors, when, and how)')
  verb(grants.command('list'), async (t, o) => {
    const list = await (await sdk(t)).accessGrants.list()
    emit(o.json, list, () =>
      table(['NAME', 'ACCESS GRANT ID', 'STARTS', 'ENDS', 'METHODS'], list.map((g: any) => [g.name, g.access_grant_id, g.starts_at, g.ends_at, (g.requested_access_methods ?? []).map((m: any) => m.mode).join(',')])),
    )
  })
  verb(
    grants.command('create').description('grant access to devices or entrances')
      .option('-d, --device <name|id>', 'a device (repeatable)', collect).option('-e, --entrance <name|id>', 'an entrance (repeatable)', collect)
      .option('-m, --mode <mode>', 'access method: code, card or mobile_key (repeatable)', collect)
      .requiredOption('-g, --guest <full name>', 'who the grant is for (a user identity is made for them)')
      .option('-n, --name <name>').option('--reservation-key <key>')
      .option('--starts-at <iso>').option('--ends-at <iso>'),
    async (t, o: ConnOptions & { device?: string[]; entrance?: string[]; mode?: string[]; name?: string; guest: string; reservationKey?: string; startsAt?: string; endsAt?: string }) => {
      const seam = await sdk(t)
      if (!o.device?.length && !o.entrance?.length) throw new CliError(EXIT.usage, 'grants create: pass --device or --entrance')
      const modes = (o.mode?.length ? o.mode : ['code']) as ('code' | 'card' | 'mobile_key')[]
      const grant = await seam.accessGrants.create({
        requested_access_methods: modes.map((mode) => ({ mode })),
        ...(o.device?.length ? { device_ids: await Promise.all(o.device.map((d) => deviceId(seam, d))) } : {}),
        ...(o.entrance?.length ? { acs_entrance_ids: await Promise.all(o.entrance.map((e) => entranceId(seam, e))) } : {}),
        ...(o.name ? { name: o.name } : {}),
        user_identity: { full_name: o.guest },
        ...(o.reservationKey ? { reservation_key: o.reservationKey } : {}),
        ...(o.startsAt ? { starts_at: o.startsAt } : {}),
        ...(o.endsAt ? { ends_at: o.endsAt } : {}),
      })
      emit(o.json, grant, () => `created access grant ${grant.access_grant_id} for ${o.guest}`)
    },
  )
  verb(grants.command('delete').argument('<access_grant_id>'), async (t, o, id) => {
    await (await sdk(t)).accessGrants.delete({ access_grant_id: id! })
    emit(o.json, { deleted: id }, () => `deleted ${id}`)
  })

  verb(
    program.command('encode').description('encode a card access method on an encoder (waits for a card)')
      .argument('<access_method_id>').requiredOption('-e, --encoder <name|id>').option('--timeout <seconds>', 'how long to wait', '60'),
    async (t, o: ConnOptions & { encoder: string; timeout: string }, methodId) => {
      const spin = o.json ? null : progress(`Place a card on encoder ${o.encoder}`)
      try {
        const seam = await sdk(t)
        const attempt = await seam.accessMethods.encode(
          { access_method_id: methodId!, acs_encoder_id: await encoderId(seam, o.encoder) },
          { waitForActionAttempt: { timeout: Number(o.timeout) * 1000, pollingInterval: 500 } },
        )
        spin?.stop('encoded')
        emit(o.json, attempt, () => `card encoded (action attempt ${attempt.action_attempt_id})`)
      } catch (err) {
        spin?.stop()
        throw err
      }
    },
  )

  verb(
    program.command('scan').description('read the card on an encoder and compare it with what lockstep issued')
      .requiredOption('-e, --encoder <name|id>').option('--timeout <seconds>', 'how long to wait', '30'),
    async (t, o: ConnOptions & { encoder: string; timeout: string }) => {
      const spin = o.json ? null : progress(`Place a card on encoder ${o.encoder}`)
      try {
        const seam = await sdk(t)
        const attempt = await seam.acs.encoders.scanCredential(
          { acs_encoder_id: await encoderId(seam, o.encoder) },
          { waitForActionAttempt: { timeout: Number(o.timeout) * 1000, pollingInterval: 500 } },
        )
        spin?.stop()
        emit(o.json, attempt, () => JSON.stringify((attempt as { result?: unknown }).result ?? attempt, null, 2))
      } catch (err) {
        spin?.stop()
        throw err
      }
    },
  )

  const hooks = program.command('webhooks').description('webhook endpoints and their delivery attempts')
  verb(hooks.command('list'), async (t, o) => {
    const { webhooks } = (await post(t, '/webhooks/list', {})) as { webhooks: Record<string, any>[] }
    emit(o.json, webhooks, () => table(['WEBHOOK ID', 'URL', 'EVENT TYPES', 'STATUS'], webhooks.map((w) => [
      w.webhook_id, w.url, (w.event_types ?? []).join(','), w.status === 'failing' ? `failing: ${w.failing_reason}` : w.status ?? 'ok',
    ])))
  })
  verb(
    hooks.command('attempts').description('delivery attempts of a webhook, newest first').argument('<webhook_id>')
      .option('--event <event_id>', 'only this event').option('--limit <n>', 'how many', '50'),
    async (t, o: ConnOptions & { event?: string; limit: string }, id) => {
      const body = await post(t, '/lockstep/webhooks/attempts/list', { webhook_id: id, limit: Number(o.limit), ...(o.event ? { event_id: o.event } : {}) })
      const attempts = body.webhook_attempts as Record<string, any>[]
      emit(o.json, attempts, () => table(['AT', 'EVENT', 'TYPE', '#', 'OUTCOME', 'STATUS', 'MS', 'ERROR', 'NEXT'], attempts.map((a) => [
        a.attempted_at, a.event_id, a.event_type, String(a.attempt), a.outcome, a.status_code === null ? '—' : String(a.status_code),
        String(a.duration_ms), a.error ?? '', a.next_attempt_at ?? '',
      ])))
    },
  )
  verb(hooks.command('resend').description('send one event to a webhook again now').argument('<webhook_id>').argument('<event_id>'), async (t, o, id, eventId) => {
    const { webhook_attempt: a } = (await post(t, '/lockstep/webhooks/resend', { webhook_id: id, event_id: eventId })) as { webhook_attempt: Record<string, any> }
    emit(o.json, a, () => `${a.outcome}${a.status_code ? ` (HTTP ${a.status_code})` : ''}${a.error ? `: ${a.error}` : ''}`)
  })
}

/** Lab verbs under `lockstep lab …`: plain POSTs to the lab routes with the same key and envelope. */
export function registerLabVerbs(lab: Command): void {
  const report = (o: ConnOptions, body: Record<string, unknown>, human: string) => {
    const { ok: _ok, ...rest } = body
    emit(o.json, rest, () => human + (Object.keys(rest).length ? '\n' + JSON.stringify(rest, null, 2) : ''))
  }
  verb(
    lab.command('present-card').description('present a card at a simulated entrance')
      .requiredOption('-e, --entrance <name|id>').requiredOption('--card <card_id>', 'the simulated card (lab cards/create)')
      .option('-p, --param <key=value>', 'extra body field (repeatable; value parsed as JSON when it can be)', collect),
    async (t, o: ConnOptions & { entrance: string; card: string; param?: string[] }) => {
      const body = await post(t, '/lab/entrances/present_card', { acs_entrance_id: await entranceId(await sdk(t), o.entrance), card_id: o.card, ...parseParams(o.param) })
      report(o, body, 'card presented')
    },
  )
  verb(
    lab.command('enter-code').description('type a code on a simulated lock keypad').argument('<code>')
      .requiredOption('-d, --device <name|id>').option('-p, --param <key=value>', 'extra body field (repeatable)', collect),
    async (t, o: ConnOptions & { device: string; param?: string[] }, code) => {
      const body = await post(t, '/lab/locks/enter_code', { device_id: await deviceId(await sdk(t), o.device), code, ...parseParams(o.param) })
      report(o, body, `entered ${code}`)
    },
  )
  const clock = lab.command('clock').description('the lab clock (every simulated part shares it)')
  verb(
    clock.command('advance').description('move the lab clock forward, e.g. 90m, 2h, 1d').argument('<duration>'),
    async (t, o, duration) => {
      const seconds = parseDuration(duration!)
      const body = await post(t, '/lab/clock/advance', { seconds })
      report(o, body, `clock advanced by ${seconds} s`)
    },
  )
  registerPmsVerbs(lab)
}

/** `lockstep lab pms …`: the lab's hotel PMS sends FIAS key requests (docs/fias.md). */
function registerPmsVerbs(lab: Command): void {
  const pms = lab.command('pms').description("the lab's hotel PMS: key requests over FIAS")
  type Exchange = { request: string; answer: string | null; status: string | null; text: string | null; elapsed_ms: number; card_id: string | null }
  const line = (e: Exchange) => `${e.request}\n  → ${e.answer ?? `(no answer: timed out)`}  [${e.elapsed_ms} ms${e.card_id ? `, card ${e.card_id}` : ''}]`
  const stayOptions = (c: Command) =>
    c.requiredOption('-r, --room <RN>', 'room number').option('-g, --guest <name>', 'guest name (GN)')
      .option('--reservation <G#>', 'reservation number (default: a new one)').option('--arrival <YYMMDD>').option('--departure <YYMMDD>')
      .option('--departure-time <HH:MM>').option('--encoder <KC>', 'key coder id', '1').option('--no-place-cards', 'lay no blank card on the encoder (the request meets an empty encoder)')
  type StayOpts = { room: string; guest?: string; reservation?: string; arrival?: string; departure?: string; departureTime?: string; encoder: string; placeCards: boolean }
  const stayBody = (o: StayOpts) => ({
    room: o.room, encoder: o.encoder, place_cards: o.placeCards,
    ...(o.guest ? { guest: o.guest } : {}), ...(o.reservation ? { reservation: o.reservation } : {}),
    ...(o.arrival ? { arrival: o.arrival } : {}), ...(o.departure ? { departure: o.departure } : {}),
    ...(o.departureTime ? { departure_time: o.departureTime } : {}),
  })
  verb(
    stayOptions(pms.command('checkin').description('check a guest in: one KR per key (KTN, then KTD)'))
      .option('-k, --keys <n>', 'number of keys', '1').option('--duplicate', 'first key as KTD (join an existing reservation)').option('--one-shot', 'a one-shot key (KTO)'),
    async (t, o: ConnOptions & StayOpts & { keys: string; duplicate?: boolean; oneShot?: boolean }) => {
      const keys = Number(o.keys)
      if (!Number.isInteger(keys) || keys < 1 || keys > 10) throw new CliError(EXIT.usage, '--keys must be 1-10')
      const body = await post(t, '/lab/pms/checkin', { ...stayBody(o), keys, ...(o.duplicate ? { first: 'duplicate' } : o.oneShot ? { first: 'one_shot' } : {}) })
      emit(o.json, body, () => `reservation ${String(body.reservation)}\n` + (body.exchanges as Exchange[]).map(line).join('\n'))
    },
  )
  verb(
    pms.command('checkout').description('check out (KD): the reservation\'s keys are deleted')
      .requiredOption('-r, --room <RN>').option('--reservation <G#>').option('--encoder <KC>', 'key coder id', '1'),
    async (t, o: ConnOptions & { room: string; reservation?: string; encoder: string }) => {
      const body = await post(t, '/lab/pms/checkout', { room: o.room, encoder: o.encoder, ...(o.reservation ? { reservation: o.reservation } : {}) })
      emit(o.json, body, () => line(body.exchange as Exchange))
    },
  )
  verb(
    stayOptions(pms.command('move').description('room move (KM with RO), or a stay change without --from'))
      .option('--from <RN>', 'the old room (RO)'),
    async (t, o: ConnOptions & StayOpts & { from?: string }) => {
      if (!o.reservation) throw new CliError(EXIT.usage, 'move needs --reservation')
      const body = await post(t, '/lab/pms/move', { ...stayBody(o), reservation: o.reservation, ...(o.from ? { old_room: o.from } : {}) })
      emit(o.json, body, () => line(body.exchange as Exchange))
    },
  )
  verb(
    pms.command('read').description('read the key on the encoder (KZ)').option('--card <card_id>', 'lay this lab card on the encoder first')
      .option('--encoder <KC>', 'key coder id', '1'),
    async (t, o: ConnOptions & { card?: string; encoder: string }) => {
      const body = await post(t, '/lab/pms/read', { encoder: o.encoder, ...(o.card ? { card_id: o.card } : {}) })
      emit(o.json, body, () => line(body.exchange as Exchange))
    },
  )
}

export { out }
