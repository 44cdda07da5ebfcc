// Golden frames from docs/protocols/pn532-mifare.md §7 (public ones are verbatim from libnfc / nfcpy / NXP answers).
import { describe, expect, it } from 'vitest'
import { encodeFrame, FrameReader, hostCommand, TFI_PN532 } from '../../../adapters/pn532-serial/frame.js'

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex')

const HOST: Array<[string, string, string]> = [
  ['#1 GetFirmwareVersion (public)', '02', '00 00 FF 02 FE D4 02 2A 00'],
  ['#4 SAMConfiguration 01 (public)', '14 01', '00 00 FF 03 FD D4 14 01 17 00'],
  ['#5 SAMConfiguration 01 00 00 (public)', '14 01 00 00', '00 00 FF 05 FB D4 14 01 00 00 17 00'],
  ['#7 SAMConfiguration 01 14 01', '14 01 14 01', '00 00 FF 05 FB D4 14 01 14 01 02 00'],
  ['#8 RFConfiguration', '32 05 FF 01 02', '00 00 FF 06 FA D4 32 05 FF 01 02 F3 00'],
  ['#10 InListPassiveTarget (public)', '4A 01 00', '00 00 FF 04 FC D4 4A 01 00 E1 00'],
  ['#13 auth A block 4', '40 01 60 04 FF FF FF FF FF FF DE AD BE EF', '00 00 FF 0F F1 D4 40 01 60 04 FF FF FF FF FF FF DE AD BE EF 55 00'],
  ['#13b auth A block 7 (public)', '40 01 60 07 FF FF FF FF FF FF 43 76 2D 0B', '00 00 FF 0F F1 D4 40 01 60 07 FF FF FF FF FF FF 43 76 2D 0B 99 00'],
  ['#16 read block 4 (public)', '40 01 30 04', '00 00 FF 05 FB D4 40 01 30 04 B7 00'],
  ['#18 write block 4 (public)', '40 01 A0 04 00 11 22 33 44 55 66 77 88 99 AA BB CC DD EE FF', '00 00 FF 15 EB D4 40 01 A0 04 00 11 22 33 44 55 66 77 88 99 AA BB CC DD EE FF 4F 00'],
  ['#20 InRelease', '52 00', '00 00 FF 03 FD D4 52 00 DA 00'],
]

const DEVICE: Array<[string, string, string]> = [
  ['#3 firmware', '03 32 01 06 07', '00 00 FF 06 FA D5 03 32 01 06 07 E8 00'],
  ['#6 SAM ok (public)', '15', '00 00 FF 02 FE D5 15 16 00'],
  ['#9 RFConfiguration ok', '33', '00 00 FF 02 FE D5 33 F8 00'],
  ['#11 no target (public)', '4B 00', '00 00 FF 03 FD D5 4B 00 E0 00'],
  ['#12 one target', '4B 01 01 00 04 08 04 DE AD BE EF', '00 00 FF 0C F4 D5 4B 01 01 00 04 08 04 DE AD BE EF 96 00'],
  ['#14 status 00', '41 00', '00 00 FF 03 FD D5 41 00 EA 00'],
  ['#15 auth error', '41 14', '00 00 FF 03 FD D5 41 14 D6 00'],
  ['#17 read data', '41 00 00 11 22 33 44 55 66 77 88 99 AA BB CC DD EE FF', '00 00 FF 13 ED D5 41 00 00 11 22 33 44 55 66 77 88 99 AA BB CC DD EE FF F2 00'],
  ['#21 release ok', '53 00', '00 00 FF 03 FD D5 53 00 D8 00'],
]

describe('PN532 frame golden vectors', () => {
  for (const [name, pd, frame] of HOST) {
    it(`encodes ${name}`, () => expect(hostCommand(hex(pd)).toString('hex')).toBe(hex(frame).toString('hex')))
  }
  for (const [name, pd, frame] of DEVICE) {
    it(`parses ${name}`, () => {
      const items = new FrameReader().push(hex(frame))
      expect(items).toEqual([{ kind: 'data', tfi: TFI_PN532, pd: hex(pd) }])
      expect(encodeFrame(TFI_PN532, hex(pd)).toString('hex')).toBe(hex(frame).toString('hex'))
    })
  }
  it('parses ACK, NACK and the error frame (#2, #22)', () => {
    const r = new FrameReader()
    expect(r.push(hex('00 00 FF 00 FF 00'))).toEqual([{ kind: 'ack' }])
    expect(r.push(hex('00 00 FF FF 00 00'))).toEqual([{ kind: 'nack' }])
    expect(r.push(hex('00 00 FF 01 FF 7F 81 00'))).toEqual([{ kind: 'error' }])
  })
  it('rejects the extended header (#23) cleanly', () => {
    expect(new FrameReader().push(hex('00 00 FF FF FF 01 09 F6'))[0]).toEqual({ kind: 'frame_error', error: 'extended_unsupported' })
  })
  it('ACK and response back to back in one chunk, long preamble, split across chunks (libnfc #86, #289)', () => {
    const r = new FrameReader()
    const all = hex('00 00 00 FF 00 FF 00 00 00 00 FF 03 FD D5 4B 00 E0 00')
    const items = [...r.push(all.subarray(0, 7)), ...r.push(all.subarray(7, 13)), ...r.push(all.subarray(13))]
    expect(items).toEqual([{ kind: 'ack' }, { kind: 'data', tfi: 0xd5, pd: hex('4B 00') }])
  })
  it('reports a bad DCS (npm pn532 bug: D4 40 01 30 BB sent with DCS 01) and a bad LCS, then resyncs', () => {
    const r = new FrameReader()
    expect(r.push(hex('00 00 FF 05 FB D4 40 01 30 BB 01 00'))).toEqual([{ kind: 'frame_error', error: 'bad_dcs' }])
    expect(hostCommand(hex('40 01 30 BB')).at(-2)).toBe(0x00)
    expect(r.push(hex('00 00 FF 05 FA D4'))).toEqual([{ kind: 'frame_error', error: 'bad_lcs' }])
    expect(r.push(hex('00 00 FF 02 FE D5 15 16 00'))).toEqual([{ kind: 'data', tfi: 0xd5, pd: hex('15') }])
  })
})
