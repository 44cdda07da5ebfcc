// The front desk's small toolbox: the authenticated API call (Seam's envelope), DOM building, notices,
// action-attempt polling and the encoder's errors in words. Plain ES module, no build.
export const KEY = 'lockstep.apiKey'
export const $ = (sel) => document.querySelector(sel)

export class ApiError extends Error {
  constructor(status, type, message) {
    super(message)
    this.status = status
    this.type = type
  }
}

/** One call in Seam's style: POST with a JSON body, envelope checked. */
export async function api(path, params = {}) {
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
    throw new ApiError(res.status, err.type ?? 'error', err.message ?? `HTTP ${res.status}`)
  }
  return body
}

/** Every page of a list route (`field` names the array), following Seam's next_page_cursor. */
export async function apiAll(path, params, field) {
  const all = []
  let cursor = null
  do {
    const body = await api(path, { ...params, ...(cursor ? { page_cursor: cursor } : {}) })
    all.push(...body[field])
    cursor = body.pagination?.next_page_cursor ?? null
  } while (cursor)
  return all
}

export function el(tag, attrs = {}, ...children) {
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
export function notice(message, kind = 'error') {
  const n = $('#notice')
  n.textContent = message
  n.className = kind === 'info' ? 'info' : ''
  n.hidden = false
  clearTimeout(noticeTimer)
  noticeTimer = setTimeout(() => (n.hidden = true), kind === 'info' ? 15000 : 20000)
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

/** Polls action_attempts/get until the attempt leaves `pending` (the encoder bounds it: ≤ 50 s). */
export async function settle(attempt, onWait = () => {}) {
  const began = Date.now()
  let a = attempt
  while (a.status === 'pending') {
    await sleep(200)
    onWait(Date.now() - began)
    a = (await api('/action_attempts/get', { action_attempt_id: a.action_attempt_id })).action_attempt
  }
  return a
}

/** An encoder attempt's error, as the desk clerk should read it. */
export function encoderErrorWords(error, encoderName) {
  const words = {
    no_credential_on_encoder: `No card was placed on ${encoderName} in time.`,
    encoder_not_online: `${encoderName} is not connected.`,
    encoder_communication_timeout: `${encoderName} does not answer (check its cable).`,
    bridge_disconnected: `${encoderName} is not connected.`,
    incompatible_card_format: `The card on ${encoderName} is not a card this encoder can write (MIFARE Classic 1K).`,
    encoding_interrupted: `The card left ${encoderName} before it was written; place it again.`,
    action_attempt_expired: `${encoderName} did not finish in time.`,
    credential_deleted: 'The reservation was deleted while the key was being made.',
  }[error?.type]
  // The encoder's own message adds nothing to the known cases; for the others it is all there is.
  if (words) return words
  return `${encoderName} failed${error?.message ? `: ${error.message}` : ''} (${error?.type ?? 'unknown error'})`
}

export function when(iso) {
  if (!iso) return 'open end'
  const d = new Date(iso)
  return d.toLocaleString([], { weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' })
}

/** yyyy-mm-dd of a date in the browser's time zone (the desk's). */
export function day(d) {
  const z = (n) => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${z(d.getMonth() + 1)}-${z(d.getDate())}`
}
