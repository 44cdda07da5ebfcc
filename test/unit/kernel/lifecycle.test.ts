// The typed bus drops an owner's listeners in one call; the Lifecycle stops what started, in reverse.
import { describe, expect, test } from 'vitest'
import { EventBus } from '../../../src/kernel/event-bus.js'
import { Lifecycle, type Service } from '../../../src/kernel/service.js'

type Topics = { 'a': number; 'b': string }

describe('EventBus', () => {
  test('delivers by topic, isolates a throwing listener, and removes an owner at once', () => {
    const errors: string[] = []
    const bus = new EventBus<Topics>((_err, topic) => errors.push(String(topic)))
    const one = {}
    const two = {}
    const got: string[] = []
    bus.on('a', one, (n) => got.push(`one:a${n}`))
    bus.on('b', one, (s) => got.push(`one:b${s}`))
    bus.on('a', two, () => {
      throw new Error('boom')
    })
    bus.on('a', two, (n) => got.push(`two:a${n}`))
    bus.emit('a', 1)
    bus.emit('b', 'x')
    expect(got).toEqual(['one:a1', 'two:a1', 'one:bx'])
    expect(errors).toEqual(['a'])
    expect(bus.listenerCount()).toBe(4)
    bus.removeListeners(one)
    expect(bus.listenerCount('b')).toBe(0)
    expect(bus.listenerCount('a')).toBe(2)
    bus.removeListeners(two)
    bus.emit('a', 2)
    expect(got).toHaveLength(3)
    expect(bus.listenerCount()).toBe(0)
  })
})

describe('Lifecycle', () => {
  const trace: string[] = []
  const service = (name: string, failStart = false, failStop = false): Service => ({
    name,
    async start() {
      if (failStart) throw new Error(`${name} cannot start`)
      trace.push(`start ${name}`)
    },
    async stop() {
      trace.push(`stop ${name}`)
      if (failStop) throw new Error(`${name} cannot stop`)
    },
  })

  test('stops the started services last first; a failing stop does not keep the rest running', async () => {
    trace.length = 0
    const failed: string[] = []
    const life = new Lifecycle((name) => failed.push(name))
    await life.start(service('store'))
    await life.start(service('broker', false, true))
    await life.start(service('api'))
    expect(life.running).toEqual(['store', 'broker', 'api'])
    await Promise.all([life.stop(), life.stop()])
    expect(trace).toEqual(['start store', 'start broker', 'start api', 'stop api', 'stop broker', 'stop store'])
    expect(failed).toEqual(['broker'])
    expect(life.running).toEqual([])
    await expect(life.start(service('late'))).rejects.toThrow(/stopping/)
  })

  test('a service that fails to start is not stopped; the ones before it are', async () => {
    trace.length = 0
    const life = new Lifecycle()
    await life.start(service('store'))
    await expect(life.start(service('radio', true))).rejects.toThrow('radio cannot start')
    await life.stop()
    expect(trace).toEqual(['start store', 'stop store'])
  })
})
