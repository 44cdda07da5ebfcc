// Builds the FIAS front door from the site config: the link service, the answer rules, and the key
// service over src/app. The daemon starts it after the API (the use cases and the encoder must be up).
import type { CardEncoderAttempts } from '../app/card-encoder-attempts.js'
import type { UseCases } from '../app/index.js'
import type { Clock } from '../kernel/clock.js'
import { AppKeyService, type FiasMapping } from './app-keys.js'
import type { CodePageName } from './code-page.js'
import { FiasService, type FiasServiceDeps } from './fias-service.js'
import { nodeTimers } from './link-session.js'

export interface FiasFrontDoorConfig extends FiasMapping {
  url: string
  code_page: CodePageName
  answer_timeout_seconds: number
}

export function fiasFrontDoor(
  config: FiasFrontDoorConfig,
  deps: { useCases: UseCases; cardEncoding: CardEncoderAttempts; clock: Clock; log?: FiasServiceDeps['log']; link?: FiasServiceDeps['link'] },
): FiasService {
  return new FiasService(config, {
    keys: new AppKeyService(deps.useCases, deps.cardEncoding, config),
    clock: deps.clock,
    timers: nodeTimers,
    events: (e) => deps.useCases.events.appendFrontDoorEvents(e),
    ...(deps.log ? { log: deps.log } : {}),
    ...(deps.link ? { link: deps.link } : {}),
  })
}
