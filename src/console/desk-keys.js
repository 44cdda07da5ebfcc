// The front desk's card work, all through the public API: make keys (new reservation, duplicate = joiner,
// one-shot), read the key on the encoder, check out. Before each key the card on the encoder is scanned
// (SCAN_CREDENTIAL) so a key just made, or another guest's live key, is never written over; the encode
// itself is an ENCODE_CREDENTIAL attempt polled to its end.
import { $, api, el, encoderErrorWords, settle, sleep, when } from './desk-api.js'

/** How long the desk keeps asking for a card before it gives up (the clerk may be talking to the guest). */
const CARD_PATIENCE_MS = 180_000

class DeskError extends Error {}

function progress(text, cls = '') {
  const p = $('#progress')
  p.hidden = false
  p.className = cls
  p.textContent = text
}

/** The first card method a grant created. */
function cardMethodOf(grant) {
  const id = grant.requested_access_methods?.find((r) => r.mode === 'card')?.created_access_method_ids?.[0]
  if (!id) throw new DeskError(`The grant for ${grant.display_name} has no card to encode${grant.errors?.length ? `: ${grant.errors.map((e) => e.message).join('; ')}` : ''}`)
  return id
}

/** A joiner: the same reservation, doors and dates as `template`, one more card. */
async function joinerOf(template) {
  const { access_grant } = await api('/access_grants/create', {
    user_identity_id: template.user_identity_id,
    acs_entrance_ids: template.lockstep_metadata?.acs_entrance_ids ?? template.acs_entrance_ids,
    starts_at: template.starts_at,
    ...(template.ends_at ? { ends_at: template.ends_at } : {}),
    reservation_key: template.reservation_key,
    requested_access_methods: [{ mode: 'card' }],
    ...(template.name ? { name: template.name } : {}),
  })
  return access_grant
}

/** Why the card lying on the encoder must not be written over, or null. */
function objection(scan, made, encoderName, desk) {
  const meta = scan.lockstep_card_metadata ?? {}
  const i = made.indexOf(meta.card_uid)
  if (i >= 0) return `${encoderName} still holds key ${i + 1}`
  const live = meta.card_status === 'valid' && scan.acs_credential_on_seam && !meta.is_expired && !meta.is_cancelled && !meta.is_overridden && !meta.is_superseded
  if (live) return `the card on ${encoderName} is a live key (${desk.entranceNames(meta.acs_entrance_ids)} until ${when(meta.ends_at)})`
  return null
}

/** Waits for a card the desk may write on; answers its UID. */
async function awaitBlank(prefix, made, encoder, desk) {
  const started = Date.now()
  progress(`${prefix}: place a card on ${encoder.name}`)
  for (;;) {
    const scan = await settle((await api('/acs/encoders/scan_credential', { acs_encoder_id: encoder.id })).action_attempt)
    const late = Date.now() - started > CARD_PATIENCE_MS
    if (scan.status === 'error') {
      // No card yet: keep asking, within the desk's patience; anything else is the encoder's failure.
      if (scan.error?.type === 'no_credential_on_encoder' && !late) continue
      throw new DeskError(encoderErrorWords(scan.error, encoder.name))
    }
    const why = objection(scan.result, made, encoder.name, desk)
    if (!why) return scan.result.lockstep_card_metadata?.card_uid
    if (late) throw new DeskError(`${why}; no blank card was placed.`)
    progress(`${prefix}: ${why} — take it off and place a blank card on ${encoder.name}`)
    await sleep(1000)
  }
}

/**
 * Makes `count` keys. plan.kind: 'new' (plan.grant: the access_grants/create body of the new reservation),
 * 'duplicate' (plan.reservation: joiners; an arrival's card not yet made is made first), 'one_shot'.
 */
export async function makeKeys(desk, plan) {
  const { encoder } = plan
  const made = []
  $('#card-report').hidden = true
  try {
    let template = null
    const queue = []
    if (plan.kind === 'duplicate') {
      const r = plan.reservation
      template = r.grants[0]
      queue.push(...r.cards.filter((m) => !m.is_issued).map((m) => m.access_method_id))
    } else {
      progress(`Creating the ${plan.kind === 'new' ? 'reservation' : 'one-shot key'}…`)
      template = (await api('/access_grants/create', plan.grant)).access_grant
      queue.push(cardMethodOf(template))
    }
    const count = plan.kind === 'one_shot' ? 1 : plan.count
    for (let k = 1; k <= count; k++) {
      const prefix = `Key ${k} of ${count}`
      const methodId = queue.shift() ?? cardMethodOf(await joinerOf(template))
      await awaitBlank(prefix, made, encoder, desk)
      progress(`${prefix}: writing`)
      // A write takes well under a second; a longer wait means the card left between the scan and the write.
      const a = await settle((await api('/access_methods/encode', { access_method_id: methodId, acs_encoder_id: encoder.id })).action_attempt,
        (ms) => ms > 2000 && progress(`${prefix}: writing — if the card was taken off, place it on ${encoder.name} again`))
      if (a.status === 'error') throw new DeskError(encoderErrorWords(a.error, encoder.name))
      made.push(a.result?.lockstep_metadata?.card_uid)
      progress(`done — key ${k} of ${count}${k < count ? '' : ` · ${desk.entranceNames(a.result?.acs_entrance_ids ?? a.result?.lockstep_metadata?.acs_entrance_ids)} until ${when(a.result?.ends_at)}`}`, 'done')
    }
  } catch (err) {
    progress(`${made.length ? `${made.length} key(s) made, then: ` : ''}${err.message}`, 'failed')
  }
  await desk.refresh()
}

