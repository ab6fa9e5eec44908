// The layering rules themselves, tested: `npm test` runs dependency-cruiser and ESLint over the
// tree (package.json "lint"); here a temporary copy of the tree gets deliberately wrong imports
// (one per layer boundary, a circle, a package in hv/) and clock and randomness reads in hv/, and
// the same rule files must reject each one — and nothing else: every violation reported goes
// through an injected import, every ESLint problem is on an injected line, so the tree as it is
// passes both (one run of each tool instead of a clean run and a broken one).

import { spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

const ROOT = fileURLToPath(new URL('.', import.meta.url));
/** Everything but installed, generated and version-control files. */
const NOT_COPIED = new Set(['node_modules', 'out', 'dist', '.git']);

let copy: string;

/**
 * Each tool run takes ~5 s of CPU but up to a minute of wall time on a loaded 2-core machine:
 * hooks and tests here get a budget that does not depend on the machine being quiet.
 */
const TOOL_BUDGET_MS = 300_000;

/** Runs a tool from the project's node_modules in the copy; returns its exit status and output. */
function run(bin: string, args: string[]): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, [join(ROOT, 'node_modules', ...bin.split('/')), ...args], { cwd: copy, encoding: 'utf8', timeout: TOOL_BUDGET_MS });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

const depcruise = (...paths: string[]) => run('dependency-cruiser/bin/dependency-cruise.mjs', ['--config', '.dependency-cruiser.cjs', '--output-type', 'err', ...paths]);
const eslint = () => run('eslint/bin/eslint.js', ['hv']);

beforeAll(() => {
  copy = mkdtempSync(join(tmpdir(), 'memsim-layers-'));
  for (const p of readdirSync(ROOT)) if (!NOT_COPIED.has(p)) cpSync(join(ROOT, p), join(copy, p), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules'), join(copy, 'node_modules'), 'dir');
}, TOOL_BUDGET_MS);

afterAll(() => {
  if (copy !== undefined) rmSync(copy, { recursive: true, force: true });
});

/** Deliberately wrong imports, each with what dependency-cruiser must say about it. */
const WRONG_IMPORTS: Array<[string, string, string, string]> = [
  ['the kernel reaching up to the world', 'sim/policy.ts', "import '../world/world.ts';", 'not-in-allowed: sim/policy.ts → world/world.ts'],
  ['hv reaching the kernel', 'hv/errno.ts', "import '../sim/port.ts';", 'not-in-allowed: hv/errno.ts → sim/port.ts'],
  ['a guest importing the toolstack', 'guests/cleancache.ts', "import '../toolstack/bugs.ts';", 'not-in-allowed: guests/cleancache.ts → toolstack/bugs.ts'],
  ['the transport importing an actor', 'workers/codec.ts', "import '../toolstack/xl/main.ts';", 'not-in-allowed: workers/codec.ts → toolstack/xl/main.ts'],
  ['the world importing the campaign', 'world/world.ts', "import '../prop-tests/campaign/plugin.ts';", 'not-in-allowed: world/world.ts → prop-tests/campaign/plugin.ts'],
  ['the report importing a front end', 'report/html.ts', "import '../cli/main.ts';", 'not-in-allowed: report/html.ts → cli/main.ts'],
  ['the public surface importing the command line', 'api/report.ts', "import '../cli/main.ts';", 'not-in-allowed: api/report.ts → cli/main.ts'],
  ['an example reaching past the package into its layers', 'examples/hypercall.mjs', "import '../hv/index.ts';", 'not-in-allowed: examples/hypercall.mjs → hv/index.ts'],
  ['hv importing a Node built-in', 'hv/flags.ts', "import 'node:perf_hooks';", 'hv-imports-no-package: hv/flags.ts → perf_hooks'],
  ['production code importing a test', 'guests/pfn-space.ts', "import '../world/world.test.ts';", 'guests/pfn-space.ts → world/world.test.ts'],
  ['an import that resolves to nothing', 'toolstack/bugs.ts', "import './no-such-file.ts';", 'no-unresolvable: toolstack/bugs.ts → ./no-such-file.ts'],
  // sim/policy.ts imports sim/rng.ts already: closing the loop makes a circle inside one layer.
  ['an import circle', 'sim/rng.ts', "import './policy.ts';", 'no-circular: sim/'],
];

/** Clock and randomness reads that ESLint must refuse in hv/, each with the rule that says so. */
const CLOCK_READS: Array<[string, string, string]> = [
  ['Date.now()', 'export const t = Date.now();', "'Date'"],
  ['new Date()', 'export const d = new Date();', "'Date'"],
  ['Math.random()', 'export const r = Math.random();', "'Math.random'"],
  ['performance.now()', 'export const p = performance.now();', "'performance'"],
  ['setTimeout', 'setTimeout(() => {}, 1);', "'setTimeout'"],
];

/**
 * The edge an injected import adds, as dependency-cruiser names its two ends: the target resolved
 * against the file's folder, a Node built-in without its `node:`, an unresolvable one as written.
 */
function injectedEdge(file: string, line: string): [string, string] {
  const spec = /import '([^']+)'/.exec(line)![1];
  if (spec.startsWith('node:')) return [file, spec.slice('node:'.length)];
  if (spec.includes('no-such-file')) return [file, spec];
  return [file, posix.join(posix.dirname(file), spec)];
}

