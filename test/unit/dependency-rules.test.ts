// The import direction of .dependency-cruiser.cjs holds over the whole tree, and the check really fails
// when it is broken (a fixture under test/fixtures/deps breaks one rule per import).
import { resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { cruise, type ICruiseResult, type IViolation } from 'dependency-cruiser'
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options'
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config'

const root = resolve(import.meta.dirname, '../..')
const fixture = resolve(root, 'test/fixtures/deps')

/** Cruises `dirs` under `baseDir` with the project's rules, resolving imports through `tsconfig`. */
async function violations(baseDir: string, dirs: string[], tsconfig: string): Promise<string[]> {
  const options = await extractDepcruiseOptions(resolve(root, '.dependency-cruiser.cjs'))
  options.baseDir = baseDir
  options.tsConfig = { fileName: tsconfig }
  const reported = await cruise(dirs, options, {}, { tsConfig: extractTSConfig(tsconfig) })
  const result = reported.output as ICruiseResult
  return result.summary.violations.map(describeViolation).sort()
}

/** One line a reader can act on: rule, then from → to (a cycle lists its whole loop). */
function describeViolation(v: IViolation): string {
  const path = v.cycle?.length ? [v.from, ...v.cycle.map((step) => step.name)].join(' → ') : `${v.from} → ${v.to}`
  return `${v.rule.name}: ${path}`
}

describe('dependency rules', () => {
  it('hold for src, adapters, simulators, test, bench and testkit', async () => {
    const found = await violations(root, ['src', 'adapters', 'simulators', 'test', 'bench', 'testkit', 'scripts'], resolve(root, 'tsconfig.json'))
    expect(found, `imports against the direction in .dependency-cruiser.cjs:\n${found.join('\n')}`).toEqual([])
  })

  it('report each broken rule of a fixture that breaks them on purpose', async () => {
    const found = await violations(fixture, ['src', 'adapters', 'simulators', 'test', 'bench'], resolve(fixture, 'tsconfig.json'))
    expect(found).toEqual([
      'adapters-on-ports-protocols-kernel: adapters/lock/driver.ts → src/domain/rule.ts',
      'domain-is-pure: src/domain/rule.ts → src/store/rows.ts',
      'no-circular: src/ports/a.ts → src/ports/b.ts → src/ports/a.ts',
      'simulators-not-to-adapters: simulators/lock/lock.ts → adapters/lock/driver.ts',
      'test-not-to-bench: test/uses-bench.ts → bench/shared.ts',
    ])
  })
})
