// Structured logs (pino JSON). PINs, API keys and card keys are redacted wherever they appear.
import pino, { type Logger } from 'pino'

export const REDACT_PATHS = [
  'code', '*.code', '*.*.code', 'pin_code', '*.pin_code', '*.*.pin_code', 'pin', '*.pin',
  'api_key', '*.api_key', 'apiKey', '*.apiKey', 'authorization', '*.authorization', '*.headers.authorization',
  'key', '*.key', 'site_key', '*.site_key', 'card_key', '*.card_key', 'key_a', '*.key_a', 'key_b', '*.key_b',
  'secret', '*.secret', 'shared_key', '*.shared_key',
]

export function createLogger(level: string = 'info', destination?: pino.DestinationStream): Logger {
  return pino({ level, redact: { paths: REDACT_PATHS, censor: '[redacted]' }, base: { app: 'lockstep' } }, destination)
}

export type { Logger }