/** Scans the card on the encoder and says what it opens, until when, and whether it was overridden. */
export async function readKey(desk, encoder) {
  const box = $('#card-report')
  box.hidden = false
  box.removeAttribute('data-card-status')
  box.replaceChildren(`Reading: place the card on ${encoder.name}`)
  const scan = await settle((await api('/acs/encoders/scan_credential', { acs_encoder_id: encoder.id })).action_attempt)
  if (scan.status === 'error') return void box.replaceChildren(el('span', { class: 'bad-text' }, encoderErrorWords(scan.error, encoder.name)))
  const r = scan.result
  const meta = r.lockstep_card_metadata ?? {}
  box.setAttribute('data-card-status', meta.card_status ?? 'unknown')
  if (meta.card_status !== 'valid') {
    const what = { blank: 'Blank card', unreadable: 'Unreadable card: not a card of this system, or its keys differ' }[meta.card_status] ??
      `Not a key of this property (${meta.card_status})`
    return void box.replaceChildren(`${what} · UID ${meta.card_uid}`)
  }
  const res = meta.reservation_key ? desk.reservation(meta.reservation_key) : null
  const guest = res?.guests.join(', ') ?? desk.identityName(meta.user_identity_id) ?? 'unknown guest'
  const lines = []
  const flag = (cls, text) => lines.push(el('li', { class: cls }, text))
  if (meta.is_cancelled) flag('bad-text', 'Checked out or deleted: lockstep no longer wants this card, but an offline lock opens for it until a newer reservation\'s key is used there or it expires.')
  if (meta.is_expired) flag('bad-text', `Expired ${when(meta.ends_at)}.`)
  if (meta.is_overridden) flag('bad-text', `Overridden at ${desk.entranceNames(meta.overridden_at_acs_entrance_ids)}: a newer reservation's key was made for that door; the lock refuses this card once that key has been used.`)
  if (meta.is_superseded) flag('warn-text', 'Its key was made again on another card since.')
  // Compare with the grants: which reservation each of the card's rooms belongs to now.
  if (meta.level === 'guest') {
    for (const id of meta.acs_entrance_ids ?? []) {
      const now = desk.currentReservation(id)
      if (!now || !desk.entrance(id)?.can_belong_to_reservation) continue
      if (now.key === meta.reservation_key) flag('ok-text', `${desk.entranceNames([id])}: this is the room's current reservation.`)
      else flag('bad-text', `${desk.entranceNames([id])} now belongs to reservation ${now.key} (${now.guests.join(', ')}); this card is overridden there once that key is used.`)
    }
  }
  for (const w of r.warnings ?? []) flag('warn-text', w.warning_message ?? w.warning_code)
  const valid = !meta.is_cancelled && !meta.is_expired && !meta.is_overridden
  box.setAttribute('data-overridden', String(!!meta.is_overridden))
  box.replaceChildren(
    el('div', {}, el('strong', {}, `${meta.level === 'guest' ? 'Guest key' : `${meta.level} key`} · ${guest}`),
      meta.reservation_key ? ` · reservation ${meta.reservation_key}${meta.is_joiner ? ' (duplicate)' : ''}` : '',
      ' ', el('span', { class: `badge ${valid ? 'ok' : 'bad'}` }, valid ? 'valid' : 'not valid')),
    el('div', {}, `Opens ${desk.entranceNames(meta.acs_entrance_ids)} · from ${when(meta.starts_at)} until ${when(meta.ends_at)} · card ${meta.credential_number} (UID ${meta.card_uid})`),
    lines.length ? el('ul', {}, lines) : null,
  )
}

/**
 * Deletes the reservation's grants and names the keys that stay valid at offline locks. Seam's delete answers
 * a bare ok; lockstep tells of an issued card left out on that method's access_method.deleted event
 * (lockstep_warnings), so the page reads those events back.
 */
export async function checkout(desk, r) {
  const since = new Date(Date.now() - 86400_000).toISOString()
  const warnings = []
  for (const g of r.grants) warnings.push(...((await api('/access_grants/delete', { access_grant_id: g.access_grant_id })).warnings ?? []))
  const issued = r.cards.filter((m) => m.is_issued).map((m) => m.access_method_id)
  if (issued.length) {
    const { events } = await api('/events/list', { since, event_type: 'access_method.deleted', access_method_ids: issued, limit: 500 })
    for (const e of events) for (const w of e.lockstep_warnings ?? []) warnings.push({ ...w, access_method_ids: [e.access_method_id] })
  }
  const stuck = warnings.filter((w) => w.warning_code === 'issued_cards_not_revoked')
  const ids = new Set(stuck.flatMap((w) => w.access_method_ids ?? []))
  const cards = r.cards.filter((m) => ids.has(m.access_method_id)).map((m) => `card ${m.lockstep_metadata?.card_uid ?? '?'} (${desk.identityName(r.grantOf(m).user_identity_id) ?? 'guest'})`)
  const p = $('#progress')
  p.hidden = false
  p.className = cards.length ? 'warned' : 'done'
  p.setAttribute('data-checkout', r.key)
  p.textContent = `Checked out ${r.guests.join(', ')} from ${desk.entranceNames(r.capable)}. ` +
    (cards.length
      ? `These keys cannot be revoked (offline locks): ${cards.join(', ')}. ${stuck[0].message ?? ''}`
      : 'It had no key made.')
  await desk.refresh()
}
