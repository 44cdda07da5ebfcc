// The virtual MIFARE Classic card enforces keys and access bits as the data sheet tables say.
import { mkdtempSync, readFileSync, statSync, writeFileSync, chmodSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { accessConditions, encodeAccessBits } from '../../../simulators/mifare-classic/access.js'
import { ClassicCard } from '../../../simulators/mifare-classic/card.js'
import { VirtualCardStore } from '../../../simulators/mifare-classic/card-store.js'
import { seededRandom } from '../../../src/kernel/ids.js'
import { loadOrCreateSiteKeys, SITE_KEY_FILES } from '../../../src/store/card-key-files.js'

const UID = Buffer.from('deadbeef', 'hex')
const FF = Buffer.alloc(6, 0xff)
const KA = Buffer.from('a0a1a2a3a4a5', 'hex')
const KB = Buffer.from('b0b1b2b3b4b5', 'hex')
const rd = (c: ClassicCard, b: number): Buffer => {
  const r = c.read(b)
  if (!r.ok || !r.data) throw new Error(`read ${b} NAK`)
  return r.data
}
const trailer = (bits: string) => Buffer.concat([KA, Buffer.from(bits, 'hex'), KB])

describe('access bits (docs/protocols/pn532-mifare.md §6.4–6.6)', () => {
  it('golden: transport FF 07 80, project 78 77 88', () => {
    expect(encodeAccessBits(['000', '000', '000', '001']).toString('hex')).toBe('ff0780')
    expect(encodeAccessBits(['100', '100', '100', '011']).toString('hex')).toBe('787788')
    expect(accessConditions(Buffer.from('00000000000078778869000000000000', 'hex'))).toEqual(['100', '100', '100', '011'])
    expect(accessConditions(Buffer.from('00000000000078778969000000000000', 'hex'))).toBeUndefined()
  })
})

describe('ClassicCard', () => {
  it('block 0 carries UID, BCC 22, SAK 08, ATQA 04 00', () => {
    const b0 = ClassicCard.blank(UID).dump()[0]!
    expect(b0.subarray(0, 8).toString('hex')).toBe('deadbeef22080400')
  })

  it('transport card: key A reads and writes data and the trailer; key B (readable) is refused for operations', () => {
    const c = ClassicCard.blank(UID)
    expect(c.authenticate('A', 4, FF, UID)).toBe(true)
    expect(c.write(4, Buffer.alloc(16, 1)).ok).toBe(true)
    expect(c.read(4)).toEqual({ ok: true, data: Buffer.alloc(16, 1) })
    expect(rd(c, 7).subarray(0, 6).equals(Buffer.alloc(6))).toBe(true) // key A never reads back
    expect(rd(c, 7).subarray(10).equals(FF)).toBe(true) // key B readable in transport config
    expect(c.read(8).ok).toBe(false) // other sector not opened
    c.select()
    expect(c.authenticate('B', 4, FF, UID)).toBe(true)
    expect(c.read(4).ok).toBe(false)
  })

  it('project trailer: key A reads only, key B reads and writes; keys hidden', () => {
    const c = ClassicCard.blank(UID)
    c.authenticate('A', 7, FF, UID)
    expect(c.write(7, trailer('78778869')).ok).toBe(true)
    c.select()
    expect(c.authenticate('A', 7, FF, UID)).toBe(false)
    expect(c.halted).toBe(true)
    expect(c.authenticate('A', 7, KA, UID)).toBe(false) // halted until re-selected
    c.select()
    expect(c.authenticate('A', 7, KA, UID)).toBe(true)
    expect(c.read(5).ok).toBe(true)
    expect(c.write(5, Buffer.alloc(16, 2)).ok).toBe(false)
    expect(c.write(7, trailer('ff078069')).ok).toBe(false)
    expect(rd(c, 7).toString('hex')).toBe('00000000000078778869000000000000')
    c.select()
    expect(c.authenticate('B', 7, KB, UID)).toBe(true)
    expect(c.write(5, Buffer.alloc(16, 2)).ok).toBe(true)
    expect(c.authenticate('B', 7, KB, Buffer.from('01020304', 'hex'))).toBe(false) // wrong UID in the auth
  })

  it('a trailer write with broken access bits blocks the sector for good', () => {
    const c = ClassicCard.blank(UID)
    c.authenticate('A', 11, FF, UID)
    expect(c.write(11, trailer('78778969')).ok).toBe(true)
    for (const [k, key] of [['A', KA], ['B', KB], ['A', FF]] as const) {
      c.select()
      expect(c.authenticate(k, 8, key, UID)).toBe(false)
    }
  })

  it('block 0 is read-only whatever the access bits say', () => {
    const c = ClassicCard.blank(UID)
    c.authenticate('A', 0, FF, UID)
    expect(c.write(0, Buffer.alloc(16)).ok).toBe(false)
  })
})

describe('VirtualCardStore', () => {
  it('create (seeded), get, clone byte for byte, raw write_block', () => {
    const s = new VirtualCardStore(seededRandom('store'))
    const a = s.createBlank()
    const again = new VirtualCardStore(seededRandom('store')).createBlank()
    expect(again.card.uid.equals(a.card.uid)).toBe(true)
    const dump = s.get(a.cardId)
    expect(dump.blocks).toHaveLength(64)
    expect(dump.blocks[7]).toBe('ffffffffffffff078069ffffffffffff')
    const b = s.clone(a.cardId)
    expect(b.cardId).not.toBe(a.cardId)
    expect(s.get(b.cardId).blocks).toEqual(dump.blocks)
    s.writeBlock(b.cardId, 4, '00'.repeat(15) + '01')
    expect(s.get(b.cardId).blocks[4]).toBe('00'.repeat(15) + '01')
    expect(s.get(a.cardId).blocks[4]).toBe('00'.repeat(16))
    expect(() => s.writeBlock(b.cardId, 4, 'zz')).toThrow(RangeError)
    expect(() => s.get('card_404')).toThrow(RangeError)
  })
})

describe('site key files', () => {
  it('creates 32-byte secrets with mode 0600, reloads the same, tightens loose modes, rejects junk', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'lockstep-keys-')), 'data')
    const k1 = loadOrCreateSiteKeys(dir, seededRandom('k'))
    expect(k1.kMac).toHaveLength(32)
    expect(k1.kA.equals(k1.kB)).toBe(false)
    for (const f of Object.values(SITE_KEY_FILES)) expect(statSync(join(dir, f)).mode & 0o777).toBe(0o600)
    const k2 = loadOrCreateSiteKeys(dir, seededRandom('other'))
    expect(k2.kMac.equals(k1.kMac) && k2.kB.equals(k1.kB)).toBe(true)
    chmodSync(join(dir, SITE_KEY_FILES.kA), 0o644)
    loadOrCreateSiteKeys(dir, seededRandom('other'))
    expect(statSync(join(dir, SITE_KEY_FILES.kA)).mode & 0o777).toBe(0o600)
    writeFileSync(join(dir, SITE_KEY_FILES.kB), 'nothex')
    let msg = ''
    try {
      loadOrCreateSiteKeys(dir, seededRandom('x'))
    } catch (e) {
      msg = (e as Error).message
    }
    expect(msg).toMatch(/not 32 bytes/)
    expect(msg).not.toContain(readFileSync(join(dir, SITE_KEY_FILES.kMac), 'utf8').trim())
  })
})
