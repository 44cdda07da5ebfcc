// docs/seam-compatibility.md is generated (scripts/seam-compatibility.ts): it must be what the script makes
// from Seam's OpenAPI and today's routes, so the table cannot drift from the code.
import { readFileSync } from 'node:fs'
import { expect, test } from 'vitest'
import { DOC_PATH, generateCompatibilityDoc, loadSeamOpenApi, seamRoutes } from '../../scripts/seam-compatibility.js'

test('the committed compatibility table is what `npm run docs:seam` generates', async () => {
  const generated = await generateCompatibilityDoc()
  const committed = readFileSync(DOC_PATH, 'utf8')
  // On failure: run `npm run docs:seam` and commit docs/seam-compatibility.md.
  expect(committed).toBe(generated)
})

test('the table lists every Seam route of the groups, each once', async () => {
  const doc = readFileSync(DOC_PATH, 'utf8')
  const routes = seamRoutes(loadSeamOpenApi())
  expect(routes.length).toBeGreaterThan(100)
  for (const r of routes) expect(doc.split('\n').filter((l) => /^\| `([^`]+)` \| (implemented|refused|not applicable) \|/.exec(l)?.[1] === r), r).toHaveLength(1)
})
