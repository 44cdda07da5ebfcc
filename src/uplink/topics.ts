// The fleet's topic tree (docs/fleet.md). One prefix, versioned, so a later layout can live beside this one.
export const FLEET_PREFIX = 'lockstep/v1'

export const siteTopics = (site: string) => ({
  /** Retained: online/offline, version, device counts (the last will says offline). */
  status: `${FLEET_PREFIX}/sites/${site}/status`,
  /** The outbox's events, QoS 1, in order. */
  events: `${FLEET_PREFIX}/sites/${site}/events`,
  /** MQTT 5 requests for the site's API. */
  api: `${FLEET_PREFIX}/sites/${site}/api`,
})

export const STATUS_WILDCARD = `${FLEET_PREFIX}/sites/+/status`
export const gatewayResponseTopic = (gatewayId: string) => `${FLEET_PREFIX}/gateways/${gatewayId}/responses`

/** The site id in a site topic, or undefined. */
export function siteOfTopic(topic: string): string | undefined {
  const parts = topic.split('/')
  return parts.length === 5 && `${parts[0]}/${parts[1]}` === FLEET_PREFIX && parts[2] === 'sites' ? parts[3] : undefined
}

/** What the retained status topic holds. */
export interface SiteStatus {
  status: 'online' | 'offline'
  version: string
  /** Device counts when it was published (absent in the last will: the broker sends that one). */
  devices?: { total: number; online: number }
  at?: string
}
