// Errors a driver throws. The reconciler decides what they mean (retry, per-code error, device error).

/** Timeout, offline, broker down, link dropped: retry later; never evidence of external modification. */
export class TransientDeviceError extends Error {
  override readonly name = 'TransientDeviceError'
}

export type RejectionReason = 'duplicate_code' | 'no_space' | 'bad_format' | 'other'

/** The device answered and said no. */
export class RejectedByDeviceError extends Error {
  override readonly name = 'RejectedByDeviceError'
  constructor(readonly reason: RejectionReason, message: string) {
    super(message)
  }
}

/** The device or protocol cannot do this at all. */
export class UnsupportedByDeviceError extends Error {
  override readonly name = 'UnsupportedByDeviceError'
}

/** Seam's encoder action-attempt error types. */
export type EncoderErrorType =
  | 'no_credential_on_encoder'
  | 'incompatible_card_format'
  | 'encoder_not_online'
  | 'encoder_communication_timeout'
  | 'encoding_interrupted'
  | 'credential_cannot_be_reissued'
  | 'uncategorized_error'

export class EncoderError extends Error {
  override readonly name = 'EncoderError'
  constructor(readonly type: EncoderErrorType, message: string) {
    super(message)
  }
}
