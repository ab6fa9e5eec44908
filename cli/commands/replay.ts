// `xen-memsim replay FILE`: re-runs a trace (from any run, scheduled or real threads) in the
// scheduled world, following its recorded choices, and checks every request and answer.
// Exit 0 when the run (or its recorded failure) reproduced exactly, 1 with the first
// divergence otherwise, 2 on bad usage or an unreadable file.

import { readFile } from 'node:fs/promises';
import { replayTrace } from '../../world/replay.ts';
import { TraceFormatError } from '../../sim/trace.ts';

const USAGE = 'usage: xen-memsim replay FILE\n';

export async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (argv.length !== 1) {
    process.stderr.write(USAGE);
    return 2;
  }
  const file = argv[0];
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    process.stderr.write(`xen-memsim replay: cannot read ${file}: ${(e as Error).message}\n`);
    return 2;
  }
  const t0 = performance.now();
  let rep;
  try {
    rep = await replayTrace(text);
  } catch (e) {
    if (e instanceof TraceFormatError) {
      process.stderr.write(`xen-memsim replay: ${file}: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  const ms = (performance.now() - t0).toFixed(0);
  const vt = (rep.run.owner.hv.now / 1e9).toFixed(3);
  if (!rep.reproduced) {
    process.stdout.write(`replay DIVERGED after ${rep.steps} steps (virtual ${vt} s, wall ${ms} ms)\n  ${rep.divergence}\n`);
    return 1;
  }
  const failed = rep.failure === undefined ? 'the run completed' : `the recorded failure reproduced: ${rep.failure.message}`;
  process.stdout.write(`replay reproduced the run exactly: ${rep.steps} steps, virtual ${vt} s, wall ${ms} ms, hash ${rep.hash}\n  ${failed}\n`);
  return 0;
}
