// Connecting to the fleet broker, shared by the uplink and the gateway: MQTT 5, credentials or a TLS client
// certificate, and TCP_NODELAY (without it every QoS 1 round trip waits ~40 ms for Nagle; environment notes).
import { readFileSync } from 'node:fs'
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt'

export interface BrokerCredentials {
  username?: string | undefined
  password?: string | undefined
  /** PEM file paths. */
  cert?: string | undefined
  key?: string | undefined
  ca?: string | undefined
}

export function connectBroker(url: string, creds: BrokerCredentials, options: IClientOptions): MqttClient {
  const pem = (file: string | undefined) => (file ? readFileSync(file) : undefined)
  const client = mqtt.connect(url, {
    protocolVersion: 5,
    reconnectPeriod: 1000,
    connectTimeout: 10_000,
    ...(creds.username ? { username: creds.username } : {}),
    ...(creds.password ? { password: creds.password } : {}),
    ...(creds.cert ? { cert: pem(creds.cert)! } : {}),
    ...(creds.key ? { key: pem(creds.key)! } : {}),
    ...(creds.ca ? { ca: pem(creds.ca)! } : {}),
    ...options,
  })
  client.on('connect', () => {
    const stream = client.stream as { setNoDelay?: (on: boolean) => void } | undefined
    stream?.setNoDelay?.(true)
  })
  return client
}
