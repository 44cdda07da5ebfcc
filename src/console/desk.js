// The front-desk page: today's arrivals and in-house reservations (access grants with a reservation_key),
// make / read keys on the encoder, checkout, and each door's desired state next to what the lock shows.
// Works through the public API alone (no PMS needed); the lock audit comes from the lab routes in lab mode.
import { $, KEY, api, apiAll, day, el, notice, when } from './desk-api.js'
import { checkout, makeKeys, readKey } from './desk-keys.js'

const state = {
  lab: false, timers: [], busy: false, armed: null, listSig: '',
  entrances: [], encoders: [], identities: new Map(), reservations: [], grants: [],
  /** card UID → { reservation, grant } for the cards of live grants. */
  cards: new Map(),
}

// ------------------------------------------------------------------ the desk's view of the data

const desk = {
  refresh: () => refreshReservations(),
  entrance: (id) => state.entrances.find((e) => e.acs_entrance_id === id),
  entranceNames: (ids) => (ids ?? []).map((id) => desk.entrance(id)?.display_name ?? (id ? id.slice(0, 8) : '?')).join(', ') || 'no door',
  identityName: (id) => state.identities.get(id) ?? null,
  reservation: (key) => state.reservations.find((r) => r.key === key) ?? null,
  /** The reservation a room's lock should follow now: of the active ones, the one whose keys were made last. */
  currentReservation(entranceId) {
    const on = state.reservations.filter((r) => r.active && r.capable.includes(entranceId))
    const withKeys = on.filter((r) => r.issued > 0).sort((a, b) => (a.lastIssuedAt < b.lastIssuedAt ? 1 : -1))
    return withKeys[0] ?? on.sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1))[0] ?? null
  },
}

/** A grant's doors now (lockstep's field beyond Seam's schema; older boxes had it at the top level). */
const doorsOf = (g) => g.lockstep_metadata?.acs_entrance_ids ?? g.acs_entrance_ids ?? []

/** Grants sharing a reservation_key, as one stay. */
function groupReservations(grants, methodsByGrant) {
  const byKey = new Map()
  for (const g of grants) {
    if (!g.reservation_key || g.display_status === 'ended') continue
    const r = byKey.get(g.reservation_key) ?? { key: g.reservation_key, grants: [], cards: [], byMethod: new Map() }
    r.grants.push(g)
    for (const m of methodsByGrant.get(g.access_grant_id) ?? []) {
      if (m.mode !== 'card') continue
      r.cards.push(m)
      r.byMethod.set(m.access_method_id, g)
    }
    byKey.set(g.reservation_key, r)
  }
  const today = day(new Date())
  return [...byKey.values()].map((r) => {
    const capable = [...new Set(r.grants.flatMap((g) => g.lockstep_metadata?.reservation_capable_acs_entrance_ids ?? []))]
    const doors = [...new Set(r.grants.flatMap(doorsOf))]
    const starts = r.grants.map((g) => g.starts_at).sort()[0]
    const ends = r.grants.some((g) => !g.ends_at) ? null : r.grants.map((g) => g.ends_at).sort().at(-1)
    const issued = r.cards.filter((m) => m.is_issued)
    return {
      ...r,
      capable: capable.length ? capable : doors,
      doors,
      guests: [...new Set(r.grants.map((g) => desk.identityName(g.user_identity_id) ?? g.display_name))],
      startsAt: starts,
      endsAt: ends,
      createdAt: r.grants.map((g) => g.created_at).sort()[0],
      issued: issued.length,
      lastIssuedAt: issued.map((m) => m.issued_at).sort().at(-1) ?? '',
      active: r.grants.some((g) => g.display_status === 'active'),
      startsToday: day(new Date(starts)) === today,
      grantOf: (m) => r.byMethod.get(m.access_method_id),
    }
  })
}

