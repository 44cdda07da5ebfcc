// What a lock accepts as a code and a code name. The domain checks codes against these rules; a
// driver reports them for each device (src/ports re-exports them for adapters).

export interface NameRules {
  maxLength: number
  /** 'printable_ascii' drops emoji and non-ASCII; 'alphanumeric_space' keeps [A-Za-z0-9 ] only. */
  charset: 'any' | 'printable_ascii' | 'alphanumeric_space'
  /** The lock refuses two codes with the same name. */
  unique: boolean
}

export interface CodeConstraints {
  minLength: number
  maxLength: number
  /** Characters a code may use, e.g. '0123456789' or '123456789' (Nuki). */
  alphabet: string
  /** The first character may not be '0'. */
  noLeadingZero: boolean
  /** Codes may not start with any of these (Nuki: '12'). Optional: most locks have none. */
  forbiddenPrefixes?: string[]
  /** Slots are numbered firstSlot … firstSlot + slotCount − 1. */
  firstSlot: number
  slotCount: number
  name: NameRules
}
