// The layers of xen-memsim (docs/architecture.md), as dependency-cruiser rules: every import
// points down this stack, and nothing is allowed that a rule below does not allow.
//
//   examples/    a user's code: imports the package (`xen-memsim`, = api/ through tsconfig "paths") only
//   front ends   cli/  bench/  scripts/  web/     may import every layer below
//   api/         the package's public entry points (package.json "exports"): re-exports of the layers below
//   report/      telemetry, HTML report, Perfetto
//   prop-tests/  campaigns, hostile inputs        (its kit: setup, drive, properties, model, commands → hv only)
//   world/       the composition of whole runs: scheduled world, replay, actor kinds, scenario files, shell
//   toolstack/   xl, libxl builder, xl.cfg parser
//   guests/      Linux balloon, selfballoon, tmem clients
//   workers/     real threads: mailboxes, owner worker, actor workers
//   sim/         the scheduling kernel: owner, policies, trace, port, registry, rng
//   hv/          the hypervisor: imports nothing, reads no clock, draws no random number
//
// Tests follow the rule of their folder and may also use the test kit. The clock/randomness rule
// for hv/ is in eslint.config.js (it is about globals, not imports).

/** Path patterns of each layer, bottom to top. */
const L = {
  hv: '^hv/',
  sim: '^sim/',
  workers: '^workers/',
  guests: '^guests/',
  toolstack: '^toolstack/',
  world: '^world/',
  kit: '^prop-tests/(setup|drive|properties|model|commands)[.]ts$',
  propTests: '^prop-tests/',
  report: '^report/',
  api: '^api/',
  frontEnds: '^(cli|bench|scripts|web)/',
  examples: '^examples/',
};

const TEST = '[.]test[.]ts$';

/** `from` (a layer, optionally tests only) may import anything matching one of `to`. */
function may(name, from, to, { testsOnly = false } = {}) {
  return {
    comment: name,
    from: { path: testsOnly ? `(${from}).*${TEST}` : from },
    to: { path: to.map((t) => `(${t})`).join('|') },
  };
}

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'No import circles anywhere: each module can be understood from the ones below it.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'hv-imports-no-package',
      severity: 'error',
      comment: 'hv/ is pure TypeScript over its own modules: no Node built-in, no npm package (tests excepted).',
      from: { path: L.hv, pathNot: TEST },
      to: { dependencyTypes: ['core', 'npm', 'npm-dev', 'npm-optional', 'npm-peer', 'npm-no-pkg', 'npm-unknown'] },
    },
    {
      name: 'no-test-imports',
      severity: 'error',
      comment: 'Production code never imports a test file.',
      from: { pathNot: TEST },
      to: { path: TEST },
    },
    {
      name: 'no-unresolvable',
      severity: 'error',
      comment: 'Every relative import resolves to a file.',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  allowedSeverity: 'error',
  allowed: [
    { comment: 'packages and Node built-ins (hv/ is restricted by a forbidden rule)', from: {}, to: { dependencyTypesNot: ['local'] } },
    may('hv imports hv', L.hv, [L.hv]),
    may('sim imports the kernel and hv', L.sim, [L.sim, L.hv]),
    may('workers import the kernel', L.workers, [L.workers, L.sim, L.hv]),
    may('guests run over the port', L.guests, [L.guests, L.sim, L.hv]),
    may('the toolstack starts guest kernels', L.toolstack, [L.toolstack, L.guests, L.sim, L.hv]),
    may('world composes actors, transports and the kernel', L.world, [L.world, L.toolstack, L.guests, L.workers, L.sim, L.hv]),
    may('the scenario loader validates against the scenario schema (data)', '^world/scenario-file/', ['^scenarios/scenario[.]schema[.]json$']),
    may('the test kit is hv-level', L.kit, [L.kit, L.hv]),
    may('campaigns drive worlds', L.propTests, [L.propTests, L.world, L.toolstack, L.guests, L.workers, L.sim, L.hv]),
    may('the report observes worlds and reads campaigns', L.report, [L.report, L.propTests, L.world, L.toolstack, L.guests, L.workers, L.sim, L.hv]),
    may('the public surface re-exports the layers', L.api, [L.api, L.report, L.propTests, L.world, L.toolstack, L.guests, L.workers, L.sim, L.hv]),
    may('front ends use everything below', L.frontEnds, ['^(cli|bench|scripts|web)/', L.api, L.report, L.propTests, L.world, L.toolstack, L.guests, L.workers, L.sim, L.hv]),
    may('examples use the package as its users do', L.examples, [L.examples, L.api]),
    may('the mutation-testing test config extends the suite\'s (npm run mutation)', '^prop-tests/campaign/stryker/vitest[.]config[.]ts$', ['^vitest[.]config[.]ts$']),
    may('tests of any layer use the test kit', '^(hv|sim|workers|guests|toolstack|world)/', [L.kit], { testsOnly: true }),
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|out|dist|\\.stryker-tmp|reports)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'], extensions: ['.ts', '.mjs', '.js', '.cjs', '.json'] },
  },
};