async function refreshReservations() {
  // Every page: grants that ended stay listed, and a busy hotel passes one page of them in a few weeks.
  const [grants, people] = await Promise.all([apiAll('/access_grants/list', {}, 'access_grants'), apiAll('/user_identities/list', {}, 'user_identities')])
  state.identities = new Map(people.map((u) => [u.user_identity_id, u.full_name ?? u.display_name]))
  const withKey = grants.filter((g) => g.reservation_key && g.display_status !== 'ended')
  const lists = await Promise.all(withKey.map((g) => api('/access_methods/list', { access_grant_id: g.access_grant_id }).then((r) => [g.access_grant_id, r.access_methods])))
  state.grants = grants
  state.reservations = groupReservations(grants, new Map(lists))
  state.cards = new Map()
  for (const r of state.reservations) for (const m of r.cards) if (m.lockstep_metadata?.card_uid) state.cards.set(m.lockstep_metadata.card_uid, { reservation: r, grant: r.grantOf(m) })
  const arrivals = state.reservations.filter((r) => r.startsToday && r.issued === 0)
  const inHouse = state.reservations.filter((r) => r.active && !arrivals.includes(r))
  // Rebuild only on change: a table replaced under the clerk's pointer swallows the click.
  const sig = JSON.stringify([arrivals, inHouse].map((l) => l.map((r) => [r.key, r.guests, r.capable, r.doors, r.startsAt, r.endsAt, r.issued, r.cards.length])).concat([state.armed?.key ?? null, state.identities.size]))
  if (sig !== state.listSig) {
    state.listSig = sig
    $('#arrivals').replaceChildren(reservationTable(arrivals, 'No arrivals left today.', false))
    $('#in-house').replaceChildren(reservationTable(inHouse, 'Nobody in house.', true))
  }
  fillReservationChoice([...arrivals, ...inHouse])
}

function reservationTable(list, empty, inHouse) {
  if (!list.length) return el('p', { class: 'meta' }, empty)
  return el('table', {},
    el('thead', {}, el('tr', {}, el('th', {}, 'Room'), el('th', {}, 'Guests'), el('th', {}, 'Dates'), el('th', {}, 'Keys'), el('th', {}, ''))),
    el('tbody', {}, list.sort((a, b) => desk.entranceNames(a.capable).localeCompare(desk.entranceNames(b.capable))).map((r) =>
      el('tr', { 'data-reservation-key': r.key },
        el('td', {}, desk.entranceNames(r.capable), r.doors.length > r.capable.length ? el('div', { class: 'meta' }, `+ ${desk.entranceNames(r.doors.filter((d) => !r.capable.includes(d)))}`) : null),
        el('td', {}, r.guests.join(', '), el('div', { class: 'meta' }, r.key)),
        el('td', {}, `${when(r.startsAt)} → ${when(r.endsAt)}`),
        el('td', {}, `${r.issued} made${r.cards.length > r.issued ? `, ${r.cards.length - r.issued} to make` : ''}`),
        el('td', {},
          el('button', { type: 'button', class: 'make', onclick: () => chooseDuplicate(r) }, r.issued ? 'Duplicate key' : 'Make keys'),
          ' ',
          inHouse ? checkoutButton(r) : null),
      ))))
}

/** Two clicks: a checkout cannot be undone, and issued cards stay valid at offline locks. The armed state
 * lives in `state` so the list's refresh (every few seconds) does not disarm it under the clerk's pointer. */
function checkoutButton(r) {
  const armed = state.armed?.key === r.key && state.armed.until > Date.now()
  return el('button', {
    type: 'button', class: 'checkout',
    onclick: () => {
      if (state.armed?.key === r.key && state.armed.until > Date.now()) {
        state.armed = null
        return void guard(() => checkout(desk, r))
      }
      state.armed = { key: r.key, until: Date.now() + 8000 }
      void refreshReservations().catch((err) => notice(err.message))
    },
  }, armed ? 'Confirm checkout' : 'Checkout')
}

// ------------------------------------------------------------------ make-key form

function fillReservationChoice(list) {
  const sel = $('#reservation')
  if (document.activeElement === sel) return
  const keep = sel.value
  sel.replaceChildren(...list.map((r) => el('option', { value: r.key }, `${desk.entranceNames(r.capable)} · ${r.guests.join(', ')} (${r.issued} made)`)))
  if (list.some((r) => r.key === keep)) sel.value = keep
}

