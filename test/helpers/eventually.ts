// Polls an assertion until it passes or the time runs out (asynchronous convergence, no fixed sleeps).
export async function eventually(check: () => unknown | Promise<unknown>, timeoutMs = 10_000, intervalMs = 25): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      await check()
      return
    } catch (err) {
      if (Date.now() > deadline) throw err
      await new Promise((r) => setTimeout(r, intervalMs))
    }
  }
}
