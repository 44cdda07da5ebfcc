// The production build: lockstep's own code bundled into one ES module, dependencies left in
// node_modules. It starts without a TypeScript loader, which saves ~45 MiB of memory and the
// compile time on every start of the edge box (tsx stays for development, tests and `npm start`).
//
//   npm run build   → dist/lockstep.mjs   (run it: node dist/lockstep.mjs serve)
import { build } from 'esbuild'
import { readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { PACKAGE_ROOT } from '../src/package-root.js'

/**
 * Bundles `entry` (relative to the package root) into `<outdir>/<name>.mjs`; the outdir must stay inside
 * the package (dependencies resolve from its node_modules). Code behind a dynamic import() goes into its
 * own chunk, so what a site does not use (the lab, Nuki, the embedded broker) is never loaded.
 */
export async function bundle(entry: string, outdir: string, name: string): Promise<string> {
  const dir = join(PACKAGE_ROOT, outdir)
  rmSync(dir, { recursive: true, force: true }) // chunk names carry hashes: old ones would pile up
  await build({
    entryPoints: { [name]: join(PACKAGE_ROOT, entry) },
    outdir: dir,
    outExtension: { '.js': '.mjs' },
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    sourcemap: 'linked',
    logLevel: 'warning',
  })
  return join(dir, `${name}.mjs`)
}

/** The node flags of deploy/lockstep.service's ExecStart, to run the build the way a site does (bench, tests). */
export function unitNodeFlags(): string[] {
  const unit = readFileSync(join(PACKAGE_ROOT, 'deploy', 'lockstep.service'), 'utf8')
  const exec = /^ExecStart=\S*node((?:\s+--\S+)*)\s/m.exec(unit)
  if (!exec) throw new Error('deploy/lockstep.service: no ExecStart=…node line')
  return exec[1]!.split(/\s+/).filter(Boolean)
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.stdout.write(`built ${await bundle('src/cli.ts', 'dist', 'lockstep')}\n`)
}
