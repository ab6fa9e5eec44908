// `npm test`: the type check and the lint run beside the test suite instead of before it. Each is
// one single-threaded process (~20 and ~10 s of CPU), and one after the other, ahead of vitest,
// they left one of a 2-core machine's cores idle for half a minute; vitest's workers also wait on
// child processes and real threads, so the checks fill gaps the suite leaves. Their output is held
// and printed after the suite's (it is empty when they pass); the exit status is the first
// failure's, so a type error fails `npm test` as before. Arguments go to vitest
// (`npm test -- cli/cli.test.ts`).
import { spawn } from 'node:child_process';

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** Runs `npm run -s NAME`, its output held. @returns its exit status and output. */
function check(name) {
  return new Promise((resolve) => {
    const child = spawn(npm, ['run', '-s', name], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', (e) => resolve({ name, status: 1, output: `${output}${e.message}\n` }));
    child.on('close', (status, signal) => resolve({ name, status: status ?? (signal === null ? 1 : 128), output }));
  });
}

/** Runs vitest with the terminal as its own. @returns its exit status. */
function suite(args) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['node_modules/vitest/vitest.mjs', 'run', ...args], { stdio: 'inherit' });
    child.on('error', () => resolve(1));
    child.on('close', (status) => resolve(status ?? 1));
  });
}

const checks = [check('typecheck'), check('lint')];
const tests = await suite(process.argv.slice(2));
let status = tests;
for (const c of await Promise.all(checks)) {
  if (c.status === 0) {
    process.stdout.write(`npm run ${c.name}: passed\n`);
    continue;
  }
  process.stdout.write(`\nnpm run ${c.name} failed (exit ${c.status}):\n${c.output}`);
  if (status === 0) status = c.status;
}
process.exitCode = status;
