// The TypeScript worker loader, in the three places it must work: under vitest (this file), from
// the command line with `node --import tsx`, and from plain node after tsx's register() API.
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, test } from 'vitest';
import { createTsPiscina, spawnTsWorker, tsWorkerExecArgv, TSX_WORKER_HOOKS_URL, withoutTsx } from './spawn.ts';

const hello = new URL('./fixtures/hello.ts', import.meta.url);
const smoke = fileURLToPath(new URL('./fixtures/spawn-smoke.ts', import.meta.url));
const smokeRegister = fileURLToPath(new URL('./fixtures/spawn-smoke-register.mjs', import.meta.url));
const expected = { raw: { type: 'hello', magic: 0x58454e4d, isMainThread: false }, piscina: 0x58454e4d + 1 };
const run = promisify(execFile);

describe('TypeScript workers', () => {
  test('a raw worker loads a .ts module under vitest', async () => {
    const w = spawnTsWorker(hello);
    const [msg] = await once(w, 'message');
    await w.terminate();
    expect(msg).toEqual(expected.raw);
  });

  test('a piscina pool runs a .ts task module under vitest', async () => {
    const pool = createTsPiscina<number, number>({ filename: hello, minThreads: 1, maxThreads: 1, atomics: 'disabled' });
    try {
      expect(await pool.run(1)).toBe(expected.piscina);
    } finally {
      await pool.destroy();
    }
  });

  test.each([
    ['node --import tsx', ['--import', 'tsx', smoke]],
    ['plain node + tsx register()', [smokeRegister]],
  ])('works from the command line: %s', async (_label, args) => {
    const { stdout } = await run(process.execPath, args, { cwd: fileURLToPath(new URL('..', import.meta.url)), timeout: 30_000 });
    expect(JSON.parse(stdout.trim())).toEqual(expected);
  });

  test('execArgv keeps the parent flags, drops tsx registrations, and adds the worker hooks once', () => {
    const argv = tsWorkerExecArgv(['--conditions', 'node', '--import', 'tsx', '--import=file:///x/node_modules/tsx/dist/loader.mjs', '--require', '/a/b.cjs']);
    expect(argv).toEqual(['--conditions', 'node', '--require', '/a/b.cjs', '--import', TSX_WORKER_HOOKS_URL]);
    expect(tsWorkerExecArgv(argv)).toEqual(argv);
  });

  test('a compiled worker\'s execArgv: the parent flags without any tsx registration (as `tsx script.ts` passes it)', () => {
    const underTsx = ['--require', '/r/node_modules/tsx/dist/preflight.cjs', '--import', 'file:///r/node_modules/tsx/dist/loader.mjs', '--conditions', 'node', '--import=./mine.mjs'];
    expect(withoutTsx(underTsx)).toEqual(['--conditions', 'node', '--import', './mine.mjs']);
    expect(withoutTsx(tsWorkerExecArgv(underTsx))).toEqual(['--conditions', 'node', '--import', './mine.mjs']);
    expect(withoutTsx([])).toEqual([]);
  });
});