function chooseDuplicate(r) {
  const form = $('#key-form')
  form.elements.kind.value = 'duplicate'
  showFieldsFor('duplicate')
  $('#reservation').value = r.key
  form.elements.keys.focus()
}

function showFieldsFor(kind) {
  for (const label of document.querySelectorAll('#key-form [data-for]')) label.hidden = !label.dataset.for.split(' ').includes(kind)
}

function selectedEncoder() {
  const id = $('#encoder').value
  const e = state.encoders.find((x) => x.acs_encoder_id === id)
  if (!e) throw new Error('This box has no card encoder')
  return { id, name: e.display_name }
}

/** One card operation at a time from this page; errors go to the notice. */
async function guard(fn) {
  if (state.busy) return notice('The encoder is busy with the previous key.')
  state.busy = true
  try {
    await fn()
  } catch (err) {
    notice(err.message)
  } finally {
    state.busy = false
  }
}

/** Local date + time → ISO; arrival today means now (the encoder takes it from the clock). */
function isoAt(date, time) {
  return new Date(`${date}T${time}`).toISOString()
}

function planFromForm() {
  const f = new FormData($('#key-form'))
  const kind = String(f.get('kind'))
  const encoder = selectedEncoder()
  const count = Math.max(1, Math.min(6, Number(f.get('keys')) || 1))
  const room = String(f.get('room') ?? '')
  if (kind === 'duplicate') {
    const reservation = desk.reservation(String(f.get('reservation') ?? ''))
    if (!reservation) throw new Error('Choose the reservation to make keys for')
    return { kind, count, encoder, reservation }
  }
  if (!room) throw new Error('Choose a room')
  const roomName = desk.entranceNames([room])
  if (kind === 'one_shot') {
    // Ends at the end of the desk's day, but never sooner than an hour from now (a late-night one-shot).
    const end = new Date()
    end.setHours(23, 59, 0, 0)
    if (end.getTime() < Date.now() + 3600_000) end.setTime(Date.now() + 3600_000)
    return {
      kind, count: 1, encoder,
      grant: {
        // A staff-style card (no reservation_key): it neither overrides the guest nor is overridden.
        user_identity: { full_name: 'One-shot key', user_identity_key: 'front-desk-one-shot' },
        acs_entrance_ids: [room], ends_at: end.toISOString(), name: `One-shot · ${roomName}`, requested_access_methods: [{ mode: 'card' }],
      },
    }
  }
  const guest = String(f.get('guest') ?? '').trim()
  if (!guest) throw new Error('Give the guest\'s name')
  const arrival = String(f.get('arrival') || day(new Date()))
  const departure = String(f.get('departure') ?? '')
  if (!departure) throw new Error('Give the departure date')
  const endsAt = isoAt(departure, String(f.get('departure_time') || '11:00'))
  if (endsAt <= new Date().toISOString()) throw new Error('The departure is in the past')
  const extras = f.getAll('extra').map(String)
  const key = String(f.get('reservation_key') ?? '').trim() || `desk-${arrival.replaceAll('-', '')}-${roomName.replace(/\W+/g, '')}-${Math.random().toString(36).slice(2, 6)}`
  return {
    kind, count, encoder,
    grant: {
      user_identity: { full_name: guest },
      acs_entrance_ids: [room, ...extras],
      ...(arrival === day(new Date()) ? {} : { starts_at: isoAt(arrival, '14:00') }),
      ends_at: endsAt,
      reservation_key: key,
      name: `${guest} · ${roomName}`,
      requested_access_methods: [{ mode: 'card' }],
    },
  }
}

