// Mint personalised virtual cards without the encoder, as the issued bytes would look.
import { issueCardImage, type CardGrantFacts } from '../../src/domain/card-image-plan.js'
import { projectTrailer, sectorKeysFor, type SiteKeys } from '../../src/protocols/lockstep-card/keys.js'
import type { ClassicCard } from '../../simulators/mifare-classic/card.js'

export function personalise(card: ClassicCard, facts: CardGrantFacts, keys: SiteKeys): ClassicCard {
  const img = issueCardImage(facts, card.uid, keys)
  for (const [b, data] of img.blocks) card.rawWrite(b, data)
  const k = sectorKeysFor(keys, card.uid)
  for (const t of [7, 11]) card.rawWrite(t, projectTrailer(k.keyA, k.keyB))
  return card
}
