// One error type for every way a byte sequence fails to be a Nuki frame, with a machine-readable reason
// so callers (driver, simulator, fuzz tests) can tell "corrupt" from "not for me".

export type FrameErrorReason =
  | 'too_short'
  | 'bad_length'
  | 'bad_crc'
  | 'auth_failed'
  | 'auth_id_mismatch'

export class FrameError extends Error {
  override readonly name = 'FrameError'
  constructor(readonly reason: FrameErrorReason, message: string) {
    super(message)
  }
}
