// Who is to blame when a driver call fails. A rejection or "unsupported" is the device's answer about
// one code (rule 4: that code gets its own error); anything else — a timeout, the broker gone, a bug in
// the adapter — says nothing about any one code and counts against the device's circuit breaker.
import { RejectedByDeviceError, UnsupportedByDeviceError } from '../ports/errors.js'

/** A driver call failed in a way that says nothing about any one code: the device is the problem. */
export class DeviceCallFailed extends Error {
  override readonly name = 'DeviceCallFailed'
  constructor(cause: unknown) {
    super(String(cause), { cause })
  }
}

/** The device answered "no" about one code (its own error, retried later), not "I am unreachable". */
export function isPerCodeRefusal(err: unknown): err is RejectedByDeviceError | UnsupportedByDeviceError {
  return err instanceof RejectedByDeviceError || err instanceof UnsupportedByDeviceError
}

/** Run a driver call; per-code refusals pass through, any other failure becomes DeviceCallFailed. */
export async function callDevice<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call()
  } catch (err) {
    if (isPerCodeRefusal(err)) throw err
    throw new DeviceCallFailed(err)
  }
}
