// Golden framing and record tests against the byte-exact examples of docs/fias.md (from the IFC8 FIAS
// specification), plus the reading rules: split on ETX across reads, refuse bytes outside the ranges.
import { describe, expect, it } from 'vitest'
import { codePage } from '../../../src/fias/code-page.js'
import { encodeFrame, FrameReader, MAX_RECORD_BYTES } from '../../../src/fias/frame.js'
import { parseKeyRequest } from '../../../src/fias/key-records.js'
import { encodeRecord, FiasRecordError, parseRecord, record, recordText } from '../../../src/fias/record.js'

const cp850 = codePage('cp850')
const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex')

describe('FIAS framing (golden)', () => {
  it('KA|WS1|KC1|ASOK|CTOK| is exactly the reference bytes', () => {
    const rec = record('KA', { WS: '1', KC: '1', AS: 'OK', CT: 'OK' })
    const wire = encodeFrame(encodeRecord(rec, cp850))
    expect(wire).toEqual(hex('02 4B 41 7C 57 53 31 7C 4B 43 31 7C 41 53 4F 4B 7C 43 54 4F 4B 7C 03'))
  })

  it('reads the reference bytes back into the same record', () => {
    const items = new FrameReader().push(hex('02 4B 41 7C 57 53 31 7C 4B 43 31 7C 41 53 4F 4B 7C 43 54 4F 4B 7C 03'))
    expect(items).toHaveLength(1)
    const item = items[0]!
    if (item.kind !== 'frame') throw new Error('expected a frame')
    expect(parseRecord(item.body, cp850)).toEqual({ type: 'KA', fields: [['WS', '1'], ['KC', '1'], ['AS', 'OK'], ['CT', 'OK']] })
  })

  it('splits frames on ETX across reads, one byte at a time or several frames in one read', () => {
    const a = encodeFrame(Buffer.from('LS|DA251202|TI101500|'))
    const b = encodeFrame(Buffer.from('LA|DA251202|TI101502|'))
    const wire = Buffer.concat([a, b])
    const bytewise = new FrameReader()
    const got: string[] = []
    for (const byte of wire) for (const it of bytewise.push(Uint8Array.of(byte))) if (it.kind === 'frame') got.push(it.body.toString('latin1'))
    expect(got).toEqual(['LS|DA251202|TI101500|', 'LA|DA251202|TI101502|'])
    const oneRead = new FrameReader().push(wire).map((i) => (i.kind === 'frame' ? i.body.toString('latin1') : i.reason))
    expect(oneRead).toEqual(got)
  })

  it('drops noise outside frames, a frame holding a control byte, and an over-long frame, then resynchronises', () => {
    const r = new FrameReader()
    const items = r.push(Buffer.concat([Buffer.from('xx'), hex('02 4B 41 7C 00 7C 03'), encodeFrame(Buffer.from('LA|'))]))
    expect(items.map((i) => i.kind === 'frame' ? i.body.toString() : i.reason)).toEqual(['noise', 'control_byte', 'LA|'])
    const long = Buffer.concat([Buffer.from([0x02]), Buffer.alloc(MAX_RECORD_BYTES + 5, 0x41), Buffer.from([0x03])])
    expect(r.push(long).map((i) => i.kind === 'frame' ? 'frame' : i.reason)).toEqual(['too_long'])
    expect(r.push(encodeFrame(Buffer.from('LA|'))).map((i) => i.kind)).toEqual(['frame'])
  })

  it('refuses to frame a control byte', () => {
    expect(() => encodeFrame(Buffer.from([0x4b, 0x41, 0x0a]))).toThrow(RangeError)
  })
})