function setUpForm() {
  const form = $('#key-form')
  const tomorrow = new Date(Date.now() + 86400_000)
  form.elements.arrival.value = day(new Date())
  form.elements.departure.value = day(tomorrow)
  const rooms = state.entrances.filter((e) => e.can_belong_to_reservation)
  const common = state.entrances.filter((e) => !e.can_belong_to_reservation)
  // Rooms first; a one-shot key may also be for a common door.
  $('#room').replaceChildren(...[...rooms, ...common].map((e) => el('option', { value: e.acs_entrance_id }, e.display_name)))
  $('#extras').replaceChildren(...common.map((e) => el('label', {}, el('input', { type: 'checkbox', name: 'extra', value: e.acs_entrance_id }), ` ${e.display_name}`)))
  $('#encoder').replaceChildren(...state.encoders.map((e) => el('option', { value: e.acs_encoder_id }, e.display_name)))
  showFieldsFor('new')
  form.addEventListener('change', (ev) => {
    if (ev.target.name === 'kind') showFieldsFor(ev.target.value)
  })
  form.addEventListener('submit', (ev) => {
    ev.preventDefault()
    void guard(async () => makeKeys(desk, planFromForm()))
  })
  $('#read-key').addEventListener('click', () => void guard(async () => readKey(desk, selectedEncoder())))
}

// ------------------------------------------------------------------ desired vs observed

const CODE_WORDS = { set: 'on the lock', setting: 'being set', removing: 'being removed', unset: 'not on the lock', unknown: 'unknown' }

async function refreshDoors() {
  const { devices } = await api('/devices/list')
  const codes = await Promise.all(devices.map((d) => api('/access_codes/list', { device_id: d.device_id }).then((r) => r.access_codes)))
  const audits = state.lab
    ? await Promise.all(state.entrances.map((e) => api('/lab/entrances/audit_log', { acs_entrance_id: e.acs_entrance_id }).then((r) => r.audit_log, () => null)))
    : state.entrances.map(() => null)
  $('#doors').replaceChildren(
    el('table', { id: 'online-doors' },
      el('thead', {}, el('tr', {}, el('th', {}, 'Online lock'), el('th', {}, 'Desired codes'), el('th', {}, 'Observed'))),
      el('tbody', {}, devices.map((d, i) => onlineRow(d, codes[i])))),
    el('table', { id: 'card-doors' },
      el('thead', {}, el('tr', {}, el('th', {}, 'Card door'), el('th', {}, 'Desired'), el('th', {}, 'Observed (lock audit)'))),
      el('tbody', {}, state.entrances.map((e, i) => cardDoorRow(e, audits[i])))),
  )
}

function onlineRow(device, codes) {
  const counts = {}
  for (const c of codes) counts[c.status] = (counts[c.status] ?? 0) + 1
  const problems = [
    ...device.errors.map((e) => e.message || e.error_code),
    ...codes.flatMap((c) => c.errors.map((e) => `${c.name ?? c.code}: ${e.message || e.error_code}`)),
  ]
  const inStep = codes.every((c) => c.status === 'set') && problems.length === 0
  return el('tr', { 'data-device-id': device.device_id },
    el('td', {}, device.display_name, ' ', el('span', { class: `badge ${device.properties?.online ? 'ok' : 'bad'}` }, device.properties?.online ? 'online' : 'offline')),
    el('td', {}, `${codes.length} code${codes.length === 1 ? '' : 's'}`),
    el('td', {},
      el('span', { class: `badge ${inStep ? 'ok' : problems.length ? 'bad' : 'warn'}` }, inStep ? 'in step' : problems.length ? 'problem' : 'catching up'),
      ' ', Object.entries(counts).map(([s, n]) => `${n} ${CODE_WORDS[s] ?? s}`).join(', '),
      problems.length ? el('ul', { class: 'issues' }, problems.map((p) => el('li', { class: 'error' }, p))) : null),
  )
}

