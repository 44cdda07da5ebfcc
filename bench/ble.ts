// Bench: keypad codes synced to a simulated Nuki lock through NukiBleDriver (writeSlot for each, then
// readSlots as the reconciler's read-back), against a floor measured in the same run: the same number of
// encrypted request/response exchanges done with the bare codec over the same fake radio.
//
//   tsx bench/ble.ts [--codes 100] [--latency 0] [--verify-each] [--warmup 1] [--seed bench]
// The last line printed is `ratio=<measured ÷ floor>`.
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import { NukiBleDriver } from '../adapters/nuki-ble/driver.js'
import { createNoble } from '../adapters/nuki-ble/noble.js'
import { seededRandom } from '../src/kernel/ids.js'
import { CMD, NUKI_UUID, announcedEncryptedLength, decryptMessage, encryptMessage } from '../src/protocols/nuki/index.js'
import { FakeBleMedium } from '../simulators/ble-medium/medium.js'
import { SimulatedNukiLock } from '../simulators/nuki-lock/nuki-lock.js'

const { values: args } = parseArgs({
  args: process.argv.slice(2),
  options: {
    codes: { type: 'string', default: '100' },
    latency: { type: 'string', default: '0' },
    'verify-each': { type: 'boolean', default: false },
    /** Warm-up rounds (not timed) so both sides are measured with optimised code, not JIT warm-up. */
    warmup: { type: 'string', default: '1' },
    seed: { type: 'string', default: 'bench' },
  },
})
const codes = Number(args.codes)
const latencyMs = Number(args.latency)
const PIN = 1234
const NUKI_ID = 0x0ff1ce01

/** Six digits 1–9 not starting with 12, distinct per index. */
function codeFor(i: number): string {
  let s = ''
  let n = i + 3000
  for (let k = 0; k < 6; k++) {
    s = String((n % 9) + 1) + s
    n = Math.floor(n / 9)
  }
  return s.startsWith('12') ? `9${s.slice(1)}` : s
}

async function main(): Promise<void> {
  const medium = new FakeBleMedium({ latencyMs })
  const lock = new SimulatedNukiLock({
    medium,
    random: seededRandom(`${args.seed}:lock`),
    nukiId: NUKI_ID,
    securityPin: PIN,
    keypadCapacity: Math.max(codes, 100),
  })
  medium.attach(lock)
  const dataDir = await mkdtemp(join(tmpdir(), 'nuki-bench-'))
  const driver = new NukiBleDriver({
    bindings: medium,
    dataDir,
    securityPin: PIN,
    random: seededRandom(`${args.seed}:driver`),
    slotCount: Math.max(codes, 100),
    idleDisconnectMs: 5000,
  })
  const nativeId = NUKI_ID.toString(16).toUpperCase().padStart(8, '0')
  const discovered = new Promise<void>((resolve) => {
    void driver.start((e) => {
      if (e.type === 'discovered') resolve()
    })
  })
  await discovered
  const wanted = Array.from({ length: codes }, (_, i) => codeFor(i))
  if (new Set(wanted).size !== codes) throw new Error('code generator produced duplicates')

  for (let w = 0; w < Number(args.warmup); w++) {
    for (let i = 0; i < codes; i++) await driver.writeSlot(nativeId, i + 1, wanted[i]!, `Guest ${i + 1}`)
    await driver.readSlots(nativeId)
    for (let i = 0; i < codes; i++) await driver.clearSlot(nativeId, i + 1)
  }
  if (lock.slots().some((s) => s.code)) throw new Error('warm-up left codes on the lock')

  // ---- measured: the driver as the reconciler would use it ----
  const exchangesBefore = driver.stats.exchanges
  const t0 = performance.now()
  for (let i = 0; i < codes; i++) {
    await driver.writeSlot(nativeId, i + 1, wanted[i]!, `Guest ${i + 1}`)
    if (args['verify-each']) await driver.readSlots(nativeId)
  }
  const readBack = await driver.readSlots(nativeId)
  const measuredMs = performance.now() - t0
  const exchanges = driver.stats.exchanges - exchangesBefore
  const seen = readBack.flatMap((s) => (s.state === 'occupied' && s.code ? [s.code] : []))
  if (seen.length !== codes || wanted.some((c, i) => readBack[i]?.state !== 'occupied' || (readBack[i] as { code: string }).code !== c)) {
    throw new Error(`read-back mismatch: ${seen.length} of ${codes} codes`)
  }
  await driver.stop()

  // ---- floor: bare codec, same radio, same authorization, same number of exchanges ----
  const stored = JSON.parse(await readFile(join(dataDir, `nuki-${nativeId}.json`), 'utf8')) as { authorizationId: number; sharedKeyHex: string }
  const key = Buffer.from(stored.sharedKeyHex, 'hex')
  const noble = createNoble(medium)
  // Power on before scanning: noble 2.8 registers its binding listeners twice when startScanning comes first.
  await noble.waitForPoweredOnAsync()
  const random = seededRandom(`${args.seed}:floor`)
  const peripheral = await new Promise<import('@stoprocent/noble').Peripheral>((resolve) => {
    noble.on('discover', (p) => resolve(p))
    void noble.startScanningAsync([], false)
  })
  await noble.stopScanningAsync()
  await peripheral.connectAsync()
  const { characteristics } = await peripheral.discoverSomeServicesAndCharacteristicsAsync([NUKI_UUID.keyturnerService], [NUKI_UUID.usdio])
  const usdio = characteristics[0]!
  await usdio.subscribeAsync()
  let buffer = Buffer.alloc(0)
  let waiting: ((frame: Buffer) => void) | undefined
  usdio.on('data', (piece: Buffer) => {
    buffer = Buffer.concat([buffer, piece])
    const size = announcedEncryptedLength(buffer)
    if (size !== undefined && buffer.length >= size) {
      const frame = buffer.subarray(0, size)
      buffer = buffer.subarray(size)
      waiting?.(frame)
    }
  })
  const request = Buffer.from([CMD.challenge & 0xff, CMD.challenge >> 8])
  const floorRound = async (): Promise<number> => {
    const t1 = performance.now()
    for (let i = 0; i < exchanges; i++) {
      const reply = new Promise<Buffer>((resolve) => (waiting = resolve))
      await usdio.writeAsync(encryptMessage(key, random.bytes(24), { authorizationId: stored.authorizationId, command: CMD.requestData, payload: request }), false)
      const m = decryptMessage(key, await reply)
      if (m.command !== CMD.challenge) throw new Error('floor: unexpected reply')
    }
    return performance.now() - t1
  }
  for (let w = 0; w < Number(args.warmup); w++) await floorRound()
  const floorMs = await floorRound()
  await peripheral.disconnectAsync()
  medium.stop()
  await rm(dataDir, { recursive: true, force: true })

  console.log(`nuki-ble bench: ${codes} codes, radio latency ${latencyMs} ms${args['verify-each'] ? ', read-back after each write' : ''}`)
  console.log(`measured: ${codes} writeSlot + ${args['verify-each'] ? codes + 1 : 1} readSlots in ${measuredMs.toFixed(1)} ms (${exchanges} encrypted exchanges, ${driver.stats.connects} connects)`)
  console.log(`floor:    ${exchanges} bare-codec exchanges over the same radio in ${floorMs.toFixed(1)} ms`)
  console.log(`ratio=${(measuredMs / floorMs).toFixed(2)}`)
  process.exit(0)
}

main().catch((e: unknown) => {
  console.error(e)
  process.exit(1)
})
