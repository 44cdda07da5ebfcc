// One task at a time, in order: a lock, or a serial link to an encoder, answers one request at a time.
// A failed task does not stop the ones behind it, and the chain keeps no task's result alive (a lock's
// queue once held its last full read: 250 readings per lock, for as long as the lock was idle).
export class SerialQueue {
  private tail: Promise<void> = Promise.resolve()

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task)
    this.tail = result.then(settled, settled)
    return result
  }

  /** Resolves once everything queued so far has finished, however it ended. */
  idle(): Promise<void> {
    return this.tail
  }
}

function settled(): void {}
