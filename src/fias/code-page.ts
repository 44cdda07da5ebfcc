// FIAS text is single-byte in the site's code page (docs/fias.md §framing): CP850 by default, never UTF-8.
// Bytes 0x00–0x1F and 0x7F are never data; 0x20–0x7E are ASCII in every supported page.

export type CodePageName = 'cp850' | 'latin1' | 'ascii'
export const CODE_PAGES: readonly CodePageName[] = ['cp850', 'latin1', 'ascii']

export interface CodePage {
  readonly name: CodePageName
  /** Bytes → text; a byte the page cannot show is refused (the caller maps it to a clear error). */
  decode(bytes: Uint8Array): string
  /** Text → bytes; a character the page has no byte for is refused. */
  encode(text: string): Buffer
}

export class CodePageError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'CodePageError'
  }
}

// The upper half of IBM code page 850, 0x80…0xFF, sixteen per row (0xF0 is a soft hyphen, 0xFF a no-break space).
const CP850_HIGH =
  'ÇüéâäàåçêëèïîìÄÅ' +
  'ÉæÆôöòûùÿÖÜø£Ø×ƒ' +
  'áíóúñÑªº¿®¬½¼¡«»' +
  '░▒▓│┤ÁÂÀ©╣║╗╝¢¥┐' +
  '└┴┬├─┼ãÃ╚╔╩╦╠═╬¤' +
  'ðÐÊËÈıÍÎÏ┘┌█▄¦Ì▀' +
  'ÓßÔÒõÕµþÞÚÛÙýÝ¯´' +
  '\u00ad±‗¾¶§÷¸°¨·¹³²■\u00a0'

function isControl(b: number): boolean {
  return b < 0x20 || b === 0x7f
}

function hex(b: number): string {
  return `0x${b.toString(16).padStart(2, '0').toUpperCase()}`
}

function singleByte(name: CodePageName, high: string | null): CodePage {
  const reverse = new Map<number, number>()
  if (high !== null) for (let i = 0; i < 128; i++) reverse.set(high.codePointAt(i)!, 0x80 + i)
  return {
    name,
    decode(bytes) {
      let out = ''
      for (const b of bytes) {
        if (isControl(b)) throw new CodePageError(`control byte ${hex(b)} is not allowed in FIAS data`)
        if (b < 0x80) out += String.fromCharCode(b)
        else if (high === null) throw new CodePageError(`byte ${hex(b)} is outside ASCII (code page ${name})`)
        else out += high[b - 0x80]
      }
      return out
    },
    encode(text) {
      const out: number[] = []
      for (const ch of text) {
        const cp = ch.codePointAt(0)!
        if (cp < 0x80) {
          if (isControl(cp)) throw new CodePageError(`control character U+${cp.toString(16).padStart(4, '0')} cannot be sent over FIAS`)
          out.push(cp)
          continue
        }
        const b = reverse.get(cp)
        if (b === undefined) throw new CodePageError(`character '${ch}' has no byte in code page ${name}`)
        out.push(b)
      }
      return Buffer.from(out)
    },
  }
}

// ISO 8859-1: byte n is U+00nn. 0x80–0x9F are C1 controls there, so they are refused like C0.
const LATIN1_HIGH = Array.from({ length: 128 }, (_, i) => (i < 0x20 ? '\u0000' : String.fromCharCode(0x80 + i))).join('')

const PAGES: Record<CodePageName, CodePage> = {
  cp850: singleByte('cp850', CP850_HIGH),
  latin1: latin1Page(),
  ascii: singleByte('ascii', null),
}

function latin1Page(): CodePage {
  const base = singleByte('latin1', LATIN1_HIGH)
  const c1 = (b: number) => b >= 0x80 && b < 0xa0
  return {
    name: 'latin1',
    decode(bytes) {
      for (const b of bytes) if (c1(b)) throw new CodePageError(`control byte ${hex(b)} is not allowed in FIAS data`)
      return base.decode(bytes)
    },
    encode(text) {
      for (const ch of text) {
        const cp = ch.codePointAt(0)!
        if (c1(cp)) throw new CodePageError(`control character U+${cp.toString(16).padStart(4, '0')} cannot be sent over FIAS`)
      }
      return base.encode(text)
    },
  }
}

export function codePage(name: CodePageName = 'cp850'): CodePage {
  const page = PAGES[name]
  if (!page) throw new CodePageError(`unknown code page '${String(name)}' (supported: ${CODE_PAGES.join(', ')})`)
  return page
}
