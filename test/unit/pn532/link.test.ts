// The host link against a scripted device: resend after a missing ACK, a late ACK whose command
// ran twice, an ACK delivered synchronously inside write(), error frames, damaged responses.
import { describe, expect, it } from 'vitest'
import { encodeFrame, FrameReader } from '../../../adapters/pn532-serial/frame.js'
import { LinkError, Pn532Link } from '../../../adapters/pn532-serial/link.js'
import { duplexPair } from '../../../src/kernel/duplex-pair.js'

const ACK = Buffer.from('0000ff00ff00', 'hex')
type Script = (pd: Buffer, n: number, send: (b: Buffer, delayMs?: number) => void) => void

function device(script: Script) {
  const link = duplexPair()
  const reader = new FrameReader()
  let n = 0
  const send = (b: Buffer, delayMs?: number) => (delayMs === undefined ? link.device.write(b) : setTimeout(() => link.device.write(b), delayMs))
  link.device.on('data', (c: Buffer) => {
    for (const it of reader.push(c)) if (it.kind === 'data') script(it.pd, n++, send)
  })
  return link
}
const reply = (pd: number[]) => encodeFrame(0xd5, Buffer.from(pd))

describe('Pn532Link', () => {
  it('resends once when the ACK does not come, then succeeds', async () => {
    const link = device((pd, n, send) => {
      if (n === 0) return // lost
      send(Buffer.concat([ACK, reply([pd[0]! + 1, n])]))
    })
    const l = new Pn532Link(link.host, { ackTimeoutMs: 20 })
    expect((await l.command([0x02]))[0]).toBe(1)
    expect(l.resends).toBe(1)
    link.cut()
  })

  it('a late ACK whose command ran twice: the duplicate answer is not taken for the next command', async () => {
    const link = device((pd, n, send) => {
      // First frame: ACK and answer arrive late (after the host resent), so the device answers both.
      send(Buffer.concat([ACK, reply([pd[0]! + 1, 0xa0 + n])]), n === 0 ? 30 : n === 1 ? 31 : undefined)
    })
    const l = new Pn532Link(link.host, { ackTimeoutMs: 20 })
    const first = await l.command([0x30])
    const second = await l.command([0x30])
    expect(first[0]).toBe(0xa0)
    expect(second[0]).toBe(0xa2) // not the duplicate 0xa1
    link.cut()
  })

  it('an ACK delivered synchronously inside write() does not orphan the response timer', async () => {
    const link = device((pd, _n, send) => send(Buffer.concat([ACK, reply([pd[0]! + 1])])))
    const l = new Pn532Link(link.host, { ackTimeoutMs: 10, responseTimeoutMs: 30 })
    for (let i = 0; i < 20; i++) await l.command([0x02])
    let extra = 0
    link.device.on('data', () => extra++)
    await new Promise((r) => setTimeout(r, 60)) // a stale response timer would send an abort ACK now
    expect(extra).toBe(0)
    link.cut()
  })

  it('error frame → syntax; silence → timeout; wrong response code → protocol; cut → closed', async () => {
    const link = device((pd, _n, send) => {
      if (pd[0] === 0x7e) send(Buffer.concat([ACK, Buffer.from('0000ff01ff7f8100', 'hex')]))
      else if (pd[0] === 0x10) send(ACK)
      else if (pd[0] === 0x11) send(Buffer.concat([ACK, reply([0x99])]))
    })
    const l = new Pn532Link(link.host, { ackTimeoutMs: 10, responseTimeoutMs: 30 })
    await expect(l.command([0x7e])).rejects.toMatchObject({ failure: 'syntax' })
    await expect(l.command([0x10])).rejects.toMatchObject({ failure: 'timeout' })
    await expect(l.command([0x11])).rejects.toMatchObject({ failure: 'protocol' })
    await expect(l.command([0x12])).rejects.toMatchObject({ failure: 'timeout' })
    const pending = l.command([0x10])
    setTimeout(() => link.cut(), 5)
    const e = await pending.catch((x: unknown) => x)
    expect(e).toBeInstanceOf(LinkError)
    expect((e as LinkError).failure).toBe('closed')
    await expect(l.command([0x02])).rejects.toMatchObject({ failure: 'closed' })
  })

  it('a damaged response is NACKed and the resent one accepted', async () => {
    let nacks = 0
    const link = device((pd, _n, send) => {
      const good = reply([pd[0]! + 1, 0x42])
      const bad = Buffer.from(good)
      bad[bad.length - 2] = bad[bad.length - 2]! ^ 0xff
      send(Buffer.concat([ACK, bad]))
    })
    link.device.on('data', (c: Buffer) => {
      if (c.equals(Buffer.from('0000ffff0000', 'hex'))) {
        nacks++
        link.device.write(reply([0x03, 0x42]))
      }
    })
    const l = new Pn532Link(link.host, { ackTimeoutMs: 20 })
    expect((await l.command([0x02]))[0]).toBe(0x42)
    expect(nacks).toBe(1)
    link.cut()
  })
})
