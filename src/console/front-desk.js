// The front desk: make a key (new / duplicate / one-shot) with live progress, see today's arrivals and who is
// in house, read the key on the encoder, check out. It needs no PMS: every step is the Seam-format call any
// integration makes (access grants with a reservation_key, access_methods/encode, scan_credential), so the
// override/joiner rules are the API's, not this page's.
const POLL_MS = 250

export function frontDesk({ api, el, notice, $ }) {
  const desk = { entrances: [], encoders: [], working: false, fiasSince: null, seen: new Set() }

  const entranceName = (id) => desk.entrances.find((e) => e.acs_entrance_id === id)?.display_name ?? id.slice(0, 8)
  const encoderName = (id) => desk.encoders.find((e) => e.acs_encoder_id === id)?.display_name ?? id.slice(0, 8)

  function progress(text, kind = 'warn') {
    const p = $('#desk-progress')
    p.textContent = text
    p.className = `badge ${kind}`
    p.hidden = false
  }

  /** Waits for an action attempt to end, saying what the clerk must do meanwhile. */
  async function settle(attempt, waiting) {
    let a = attempt
    while (a.status === 'pending') {
      progress(waiting)
      await new Promise((r) => setTimeout(r, POLL_MS))
      a = (await api('/action_attempts/get', { action_attempt_id: a.action_attempt_id })).action_attempt
    }
    return a
  }

  async function grantsOf(reservationKey) {
    return (await api('/access_grants/list', { reservation_key: reservationKey })).access_grants
  }

  async function makeKey(form) {
    const f = new FormData(form)
    const type = String(f.get('type'))
    const entranceId = String(f.get('room'))
    const encoderId = String(f.get('encoder'))
    const reservation = String(f.get('reservation') ?? '').trim()
    const guest = String(f.get('guest') ?? '').trim()
    if (type !== 'one_shot' && !reservation) throw new Error('A reservation number is needed for a guest key')
    const now = Date.now()
    const endOfToday = new Date()
    endOfToday.setHours(23, 59, 59, 0)
    const departure = String(f.get('departure') ?? '')
    const endsAt = type === 'one_shot' ? endOfToday : new Date(`${departure}T${String(f.get('departure_time') || '12:00')}`)
    if (!(endsAt.getTime() > now)) throw new Error('The departure must be in the future')
    progress('Preparing…')
    if (type === 'new') {
      // A new key cancels the room's keys: the room's earlier reservations and this reservation's own.
      const onRoom = (await api('/access_grants/list', { acs_entrance_id: entranceId })).access_grants.filter((g) => g.reservation_key)
      const mine = await grantsOf(reservation)
      for (const id of new Set([...onRoom, ...mine].map((g) => g.access_grant_id))) await api('/access_grants/delete', { access_grant_id: id })
    }
    const { access_grant: grant } = await api('/access_grants/create', {
      user_identity: { full_name: guest || (type === 'one_shot' ? `One-shot ${entranceName(entranceId)}` : `Guest ${reservation}`) },
      acs_entrance_ids: [entranceId],
      requested_access_methods: [{ mode: 'card' }],
      starts_at: new Date(now - 5 * 60_000).toISOString(),
      ends_at: endsAt.toISOString(),
      name: guest || null,
      ...(type === 'one_shot' ? {} : { reservation_key: reservation }),
    })
    const methodId = grant.access_method_ids[0]
    const { action_attempt } = await api('/access_methods/encode', { access_method_id: methodId, acs_encoder_id: encoderId })
    const done = await settle(action_attempt, `Place a card on ${encoderName(encoderId)}`)
    if (done.status !== 'success') {
      // No key was made: the grant goes too, so nothing half-made stays valid.
      await api('/access_grants/delete', { access_grant_id: grant.access_grant_id }).catch(() => {})
      throw new Error(`No key: ${done.error?.message ?? done.error?.type ?? 'encoding failed'}`)
    }
    if (type === 'one_shot') return progress('Done — one-shot key', 'ok')
    const keys = (await grantsOf(reservation)).length
    progress(`Done — key ${keys} of ${keys}`, 'ok')
  }

  async function readKey(encoderId) {
    $('#desk-read').replaceChildren()
    const { action_attempt } = await api('/acs/encoders/scan_credential', { acs_encoder_id: encoderId })
    const done = await settle(action_attempt, `Place the key on ${encoderName(encoderId)}`)
    if (done.status !== 'success') throw new Error(`No key read: ${done.error?.message ?? done.error?.type}`)
    const m = done.result?.lockstep_card_metadata ?? {}
    progress('Key read', 'ok')
    const rows = m.card_status !== 'valid'
      ? [['Card', m.card_status === 'blank' ? 'blank' : 'not a key of this site']]
      : [
          ['Opens', (m.acs_entrance_ids ?? []).map((id) => (id ? entranceName(id) : 'unknown door')).join(', ')],
          ['Reservation', m.reservation_key ?? 'none (staff or one-shot)'],
          ['Valid until', m.ends_at ? new Date(m.ends_at).toLocaleString() : 'open end'],
          ['Overridden', m.is_overridden ? 'yes — a newer reservation was encoded for this door' : 'no'],
          ['Cancelled', m.is_cancelled ? 'yes — its grant was deleted (the lock honours it until overridden or expired)' : 'no'],
          ['Expired', m.is_expired ? 'yes' : 'no'],
        ]
    $('#desk-read').replaceChildren(el('table', { class: 'read-key' }, el('tbody', {}, rows.map(([k, v]) => el('tr', {}, el('th', {}, k), el('td', {}, v))))))
  }

  async function checkout(reservation) {
    for (const g of await grantsOf(reservation)) await api('/access_grants/delete', { access_grant_id: g.access_grant_id })
    notice(`Reservation ${reservation} checked out`, 'info')
    await refresh()
  }

  function buildForm() {
    const today = new Date()
    const tomorrow = new Date(today.getTime() + 86_400_000)
    const iso = (d) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`
    const form = el('form', { id: 'desk-form', class: 'inline' },
      el('select', { name: 'type', 'aria-label': 'key type' },
        el('option', { value: 'new' }, 'New key'), el('option', { value: 'duplicate' }, 'Duplicate key'), el('option', { value: 'one_shot' }, 'One-shot key')),
      el('select', { name: 'room', 'aria-label': 'room' }, desk.entrances.filter((e) => e.can_belong_to_reservation !== false).map((e) => el('option', { value: e.acs_entrance_id }, e.display_name))),
      el('input', { name: 'reservation', placeholder: 'reservation', size: 12 }),
      el('input', { name: 'guest', placeholder: 'guest name', size: 18 }),
      el('input', { name: 'departure', type: 'date', value: iso(tomorrow), 'aria-label': 'departure' }),
      el('input', { name: 'departure_time', type: 'time', value: '12:00', 'aria-label': 'departure time' }),
      el('select', { name: 'encoder', 'aria-label': 'encoder' }, desk.encoders.map((e) => el('option', { value: e.acs_encoder_id }, e.display_name))),
      el('button', { type: 'submit', class: 'primary' }, 'Make key'),
    )
    form.addEventListener('submit', (ev) => {
      ev.preventDefault()
      if (desk.working) return
      desk.working = true
      makeKey(form)
        .catch((err) => {
          progress(err.message, 'bad')
          notice(err.message)
        })
        .finally(() => {
          desk.working = false
          void refresh()
        })
    })
    const read = el('div', { class: 'inline' }, desk.encoders.map((e) =>
      el('button', { type: 'button', 'data-read-encoder': e.acs_encoder_id, onclick: () => readKey(e.acs_encoder_id).catch((err) => (progress(err.message, 'bad'), notice(err.message))) }, `Read key on ${e.display_name}`)))
    $('#desk-controls').replaceChildren(form, read)
  }

  function reservationRow(key, grants) {
    const rooms = [...new Set(grants.flatMap((g) => g.lockstep_metadata?.acs_entrance_ids ?? []))].map(entranceName).join(', ')
    const until = grants.map((g) => g.ends_at).filter(Boolean).sort().at(-1)
    const issued = grants.length
    return el('tr', { 'data-reservation': key },
      el('td', {}, key), el('td', {}, grants.find((g) => g.name)?.name ?? '—'), el('td', {}, rooms),
      el('td', {}, until ? new Date(until).toLocaleString() : '—'), el('td', {}, `${issued} key${issued === 1 ? '' : 's'}`),
      el('td', {},
        el('button', { type: 'button', onclick: () => {
          const f = $('#desk-form')
          f.elements.type.value = 'duplicate'
          f.elements.reservation.value = key
          const room = grants[0]?.acs_entrance_ids?.[0]
          if (room) f.elements.room.value = room
          f.elements.guest.focus()
        } }, 'Duplicate'),
        ' ',
        el('button', { type: 'button', onclick: () => checkout(key).catch((err) => notice(err.message)) }, 'Check out')),
    )
  }

  async function refresh() {
    if (!desk.entrances.length) return
    const grants = (await api('/access_grants/list', {})).access_grants.filter((g) => g.reservation_key)
    const byKey = new Map()
    for (const g of grants) byKey.set(g.reservation_key, [...(byKey.get(g.reservation_key) ?? []), g])
    const todayEnd = new Date()
    todayEnd.setHours(23, 59, 59, 999)
    const arrivals = [...byKey].filter(([, gs]) => gs.every((g) => g.display_status === 'upcoming') && gs.some((g) => new Date(g.starts_at) <= todayEnd))
    const inHouse = [...byKey].filter(([, gs]) => gs.some((g) => g.display_status === 'active'))
    const table = (rows, empty) => rows.length
      ? el('table', {}, el('thead', {}, el('tr', {}, ['Reservation', 'Guest', 'Room', 'Until', 'Keys', ''].map((h) => el('th', {}, h)))),
          el('tbody', {}, rows.map(([k, gs]) => reservationRow(k, gs))))
      : el('p', { class: 'meta' }, empty)
    $('#desk-arrivals').replaceChildren(table(arrivals, 'No arrivals waiting for today.'))
    $('#desk-inhouse').replaceChildren(table(inHouse, 'Nobody in house.'))
  }

  /** The PMS's key requests and lockstep's answers (lockstep.fias.* events, listed only when asked for by type). */
  async function pollFias() {
    const since = desk.fiasSince ?? new Date(Date.now() - 24 * 3600_000).toISOString()
    const { events } = await api('/events/list', { since, limit: 200, event_types: ['lockstep.fias.key_answer_sent', 'lockstep.fias.link_up', 'lockstep.fias.link_down'] })
    const list = $('#desk-fias')
    for (const e of events) {
      if (desk.seen.has(e.event_id)) continue
      desk.seen.add(e.event_id)
      const text = e.event_type === 'lockstep.fias.key_answer_sent'
        ? `${e.request_record ?? ''} → ${e.answer_status} ${e.answer_text}${e.delivered === false ? ' (not delivered: link lost)' : ''}`
        : e.event_type === 'lockstep.fias.link_up' ? `link to the PMS up (${e.url})` : `link to the PMS down (${e.url})`
      list.prepend(el('li', { 'data-event-type': e.event_type, 'data-status': e.answer_status ?? '' }, el('time', { datetime: e.created_at }, new Date(e.created_at).toLocaleTimeString()), text))
      if (!desk.fiasSince || e.created_at > desk.fiasSince) desk.fiasSince = e.created_at
    }
    while (list.children.length > 100) list.lastChild.remove()
    $('#desk-fias-section').hidden = list.children.length === 0
  }

  async function start() {
    try {
      desk.entrances = (await api('/acs/entrances/list')).acs_entrances
      desk.encoders = (await api('/acs/encoders/list')).acs_encoders
    } catch (err) {
      if (err.status === 404) return false
      throw err
    }
    if (!desk.entrances.length || !desk.encoders.length) return false
    $('#desk-section').hidden = false
    buildForm()
    await Promise.all([refresh(), pollFias()])
    return true
  }

  return { start, refresh: () => Promise.all([refresh(), pollFias()]) }
}