describe('FIAS records', () => {
  it('parses the S1 key requests, keeps field order, and the key mapping skips unknown fields', () => {
    const kr = parseRecord(Buffer.from('KR|WSFO-PC1|KC1|RN101|KTN|G#123456|GA251202|GD251205|DT12:00|GNSmith, John|DA251202|TI143000|XXwhatever|'), cp850)
    expect(kr.type).toBe('KR')
    expect(kr.fields.at(-1)).toEqual(['XX', 'whatever'])
    expect(parseKeyRequest(kr)).toEqual({
      ok: true,
      request: {
        kind: 'make_key', keyType: 'new', encoder: '1', workstation: 'FO-PC1', room: '101', reservation: '123456',
        arrival: '2025-12-02', departure: '2025-12-05', departureTime: '12:00', guestName: 'Smith, John', extraRooms: [],
      },
    })
    const dup = parseKeyRequest(parseRecord(Buffer.from('KR|WS9|KC3|RN2781|KTD|KO1 02|GA991230|GD000105|G#12345|$21000278100012345|SI2788;2790|'), cp850))
    expect(dup).toMatchObject({ ok: true, request: { keyType: 'duplicate', arrival: '1999-12-30', departure: '2000-01-05', extraRooms: ['2788', '2790'] } })
    const oneShot = parseKeyRequest(parseRecord(Buffer.from('KR|WS3|KC1|RN2781|KTO|KO1 2 1|GA080312|GD080312|DT12:00|'), cp850))
    expect(oneShot).toMatchObject({ ok: true, request: { keyType: 'one_shot', room: '2781' } })
    expect(parseKeyRequest(parseRecord(Buffer.from('KD|WS9|KC3|RN2781|G#12345|'), cp850))).toMatchObject({ ok: true, request: { kind: 'delete_keys', room: '2781', reservation: '12345' } })
    expect(parseKeyRequest(parseRecord(Buffer.from('KM|WS3|KC1|RN3222|RO2781|GA991229|GD000104|G#11122|SI3012;3013|'), cp850))).toMatchObject({
      ok: true, request: { kind: 'modify_keys', room: '3222', oldRoom: '2781', reservation: '11122' },
    })
    expect(parseKeyRequest(parseRecord(Buffer.from('KZ|DA090401|TI125208|KC01|WSFO-PC1|'), cp850))).toEqual({ ok: true, request: { kind: 'read_key', encoder: '01', workstation: 'FO-PC1' } })
  })

  it('answers a malformed key request UR with a clear text', () => {
    const p = (s: string) => parseKeyRequest(parseRecord(Buffer.from(s), cp850))
    expect(p('KR|WS1|KC1|RN101|KTX|G#1|')).toMatchObject({ ok: false, answer: { status: 'UR', text: 'Unknown key type KTX' } })
    expect(p('KR|WS1|KC1|RN101|KTN|G#1|GD251399|')).toMatchObject({ ok: false, answer: { status: 'UR', text: "Bad GD date '251399' (YYMMDD)" } })
    expect(p('KR|WS1|KC1|KTN|G#1|')).toMatchObject({ ok: false, answer: { text: 'Missing RN (room)' } })
    expect(p('KR|WS1|RN101|KTN|G#1|')).toMatchObject({ ok: false, answer: { text: 'Missing KC (encoder)' } })
  })

  it('uses the code page: CP850 by default, latin1 when configured, UTF-8 never', () => {
    const rec = record('KR', { GN: 'Müller, Zoë' })
    expect(encodeRecord(rec, cp850)).toEqual(Buffer.concat([Buffer.from('KR|GNM'), hex('81'), Buffer.from('ller, Zo'), hex('89'), Buffer.from('|')]))
    expect(encodeRecord(rec, codePage('latin1'))).toEqual(Buffer.from('KR|GNMüller, Zoë|', 'latin1'))
    expect(parseRecord(Buffer.from([0x4b, 0x52, 0x7c, 0x47, 0x4e, 0x9a, 0x7c]), cp850).fields).toEqual([['GN', 'Ü']])
    expect(() => encodeRecord(record('KA', { CT: '日本' }), cp850)).toThrow(/no byte in code page cp850/)
    expect(() => parseRecord(Buffer.from([0x4b, 0x52, 0x7c, 0x47, 0x4e, 0xc3, 0x7c]), codePage('ascii'))).toThrow(/outside ASCII/)
  })

  it('refuses malformed records with a clear error', () => {
    const bad = (s: string) => () => parseRecord(Buffer.from(s, 'latin1'), cp850)
    expect(bad('K')).toThrow(FiasRecordError)
    expect(bad('kr|')).toThrow(/bad record id/)
    expect(bad('KRxx|')).toThrow(/must be followed by '\|'/)
    expect(bad('KR||')).toThrow(/shorter than its 2-character id/)
    expect(bad('KR|w1|')).toThrow(/bad field id 'w1'/)
    expect(bad('KR|WS\x7f|')).toThrow(/control byte 0x7F/)
    expect(() => encodeRecord(record('KA', { CT: 'a|b' }), cp850)).toThrow(/may not contain/)
  })

  it('round-trips text', () => {
    const t = 'LR|RIKR|FLKCKTRNWSDATIG#GAGDDTGNKOSICTID|'
    expect(recordText(parseRecord(Buffer.from(t), cp850))).toBe(t)
  })
})
