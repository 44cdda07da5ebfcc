// A fleet broker for the system tier: a real mosquitto with the shipped ACL (deploy/mosquitto/acl), a password
// file made with mosquitto_passwd, persistence on (a restart keeps sessions) and TCP_NODELAY.
import { spawnSync } from 'node:child_process'
import { copyFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { findMosquitto, freePort, Mosquitto } from './mosquitto.js'

export const FLEET_ACL = resolve(import.meta.dirname, '..', 'deploy', 'mosquitto', 'acl')

export async function startFleetBroker(accounts: Record<string, string>): Promise<Mosquitto> {
  const bin = findMosquitto()
  if (!bin) throw new Error('mosquitto is not installed (apt-get install -y mosquitto)')
  const broker = new Mosquitto(bin, await freePort(), (dir) => {
    const passwd = join(dir, 'passwd')
    for (const [user, password] of Object.entries(accounts)) {
      const r = spawnSync('mosquitto_passwd', ['-b', ...(Object.keys(accounts)[0] === user ? ['-c'] : []), passwd, user, password], { encoding: 'utf8' })
      if (r.status !== 0) throw new Error(`mosquitto_passwd failed: ${r.stderr}`)
    }
    copyFileSync(FLEET_ACL, join(dir, 'acl'))
    return [
      'allow_anonymous false', `password_file ${passwd}`, `acl_file ${join(dir, 'acl')}`, 'set_tcp_nodelay true',
      // Started as root, mosquitto drops to user "mosquitto", which cannot read this private test dir.
      ...(process.getuid?.() === 0 ? ['user root'] : []),
      'persistence true', `persistence_location ${dir}/`, 'autosave_interval 1',
    ]
  })
  await broker.start()
  return broker
}