function cardDoorRow(entrance, audit) {
  const id = entrance.acs_entrance_id
  let desired
  let wanted = null
  if (entrance.can_belong_to_reservation) {
    wanted = desk.currentReservation(id)
    desired = wanted ? `${wanted.guests.join(', ')} · ${wanted.key}${wanted.issued ? '' : ' (no key made yet)'}` : 'no reservation'
    // Staff-style grants (one-shot keys among them) open the room beside the guest and never override.
    const staff = state.grants.filter((g) => !g.reservation_key && g.display_status === 'active' && doorsOf(g).includes(id))
    if (staff.length) desired += ` + ${staff.map((g) => g.display_name).join(', ')}`
  } else {
    const n = state.grants.filter((g) => g.display_status === 'active' && doorsOf(g).includes(id)).length
    desired = `${n} active grant${n === 1 ? '' : 's'} (common door: no override)`
  }
  return el('tr', { 'data-acs-entrance-id': id, 'data-door': entrance.display_name },
    el('td', {}, entrance.display_name),
    el('td', { class: 'desired' }, desired),
    el('td', { class: 'observed' }, audit === null ? el('span', { class: 'meta' }, state.lab ? 'audit not readable' : 'read at the lock (offline lock)') : observed(entrance, audit, wanted)),
  )
}

/** What the lock's audit ring says: the last guest it let in, and how that compares with the desired stay. */
function observed(entrance, audit, wanted) {
  const last = audit.at(-1)
  const lastGuest = [...audit].reverse().find((a) => a.outcome === 'granted' && a.level === 'guest')
  const owner = lastGuest ? state.cards.get(lastGuest.uid) : undefined
  const parts = []
  if (entrance.can_belong_to_reservation) {
    const who = lastGuest ? (owner ? `${owner.reservation.guests.join(', ')} · ${owner.reservation.key}` : `card ${lastGuest.uid} (no current reservation)`) : 'no guest key used yet'
    let verdict = ['', '']
    if (wanted && owner?.reservation.key === wanted.key) verdict = ['in step', 'ok']
    else if (wanted && wanted.issued) verdict = [`waiting for the first use of ${wanted.key}'s key${lastGuest ? '; the last guest\'s keys still open' : ''}`, 'warn']
    else if (!wanted && lastGuest) verdict = ['checked out: the last guest\'s keys open until a newer key is used', 'warn']
    parts.push(`last guest in: ${who}`)
    if (verdict[0]) parts.unshift(el('span', { class: `badge ${verdict[1]}`, 'data-verdict': verdict[0].split(' ')[0].replace(':', '') }, verdict[0]), ' ')
  }
  if (last) parts.push(el('div', { class: 'meta' }, `last card ${when(last.at)}: ${last.outcome}${last.reason && last.reason !== last.outcome ? ` (${last.reason})` : ''}`))
  else if (!entrance.can_belong_to_reservation) parts.push('no card used yet')
  return parts
}

// ------------------------------------------------------------------ start, loops, sign-in

function loop(fn, ms) {
  const tick = async () => {
    try {
      await fn()
    } catch (err) {
      if (err.status === 401) return signOut('The API key was refused; enter a valid key.')
      notice(err.message)
    }
  }
  state.timers.push(setInterval(tick, ms))
  return tick()
}

async function start() {
  $('#login').hidden = true
  $('#sign-out').hidden = false
  try {
    const h = await fetch('/health').then((r) => r.json())
    state.lab = h.mode === 'lab'
    $('#mode').textContent = state.lab ? 'lab' : 'site'
    const [{ acs_entrances }, { acs_encoders }] = await Promise.all([api('/acs/entrances/list'), api('/acs/encoders/list')])
    state.entrances = acs_entrances
    state.encoders = acs_encoders
  } catch (err) {
    if (err.status === 401) return signOut('The API key was refused; enter a valid key.')
    return notice(err.message)
  }
  $('#app').hidden = false
  setUpForm()
  await Promise.all([loop(refreshReservations, 3000), loop(refreshDoors, 4000)])
}

function signOut(message) {
  for (const t of state.timers) clearInterval(t)
  state.timers = []
  sessionStorage.removeItem(KEY)
  $('#app').hidden = true
  $('#sign-out').hidden = true
  $('#login').hidden = false
  if (message) notice(message)
}

$('#login-form').addEventListener('submit', (ev) => {
  ev.preventDefault()
  sessionStorage.setItem(KEY, $('#api-key').value.trim())
  void start()
})
$('#sign-out').addEventListener('click', () => signOut())
if (sessionStorage.getItem(KEY)) void start()
else $('#login').hidden = false
