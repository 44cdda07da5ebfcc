import { describe, expect, it } from 'vitest'
import { SerialQueue } from '../../src/kernel/serial-queue.js'

describe('SerialQueue', () => {
  it('runs tasks one at a time in order; a failure reaches its caller and does not stop the next', async () => {
    const q = new SerialQueue()
    const log: string[] = []
    let running = 0
    const task = (name: string, fail = false) => async () => {
      expect(++running).toBe(1)
      log.push(`start ${name}`)
      await new Promise((r) => setTimeout(r, 5))
      log.push(`end ${name}`)
      running--
      if (fail) throw new Error(name)
      return name
    }
    const a = q.run(task('a'))
    const b = q.run(task('b', true))
    const c = q.run(task('c'))
    await expect(a).resolves.toBe('a')
    await expect(b).rejects.toThrow('b')
    await expect(c).resolves.toBe('c')
    expect(log).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c'])
  })

  it('idle() resolves (to nothing) once everything queued so far has finished, failures included', async () => {
    const q = new SerialQueue()
    let done = false
    void q.run(async () => {
      await new Promise((r) => setTimeout(r, 5))
      done = true
      throw new Error('x')
    }).catch(() => undefined)
    await expect(q.idle()).resolves.toBeUndefined()
    expect(done).toBe(true)
  })
})
