// The contract for card encoders (PN532 over serial, …). A driver moves bytes and reports what the
// card and the encoder said; the card layout and keys come from src/protocols/lockstep-card/card.ts.
import type { CardImage } from '../domain/card-image.js'

export type { CardImage } from '../domain/card-image.js'

export interface CardHandle {
  encoderId: string
  /** Card UID as lowercase hex. */
  uid: string
}

export interface EncoderDriver {
  readonly kind: string
  start(): Promise<void>
  stop(): Promise<void>
  isOnline(encoderId: string): boolean
  waitForCard(encoderId: string, timeoutMs: number, signal: AbortSignal): Promise<CardHandle>
  /** Writes, reads back and compares; throws EncoderError on any mismatch or interruption. */
  write(card: CardHandle, image: CardImage): Promise<void>
  read(card: CardHandle, blocks: number[]): Promise<CardImage>
}
