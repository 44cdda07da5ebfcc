// lockstep web console: plain ES module, no build, no network beyond this box's own API.
// Every datum comes through the authenticated Seam-format API; the key lives in sessionStorage only.
import { frontDesk } from './front-desk.js'
const KEY = 'lockstep.apiKey'
const $ = (sel) => document.querySelector(sel)
const state = { lab: false, since: null, seenEvents: new Set(), timers: [], entrancesMissing: false }

const STATUS_WORDS = {
  setting: 'being set on the lock',
  set: 'on the lock',
  unset: 'not on the lock',
  removing: 'being removed from the lock',
  unknown: 'state unknown',
}
const STATUS_CLASS = { set: 'ok', setting: 'warn', removing: 'warn', unset: 'bad', unknown: 'bad' }

class ApiError extends Error {
  constructor(status, type, message) {
    super(message)
    this.status = status
    this.type = type
  }
}

/** One call in Seam's style: POST with a JSON body (every route accepts POST), envelope checked. */
async function api(path, params = {}) {
  const res = await fetch(path, {
    method: 'POST',
    headers: { authorization: `Bearer ${sessionStorage.getItem(KEY) ?? ''}`, 'content-type': 'application/json' },
    body: JSON.stringify(params),
  })
  let body = null
  try {
    body = await res.json()
  } catch {
    throw new ApiError(res.status, 'bad_response', `${path}: HTTP ${res.status}, not JSON`)
  }
  if (!res.ok || body?.ok === false) {
    const err = body?.error ?? {}
    if (res.status === 404 && err.type === 'route_not_found') {
      throw new ApiError(404, 'route_not_found', `${path} is not available on this box yet (${err.message ?? 'route not found'})`)
    }
    throw new ApiError(res.status, err.type ?? 'error', err.message ?? `HTTP ${res.status}`)
  }
  return body
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag)
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') node.className = v
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v)
    else if (v !== undefined && v !== null && v !== false) node.setAttribute(k, v === true ? '' : String(v))
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) node.append(c instanceof Node ? c : String(c))
  return node
}

let noticeTimer
function notice(message, kind = 'error') {
  const n = $('#notice')
  n.textContent = message
  n.className = kind === 'info' ? 'info' : ''
  n.hidden = false
  clearTimeout(noticeTimer)
  noticeTimer = setTimeout(() => (n.hidden = true), kind === 'info' ? 4000 : 10000)
}

function issues(errors = [], warnings = []) {
  if (!errors.length && !warnings.length) return null
  return el('ul', { class: 'issues' },
    errors.map((e) => el('li', { class: 'error' }, `Error: ${e.message || e.error_code} (${e.error_code})`)),
    warnings.map((w) => el('li', { class: 'warning' }, `Warning: ${w.message || w.warning_code} (${w.warning_code})`)),
  )
}

async function act(fn, done) {
  try {
    await fn()
    if (done) notice(done, 'info')
  } catch (err) {
    notice(err.message)
  }
  await refreshDoors()
}

function codeRow(device, c) {
  return el('tr', { 'data-access-code-id': c.access_code_id },
    el('td', {}, c.name ?? '—'),
    el('td', {}, el('code', {}, c.code ?? '…')),
    el('td', {}, el('span', { class: `badge ${STATUS_CLASS[c.status] ?? ''}`, title: c.status }, STATUS_WORDS[c.status] ?? c.status),
      issues(c.errors.filter((e) => e.is_access_code_error), c.warnings)),
    el('td', {},
      state.lab && c.code ? el('button', { type: 'button', onclick: () => act(() => api('/lab/locks/enter_code', { device_id: device.device_id, code: c.code }), `Entered ${c.code} at ${device.display_name}`) }, 'Enter at keypad') : null,
      ' ',
      el('button', { type: 'button', onclick: () => act(() => api('/access_codes/delete', { access_code_id: c.access_code_id }), 'Code deleted') }, 'Delete'),
    ),
  )
}

/** Radio exchanges with the lock over the last day, and since the driver started (a battery lock pays for each). */
function radioBadge(radio) {
  if (!radio) return null
  const kinds = Object.entries(radio.last_day.by_kind).map(([k, n]) => `${k} ${n}`).join(', ')
  return el('span', { class: 'radio', title: `last 24 h: ${kinds || 'none'}; since start: ${radio.total.exchanges}` }, ` · radio: ${radio.last_day.exchanges} exchanges in 24 h`)
}

