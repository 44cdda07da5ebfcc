// Fault switches of the simulated lock. Each armed fault fires on the next command that carries a
// challenge (a keypad or lock-action command) and then disarms, so a test knows exactly what it hit.

export type NukiFault =
  /** The radio link drops after the command arrives; afterApply: the lock had already done it. */
  | { kind: 'dropLink'; afterApply: boolean }
  /** Every reply frame of the command is indicated twice. */
  | { kind: 'duplicateReply' }
  /** Every 20-byte piece of the first reply frame is indicated twice. */
  | { kind: 'duplicatePieces' }
  /** Replies to the command are held back for delayMs. */
  | { kind: 'lateReply'; delayMs: number }
  /** The lock refuses the command's challenge as if it had issued another (K_ERROR_BAD_NONCE). */
  | { kind: 'wrongNonce' }
  /** The first reply frame carries a wrong PDATA CRC. */
  | { kind: 'corruptCrc' }
  /** The first reply frame is damaged in transit (one ciphertext bit flipped). */
  | { kind: 'corruptCiphertext' }
