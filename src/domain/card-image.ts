// The bytes lockstep puts on a card: the domain builds them, an encoder driver writes and reads them
// back (src/ports/encoder-driver.ts re-exports this type for adapters).

/** The credential blocks lockstep owns on a card, in block order, 16 bytes each. */
export interface CardImage {
  blocks: Map<number, Buffer>
}
