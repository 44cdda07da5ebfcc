// Where a webhook may point. A box on a LAN must not become a way into that LAN or into a cloud
// metadata service (SSRF): http(s) only; link-local and metadata addresses refused; private ranges and
// loopback refused unless the site's config allows them (`webhooks.allow_hosts`: host names, IPs or CIDRs;
// `webhooks.allow_loopback`, default on in the lab only, where receivers run on the same machine).
// Checked on the URL when a webhook is created and again on every resolved address at connect time, so a
// name that later resolves to a refused address is refused too.
import { BlockList, isIP } from 'node:net'

export interface UrlPolicyConfig {
  allowHosts: readonly string[]
  allowLoopback: boolean
}

export type AddressClass = 'public' | 'loopback' | 'private' | 'link_local' | 'metadata' | 'unspecified' | 'multicast'

const METADATA_NAMES = new Set(['metadata.google.internal', 'metadata', 'metadata.goog', 'instance-data', 'instance-data.ec2.internal'])
const METADATA_IPS = new Set(['169.254.169.254', '169.254.170.2', '100.100.100.200', 'fd00:ec2::254'])

function blocks(list: [string, number, 'ipv4' | 'ipv6'][]): BlockList {
  const b = new BlockList()
  for (const [net, prefix, type] of list) b.addSubnet(net, prefix, type)
  return b
}
const RANGES: [AddressClass, BlockList][] = [
  ['unspecified', blocks([['0.0.0.0', 8, 'ipv4'], ['::', 128, 'ipv6']])],
  ['loopback', blocks([['127.0.0.0', 8, 'ipv4'], ['::1', 128, 'ipv6']])],
  ['link_local', blocks([['169.254.0.0', 16, 'ipv4'], ['fe80::', 10, 'ipv6']])],
  ['multicast', blocks([['224.0.0.0', 4, 'ipv4'], ['240.0.0.0', 4, 'ipv4'], ['ff00::', 8, 'ipv6']])],
  ['private', blocks([['10.0.0.0', 8, 'ipv4'], ['172.16.0.0', 12, 'ipv4'], ['192.168.0.0', 16, 'ipv4'], ['100.64.0.0', 10, 'ipv4'], ['fc00::', 7, 'ipv6']])],
]

/** `::ffff:10.0.0.1` is 10.0.0.1. */
function unmap(ip: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)
  return m ? m[1]! : ip
}

export function classify(address: string): AddressClass {
  const ip = unmap(address.replace(/^\[|\]$/g, ''))
  if (METADATA_IPS.has(ip.toLowerCase())) return 'metadata'
  const type = isIP(ip) === 6 ? 'ipv6' : 'ipv4'
  for (const [cls, list] of RANGES) if (list.check(ip, type)) return cls
  return 'public'
}

function inAllowList(host: string, allow: readonly string[]): boolean {
  const h = host.toLowerCase()
  const ip = isIP(unmap(h)) ? unmap(h) : null
  for (const entry of allow) {
    const e = entry.toLowerCase()
    if (e === h) return true
    if (!ip) continue
    const slash = e.indexOf('/')
    const net = slash < 0 ? e : e.slice(0, slash)
    const family = isIP(net)
    if (!family) continue
    const prefix = slash < 0 ? (family === 4 ? 32 : 128) : Number(e.slice(slash + 1))
    const list = new BlockList()
    list.addSubnet(net, prefix, family === 4 ? 'ipv4' : 'ipv6')
    if (list.check(ip, isIP(ip) === 6 ? 'ipv6' : 'ipv4')) return true
  }
  return false
}

/** A valid allow-list entry: a host name, an IP, or a CIDR. */
export function validAllowEntry(entry: string): boolean {
  const slash = entry.indexOf('/')
  if (slash < 0) return isIP(entry) > 0 || /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/i.test(entry)
  const family = isIP(entry.slice(0, slash))
  const prefix = Number(entry.slice(slash + 1))
  return family > 0 && Number.isInteger(prefix) && prefix >= 0 && prefix <= (family === 4 ? 32 : 128)
}

/** Why `address` (an IP a host resolved to, or a literal) may not be called, or null. `host` is the URL's name. */
export function refusedAddress(host: string, address: string, policy: UrlPolicyConfig): string | null {
  if (inAllowList(host, policy.allowHosts) || inAllowList(address, policy.allowHosts)) return null
  const cls = classify(address)
  switch (cls) {
    case 'public':
      return null
    case 'loopback':
      return policy.allowLoopback ? null : `${address} is a loopback address (allow it with webhooks.allow_loopback or webhooks.allow_hosts)`
    case 'private':
      return `${address} is a private network address (allow it with webhooks.allow_hosts)`
    case 'metadata':
      return `${address} is a cloud metadata address`
    case 'link_local':
      return `${address} is a link-local address`
    default:
      return `${address} is a ${cls} address`
  }
}

/** Why a webhook URL is refused, or null. Names are checked again once resolved (refusedAddress). */
export function refusedUrl(raw: string, policy: UrlPolicyConfig): string | null {
  let u: URL
  try {
    u = new URL(raw)
  } catch {
    return 'not a valid URL'
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return `only http and https URLs are allowed, not ${u.protocol.replace(/:$/, '')}`
  const host = u.hostname.replace(/^\[|\]$/g, '').toLowerCase().replace(/\.$/, '')
  if (!host) return 'the URL has no host'
  if (METADATA_NAMES.has(host) && !inAllowList(host, policy.allowHosts)) return `${host} is a cloud metadata host`
  if (host === 'localhost' || host.endsWith('.localhost')) return refusedAddress(host, '127.0.0.1', policy)
  if (isIP(unmap(host))) return refusedAddress(host, host, policy)
  return null
}
