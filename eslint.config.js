// The part of the layering that is about globals rather than imports (the import rules are in
// .dependency-cruiser.cjs): hv/ reads no clock and draws no random number of its own. Virtual
// time is the hypervisor's own counter, advanced by the cost model; the only nondeterminism is
// which section runs next, chosen outside hv/ (DESIGN.md).
import tseslint from 'typescript-eslint';

const why = 'hv/ reads no clock and draws no random number (virtual time and the owner\'s choices only)';

export default [
  {
    files: ['hv/**/*.ts'],
    ignores: ['hv/**/*.test.ts', 'hv/**/test-support/**'],
    languageOptions: { parser: tseslint.parser },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      'no-restricted-globals': ['error',
        ...['Date', 'performance', 'process', 'crypto', 'setTimeout', 'setInterval', 'setImmediate', 'queueMicrotask', 'Atomics', 'SharedArrayBuffer']
          .map((name) => ({ name, message: why }))],
      'no-restricted-properties': ['error',
        { object: 'Math', property: 'random', message: why },
        { object: 'globalThis', message: why }],
    },
  },
];