function doorCard(device, codes, radio) {
  const online = device.properties?.online
  const form = el('form', { class: 'inline create-code' },
    el('input', { name: 'name', placeholder: 'name (guest, reservation)', maxlength: 200 }),
    el('input', { name: 'code', placeholder: 'code (blank: generated)', inputmode: 'numeric', pattern: '[0-9]*', size: 14 }),
    el('button', { type: 'submit', class: 'primary' }, 'Create code'),
  )
  form.addEventListener('submit', (ev) => {
    ev.preventDefault()
    const data = new FormData(form)
    const params = { device_id: device.device_id }
    if (data.get('name')) params.name = String(data.get('name'))
    if (data.get('code')) params.code = String(data.get('code'))
    void act(() => api('/access_codes/create', params), 'Code created')
  })
  const labForm = state.lab ? el('form', { class: 'inline enter-code' },
    el('input', { name: 'code', placeholder: 'type a code at the keypad', inputmode: 'numeric', size: 18 }),
    el('button', { type: 'submit' }, 'Enter code'),
  ) : null
  labForm?.addEventListener('submit', (ev) => {
    ev.preventDefault()
    const code = String(new FormData(labForm).get('code') ?? '')
    void act(() => api('/lab/locks/enter_code', { device_id: device.device_id, code }), `Entered ${code} at ${device.display_name}`)
  })
  return el('article', { class: 'door', 'data-device-id': device.device_id },
    el('h3', {}, device.display_name,
      el('span', { class: `badge ${online ? 'ok' : 'bad'}` }, online ? 'online' : 'offline'),
      device.properties?.locked === undefined ? null : el('span', { class: 'badge' }, device.properties.locked ? 'locked' : 'unlocked')),
    el('div', { class: 'meta' }, `${device.properties?.model?.manufacturer_display_name ?? ''} ${device.properties?.model?.display_name ?? ''} · ${device.device_id}`, radioBadge(radio)),
    issues(device.errors, device.warnings),
    codes.length
      ? el('table', {}, el('thead', {}, el('tr', {}, el('th', {}, 'Name'), el('th', {}, 'Code'), el('th', {}, 'Status'), el('th', {}, ''))),
        el('tbody', {}, codes.map((c) => codeRow(device, c))))
      : el('p', { class: 'meta' }, 'No access codes.'),
    form,
    labForm,
  )
}

async function refreshDoors() {
  const { devices } = await api('/devices/list')
  const lists = await Promise.all(devices.map((d) => api('/access_codes/list', { device_id: d.device_id }).then((r) => r.access_codes)))
  // A daemon without the radio route (older) shows no radio badge rather than failing the page.
  const radio = await api('/lockstep/devices/radio').then((r) => new Map(r.devices.map((d) => [d.device_id, d])), () => new Map())
  // Keep what the operator is typing: only rebuild when no input in the doors has focus.
  if (document.activeElement?.closest?.('#doors') && document.activeElement.tagName === 'INPUT') return
  $('#doors').replaceChildren(...devices.map((d, i) => doorCard(d, lists[i], radio.get(d.device_id))))
  if (!state.entrancesMissing) await refreshEntrances()
}

async function refreshEntrances() {
  let entrances
  try {
    entrances = (await api('/acs/entrances/list')).acs_entrances
  } catch (err) {
    if (err.status === 404) return void (state.entrancesMissing = true)
    throw err
  }
  $('#entrances-section').hidden = entrances.length === 0
  $('#entrances').replaceChildren(...entrances.map((e) =>
    el('article', { class: 'door', 'data-acs-entrance-id': e.acs_entrance_id },
      el('h3', {}, e.display_name ?? e.acs_entrance_id),
      issues(e.errors, e.warnings),
      state.lab ? presentCardForm(e) : null,
    )))
}

function presentCardForm(entrance) {
  const form = el('form', { class: 'inline present-card' },
    el('input', { name: 'card_id', placeholder: 'card id (lab cards)', required: true, size: 24 }),
    el('button', { type: 'submit' }, 'Present card'),
  )
  form.addEventListener('submit', (ev) => {
    ev.preventDefault()
    const cardId = String(new FormData(form).get('card_id') ?? '')
    void act(async () => {
      const { result } = await api('/lab/entrances/present_card', { acs_entrance_id: entrance.acs_entrance_id, card_id: cardId })
      notice(`Card ${cardId} at ${entrance.display_name}: ${typeof result === 'object' ? JSON.stringify(result) : result}`, 'info')
    })
  })
  return form
}

function describeEvent(e) {
  const parts = [e.event_type]
  if (e.device_id) parts.push(deviceName(e.device_id))
  if (e.code) parts.push(`code ${e.code}`)
  if (e.error_code) parts.push(e.error_code)
  return parts.join(' · ')
}
const names = new Map()
function deviceName(id) {
  return names.get(id) ?? id.slice(0, 8)
}

