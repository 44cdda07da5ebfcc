// The pure rules of webhook delivery: the signature (against svix's own signer), the retry schedule, the
// URL policy, and which event types a webhook receives.
import { describe, expect, test } from 'vitest'
import { Webhook } from 'svix'
import { pastHorizon, retryDelay, defaultRetryPolicy } from '../../src/events/backoff.js'
import { wants } from '../../src/events/event-types.js'
import { newSecret, signature, signedHeaders } from '../../src/events/signature.js'
import { classify, refusedAddress, refusedUrl, validAllowEntry } from '../../src/events/url-policy.js'
import { seededRandom } from '../../src/kernel/ids.js'

describe('signature', () => {
  test('matches svix\'s signer for the same id, timestamp and body', () => {
    const random = seededRandom('sig')
    for (let i = 0; i < 20; i++) {
      const secret = newSecret(random)
      const body = JSON.stringify({ event_id: random.uuid(), event_type: 'lock.unlocked', n: i, text: 'ünïcödé' })
      const id = random.uuid()
      const ts = 1_700_000_000 + i
      expect(signature(secret, id, ts, body)).toBe(new Webhook(secret).sign(id, new Date(ts * 1000), body))
    }
  })

  test('headers carry both the svix-* and the webhook-* names, timestamp in seconds', () => {
    const h = signedHeaders('whsec_' + Buffer.alloc(24, 7).toString('base64'), 'evt', 1_700_000_000_999, '{}')
    expect(h['svix-timestamp']).toBe('1700000000')
    expect(h['webhook-signature']).toBe(h['svix-signature'])
    expect(h['svix-signature']).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/)
  })
})

describe('retry schedule', () => {
  test('two failures in a row are retried within a minute, for every draw of the jitter', () => {
    for (let seed = 0; seed < 200; seed++) {
      const r = seededRandom(`j${seed}`)
      const first = retryDelay(1, r)
      const second = retryDelay(2, r)
      expect(first).toBeGreaterThanOrEqual(2_500)
      expect(first + second).toBeLessThan(60_000)
    }
  })

  test('grows to hours and never beyond the cap; jitter stays in the upper half', () => {
    const r = seededRandom('grow')
    const delays = Array.from({ length: 15 }, (_, i) => retryDelay(i + 1, r))
    expect(Math.max(...delays)).toBeGreaterThan(3_600_000)
    expect(Math.max(...delays)).toBeLessThanOrEqual(defaultRetryPolicy.maxMs)
    for (let n = 1; n < 40; n++) {
      const ceiling = Math.min(defaultRetryPolicy.maxMs, defaultRetryPolicy.firstMs * 3 ** (n - 1))
      const d = retryDelay(n, r)
      expect(d).toBeGreaterThanOrEqual(Math.floor(ceiling / 2))
      expect(d).toBeLessThanOrEqual(ceiling)
    }
  })

  test('the horizon: give up rather than schedule past 3 days after the first failure', () => {
    expect(pastHorizon(0, 3 * 86_400_000)).toBe(false)
    expect(pastHorizon(0, 3 * 86_400_000 + 1)).toBe(true)
  })
})

describe('URL policy', () => {
  const site = { allowHosts: [], allowLoopback: false }
  test('http(s) only; metadata and link-local refused by default', () => {
    expect(refusedUrl('https://example.com/hook', site)).toBeNull()
    expect(refusedUrl('http://203.0.113.7:8080/x', site)).toBeNull()
    expect(refusedUrl('ftp://example.com/', site)).toMatch(/http and https/)
    expect(refusedUrl('file:///etc/passwd', site)).toMatch(/http and https/)
    expect(refusedUrl('nonsense', site)).toMatch(/not a valid URL/)
    expect(refusedUrl('http://169.254.169.254/latest/meta-data', site)).toMatch(/metadata/)
    expect(refusedUrl('http://metadata.google.internal/computeMetadata/v1', site)).toMatch(/metadata/)
    expect(refusedUrl('http://METADATA.google.internal./', site)).toMatch(/metadata/)
    expect(refusedUrl('http://169.254.10.1/', site)).toMatch(/link-local/)
    expect(refusedUrl('http://[fe80::1]/', site)).toMatch(/link-local/)
    expect(refusedUrl('http://[fd00:ec2::254]/', site)).toMatch(/metadata/)
    expect(refusedUrl('http://0.0.0.0:3590/', site)).toMatch(/unspecified/)
  })

  test('private ranges and loopback only when allowed', () => {
    for (const url of ['http://10.0.0.5/', 'http://172.20.1.1/', 'http://192.168.1.20:8080/', 'http://[fd12::1]/', 'http://100.64.0.1/']) {
      expect(refusedUrl(url, site), url).toMatch(/private/)
    }
    for (const url of ['http://127.0.0.1:3590/metrics', 'http://localhost/', 'http://[::1]/', 'http://[::ffff:127.0.0.1]/', 'http://api.localhost/']) {
      expect(refusedUrl(url, site), url).toMatch(/loopback/)
      expect(refusedUrl(url, { allowHosts: [], allowLoopback: true }), url).toBeNull()
    }
    const lan = { allowHosts: ['192.168.1.0/24', 'pms.local', '10.0.0.9'], allowLoopback: false }
    expect(refusedUrl('http://192.168.1.20/', lan)).toBeNull()
    expect(refusedUrl('http://192.168.2.20/', lan)).toMatch(/private/)
    expect(refusedUrl('http://10.0.0.9/', lan)).toBeNull()
    expect(refusedUrl('http://10.0.0.10/', lan)).toMatch(/private/)
    // A name is checked once resolved: allowed by name, or by the address it resolves to.
    expect(refusedAddress('pms.local', '192.168.7.7', lan)).toBeNull()
    expect(refusedAddress('hooks.example.com', '192.168.1.9', lan)).toBeNull()
    expect(refusedAddress('hooks.example.com', '10.1.1.1', lan)).toMatch(/private/)
    expect(refusedAddress('evil.example.com', '169.254.169.254', lan)).toMatch(/metadata/)
  })

  test('address classes and allow-list entries', () => {
    expect(classify('8.8.8.8')).toBe('public')
    expect(classify('2001:db8::1')).toBe('public')
    expect(classify('::ffff:10.1.2.3')).toBe('private')
    expect(classify('224.0.0.251')).toBe('multicast')
    expect(validAllowEntry('192.168.1.0/24')).toBe(true)
    expect(validAllowEntry('fd00::/8')).toBe(true)
    expect(validAllowEntry('pms.local')).toBe(true)
    expect(validAllowEntry('192.168.1.0/33')).toBe(false)
    expect(validAllowEntry('http://x')).toBe(false)
  })
})

describe('event types', () => {
  test('* is every Seam event; a family; an exact type; lockstep-only events only when named', () => {
    expect(wants(['*'], 'access_code.set_on_device')).toBe(true)
    expect(wants(['*'], 'lockstep.push_data.completed')).toBe(false)
    expect(wants(['access_code.*'], 'access_code.unmanaged.created')).toBe(true)
    expect(wants(['access_code.*'], 'lock.unlocked')).toBe(false)
    expect(wants(['lock.unlocked'], 'lock.unlocked')).toBe(true)
    expect(wants(['lock.unlocked'], 'lock.locked')).toBe(false)
    expect(wants(['lockstep.push_data.completed'], 'lockstep.push_data.completed')).toBe(true)
    expect(wants(['lockstep.*'], 'lockstep.push_data.completed')).toBe(true)
    expect(wants(['lockstep.*'], 'lock.unlocked')).toBe(false)
  })
})
