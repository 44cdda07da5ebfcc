// The direction of imports in lockstep (docs/design-rules.md, rules 5, 6 and 10), checked by
// `npm run depcheck` and test/unit/dependency-rules.test.ts:
//
//   front doors (src/api, src/fias, src/uplink, src/gateway, src/cli) → src/app → src/domain, src/store
//     (a front door may still use domain types and errors: src/api/errors.ts maps DomainError to Seam's envelope)
//   src/store → src/domain, src/reconcile, src/ports, src/protocols, src/kernel (never a front door or app)
//   src/domain → src/kernel, src/protocols only (pure rules)
//   src/ports → src/domain (the types it carries), src/protocols, src/kernel
//   adapters/** → src/ports, src/protocols, src/kernel only
//   simulators/** → src/protocols, src/kernel only (never an adapter: a simulator is the device's side)
//   test/ and bench/ never import each other; both may use testkit/, which imports neither.
//   No cycles anywhere.
//
// Composition roots may import widely, because wiring the parts together is their job: src/daemon.ts,
// src/cli.ts, src/lab/** (the simulated property), src/drivers.ts (the daemon's driver factory:
// it picks adapters from the site config) and src/services/** (the daemon's parts as start/stop services). Only the cycle rule applies to them.
//
// Type-only imports count (tsPreCompilationDeps): a type is a dependency too.

/** The composition roots named above; they are exempt from the layer rules (never from no-circular). */
const COMPOSITION_ROOTS = ['^src/daemon[.]ts$', '^src/cli[.]ts$', '^src/drivers[.]ts$', '^src/lab/', '^src/services/']

/** Thin front doors: parse, call src/app, answer (design rule 10). */
const FRONT_DOORS = '^src/(api|fias|uplink|gateway|cli)/'

/** Everything in the repository that is not an npm package or a Node built-in. */
const REPO = '^(src|adapters|simulators|test|testkit|bench|scripts)/'

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'No import cycles anywhere: a cycle means two modules are one concept or a type sits on the wrong side.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-unresolvable',
      severity: 'error',
      comment: 'An import the checker cannot resolve would slip past every other rule.',
      from: {},
      to: { couldNotResolve: true },
    },
    {
      name: 'front-door-through-app',
      severity: 'error',
      comment: 'Front doors call src/app; they never reach the store themselves (design rule 10).',
      from: { path: FRONT_DOORS },
      to: { path: '^src/store/' },
    },
    {
      name: 'front-door-not-below-app',
      severity: 'error',
      comment: 'Front doors never drive the reconciler, a driver or a simulator directly.',
      from: { path: FRONT_DOORS },
      to: { path: ['^src/reconcile/', '^adapters/', '^simulators/'] },
    },
    {
      name: 'app-not-to-front-doors',
      severity: 'error',
      comment: 'src/app is the same whichever door a request came through, so it imports none of them.',
      from: { path: '^src/app/' },
      to: { path: [FRONT_DOORS, ...COMPOSITION_ROOTS, '^adapters/', '^simulators/'] },
    },
    {
      name: 'store-not-to-app-or-front-doors',
      severity: 'error',
      comment: 'Repositories keep rows and queries: no wire shapes, no use cases (design rule 10).',
      from: { path: '^src/store/' },
      to: { path: ['^src/app/', FRONT_DOORS] },
    },
    {
      name: 'domain-is-pure',
      severity: 'error',
      comment: 'src/domain holds pure rules: it may use only itself, src/kernel and src/protocols (and npm packages).',
      from: { path: '^src/domain/' },
      to: { path: REPO, pathNot: '^src/(domain|kernel|protocols)/' },
    },
    {
      name: 'ports-are-contracts',
      severity: 'error',
      comment: 'src/ports carries domain types to adapters; it depends on nothing that depends on drivers.',
      from: { path: '^src/ports/' },
      to: { path: REPO, pathNot: '^src/(ports|domain|kernel|protocols)/' },
    },
    {
      name: 'protocols-on-kernel-only',
      severity: 'error',
      comment: 'Shared codecs are the floor adapters and simulators stand on: only src/kernel below them.',
      from: { path: '^src/protocols/' },
      to: { path: REPO, pathNot: '^src/(protocols|kernel)/' },
    },
    {
      name: 'kernel-is-the-floor',
      severity: 'error',
      comment: 'src/kernel (clock, ids, queues) is what every layer may import, so it imports no other layer.',
      from: { path: '^src/kernel/' },
      to: { path: REPO, pathNot: '^src/kernel/' },
    },
    {
      name: 'adapters-on-ports-protocols-kernel',
      severity: 'error',
      comment: 'An adapter maps a port to one protocol (design rule 5): it may import src/ports, src/protocols and src/kernel only.',
      from: { path: '^adapters/' },
      to: { path: REPO, pathNot: ['^src/(ports|protocols|kernel)/', '^adapters/'] },
    },
    {
      name: 'adapter-not-to-other-adapter',
      severity: 'error',
      comment: 'Adapters are independent of each other; shared code belongs in src/protocols or src/kernel.',
      from: { path: '^adapters/([^/]+)/' },
      to: { path: '^adapters/', pathNot: '^adapters/$1/' },
    },
    {
      name: 'simulators-not-to-adapters',
      severity: 'error',
      comment: "A simulator is the device's side, written independently: it never imports adapter code (design rule 6).",
      from: { path: '^simulators/' },
      to: { path: '^adapters/' },
    },
    {
      name: 'simulators-on-protocols-kernel',
      severity: 'error',
      comment: 'Simulators share only pinned codecs (src/protocols) and src/kernel with the rest of lockstep.',
      from: { path: '^simulators/' },
      to: { path: REPO, pathNot: ['^src/(protocols|kernel)/', '^simulators/', '^adapters/'] },
    },
    {
      name: 'drivers-chosen-by-composition-roots',
      severity: 'error',
      comment: 'Outside the composition roots, src reaches devices only through src/ports.',
      from: { path: '^src/', pathNot: COMPOSITION_ROOTS },
      to: { path: ['^adapters/', '^simulators/'] },
    },
    {
      name: 'production-not-to-tests',
      severity: 'error',
      comment: 'Shipped code never imports test, benchmark or test-kit code.',
      from: { path: '^(src|adapters|simulators)/' },
      to: { path: '^(test|testkit|bench|scripts)/' },
    },
    {
      name: 'test-not-to-bench',
      severity: 'error',
      comment: 'Tests and benchmarks share code through testkit/, never by importing each other.',
      from: { path: '^test/' },
      to: { path: '^bench/' },
    },
    {
      name: 'bench-not-to-test',
      severity: 'error',
      comment: 'Tests and benchmarks share code through testkit/, never by importing each other.',
      from: { path: '^bench/' },
      to: { path: '^test/' },
    },
    {
      name: 'testkit-stands-alone',
      severity: 'error',
      comment: 'testkit/ is used by test/ and bench/, so it imports neither.',
      from: { path: '^testkit/' },
      to: { path: '^(test|bench)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // The fixtures of test/unit/dependency-rules.test.ts break the rules on purpose.
    exclude: { path: '^test/fixtures/deps/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'types', 'default'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
  },
}