async function pollEvents() {
  const since = state.since ?? new Date(Date.now() - 24 * 3600_000).toISOString()
  const { events } = await api('/events/list', { since, limit: 200 })
  const list = $('#events')
  for (const e of events) {
    if (state.seenEvents.has(e.event_id)) continue
    state.seenEvents.add(e.event_id)
    list.prepend(el('li', { 'data-event-type': e.event_type }, el('time', { datetime: e.occurred_at ?? e.created_at }, new Date(e.occurred_at ?? e.created_at).toLocaleTimeString()), describeEvent(e)))
    if (!state.since || (e.created_at ?? '') > state.since) state.since = e.created_at
  }
  while (list.children.length > 200) list.lastChild.remove()
}

/** A customers/push_data item that was rejected, waits, or carries warnings: what the PMS's data needs. */
function describePushProblem(e) {
  const item = e.item ?? {}
  const detail = item.error
    ? `${item.error.type}: ${item.error.message}`
    : item.waiting_for
      ? `waiting for ${Object.entries(item.waiting_for).filter(([, v]) => !Array.isArray(v) || v.length).map(([k, v]) => `${k.replaceAll('_', ' ')}: ${[].concat(v).join(', ')}`).join('; ')}`
      : (item.warnings ?? []).map((w) => (typeof w === 'string' ? w : w.message)).join('; ')
  return `${e.problem} · ${item.collection} ${item.key} · ${detail}`
}

async function pollPushProblems() {
  const since = state.pushSince ?? new Date(Date.now() - 24 * 3600_000).toISOString()
  const { events } = await api('/events/list', { since, limit: 200, event_type: 'lockstep.automation_run.item_problem' })
  const list = $('#pushes')
  for (const e of events) {
    if (state.seenEvents.has(e.event_id)) continue
    state.seenEvents.add(e.event_id)
    list.prepend(el('li', { 'data-problem': e.problem, 'data-key': e.item?.key ?? '' }, el('time', { datetime: e.created_at }, new Date(e.created_at).toLocaleTimeString()), describePushProblem(e)))
    if (!state.pushSince || (e.created_at ?? '') > state.pushSince) state.pushSince = e.created_at
  }
  while (list.children.length > 100) list.lastChild.remove()
  $('#pushes-section').hidden = list.children.length === 0
}

async function loadHealth() {
  const res = await fetch('/health')
  const h = await res.json()
  state.lab = h.mode === 'lab'
  $('#mode').textContent = state.lab ? 'lab' : 'site'
  const badge = $('#site-status')
  badge.textContent = h.status === 'degraded' ? `degraded: ${(h.degraded ?? []).join(', ')}` : 'ok'
  badge.className = `badge ${h.status === 'degraded' ? 'warn' : 'ok'}`
}

/** Each webhook with its health: ok, failing (why), or behind (from /health's degraded lines). */
async function loadWebhooks() {
  const [{ webhooks }, health] = await Promise.all([api('/webhooks/list'), fetch('/health').then((r) => r.json())])
  $('#webhooks-section').hidden = webhooks.length === 0
  const behind = new Map()
  for (const line of health.degraded ?? []) {
    const m = /^webhook ([0-9a-f-]{36}) .* is (\d+) s behind/.exec(line)
    if (m) behind.set(m[1], `${m[2]} s behind`)
  }
  $('#webhooks').replaceChildren(...webhooks.map((w) => {
    const [word, cls] = w.status === 'failing' ? ['failing', 'bad'] : behind.has(w.webhook_id) ? [behind.get(w.webhook_id), 'warn'] : ['ok', 'ok']
    return el('li', { 'data-webhook-id': w.webhook_id },
      el('span', { class: `badge ${cls}` }, word), ' ', el('code', {}, w.url),
      el('div', { class: 'meta' }, (w.event_types ?? []).join(', ')),
      w.status === 'failing' ? el('div', { class: 'issues error' }, w.failing_reason) : null)
  }))
}

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
  $('#app').hidden = false
  $('#sign-out').hidden = false
  await loadHealth().catch(() => {})
  try {
    const { devices } = await api('/devices/list')
    for (const d of devices) names.set(d.device_id, d.display_name)
  } catch (err) {
    if (err.status === 401) return signOut('The API key was refused; enter a valid key.')
    notice(err.message)
  }
  const desk = frontDesk({ api, el, notice, $ })
  const deskOn = await desk.start().catch((err) => (notice(err.message), false))
  await Promise.all([loop(refreshDoors, 3000), loop(pollEvents, 2000), loop(pollPushProblems, 5000), loop(loadHealth, 10000), loop(loadWebhooks, 10000),
    ...(deskOn ? [loop(desk.refresh, 5000)] : [])])
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
