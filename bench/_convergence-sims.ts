// Child process of bench/convergence.ts: the device side. Starts the broker (embedded aedes with noDelay,
// or mosquitto with set_tcp_nodelay) and N simulated Zigbee2MQTT locks, prints one JSON line
// {"brokerUrl": …}, and runs until stdin closes. Kept out of the measured process so lockstep's RSS and
// CPU are its own, and the floor and lockstep talk to the very same broker and locks.
import { startBroker } from '../src/mqtt/broker.js'
import { startZigbeeLab } from '../src/lab/zigbee-lab.js'
import { Mosquitto, findMosquitto, freePort } from '../testkit/mosquitto.js'

const [brokerKind, locksArg, slotsArg] = process.argv.slice(2)
const locks = Number(locksArg)
const slots = Number(slotsArg)

let closeBroker: () => Promise<void>
let brokerUrl: string
if (brokerKind === 'mosquitto') {
  const bin = findMosquitto()
  if (!bin) throw new Error('mosquitto not installed (apt-get install -y mosquitto)')
  const m = new Mosquitto(bin, await freePort())
  await m.start()
  brokerUrl = m.url
  closeBroker = () => m.dispose()
} else {
  const b = await startBroker({ port: 0 })
  brokerUrl = b.url
  closeBroker = () => b.close()
}

const lab = await startZigbeeLab({
  brokerUrl,
  commandTimeoutMs: 10_000,
  locks: Array.from({ length: locks }, (_, i) => ({
    name: benchLockName(i), manufacturer: 'Yale', model: 'YRD256HA20BP', slots, pinLength: { min: 4, max: 8 }, exposePin: true,
  })),
})
process.stdout.write(JSON.stringify({ brokerUrl }) + '\n')

let stopping = false
const stop = async () => {
  if (stopping) return
  stopping = true
  await lab.stop().catch(() => undefined)
  await closeBroker().catch(() => undefined)
  process.exit(0)
}
process.stdin.on('end', stop)
process.stdin.on('close', stop)
process.stdin.resume()
process.on('SIGTERM', stop)

function benchLockName(i: number): string {
  return `bench_lock_${String(i).padStart(4, '0')}`
}