/** dependency-cruiser's `err` output as violations: each one's rule and the modules it names, in order. */
function violations(out: string): Array<{ rule: string; modules: string[] }> {
  return out
    .split(/^\s*error /m)
    .slice(1)
    .map((block) => {
      const text = block.replace(/\n\s*x \d+ dependency violations[\s\S]*$/, '');
      const rule = /^([\w-]+):/.exec(text)![1];
      const modules = text.slice(rule.length + 1).split('→').map((m) => m.trim()).filter((m) => m !== '');
      return { rule, modules };
    });
}

describe('the layer rules (dependency-cruiser, ESLint)', () => {
  describe('on a copy with one wrong import in each of several files', () => {
    let d: { status: number | null; out: string };
    beforeAll(() => {
      for (const [, file, line] of WRONG_IMPORTS) appendFileSync(join(copy, file), `\n${line}\n`);
      d = depcruise('.');
    }, TOOL_BUDGET_MS);
    test('dependency-cruiser fails', () => expect(d.status).not.toBe(0));
    test.each(WRONG_IMPORTS)('rejects %s', (_what, _file, _line, expected) => expect(d.out).toContain(expected));
    test('and nothing else: every violation goes through an injected import (the tree as it is passes)', () => {
      const edges = WRONG_IMPORTS.map(([, file, line]) => injectedEdge(file, line));
      const found = violations(d.out);
      expect(found.length).toBeGreaterThanOrEqual(WRONG_IMPORTS.length);
      for (const v of found) {
        const through = v.modules.some((m, i) => edges.some(([from, to]) => m === from && v.modules[i + 1] === to));
        expect(through, `${v.rule}: ${v.modules.join(' → ')}`).toBe(true);
      }
    });
  });

  describe('on a copy with clock and randomness reads in hv/', () => {
    let e: { status: number | null; out: string };
    /** hv/version.ts's lines before the reads were appended: a problem at or below it is the tree's own. */
    let ownLines: number;
    beforeAll(() => {
      ownLines = readFileSync(join(copy, 'hv/version.ts'), 'utf8').split('\n').length;
      appendFileSync(join(copy, 'hv/version.ts'), `\n${CLOCK_READS.map(([, line]) => line).join('\n')}\n`);
      e = eslint();
    }, TOOL_BUDGET_MS);
    test('ESLint fails', () => expect(e.status).toBe(1));
    test.each(CLOCK_READS)('rejects %s', (_what, _line, name) => {
      expect(e.out).toContain(name);
      expect(e.out).toContain('hv/ reads no clock');
    });
    test('and nothing else: one problem per read, each on its line of hv/version.ts (the tree as it is passes)', () => {
      // The stylish format: a file's path on a line of its own, then one indented line per problem.
      const problems: string[] = [];
      let file = '';
      for (const line of e.out.split('\n')) {
        const p = /^\s+(\d+):\d+\s+(error|warning)\s/.exec(line);
        if (p) problems.push(`${file}:${p[1]}`);
        else if (/^\S/.test(line) && !/^[✖x] /.test(line)) file = line.trim();
      }
      const versionTs = join(copy, 'hv/version.ts');
      expect(problems).toEqual(CLOCK_READS.map((_, i) => `${versionTs}:${ownLines + 1 + i}`));
    });
  });
});
