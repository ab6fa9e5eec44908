// `xen-memsim replay FILE`: re-runs a trace (scheduled or real-thread run) in the scheduled
// world, following its recorded choices, and checks every request and answer.
// Exit 0 when the run (or its recorded failure) reproduced exactly, 1 with the first
// divergence otherwise, 2 on bad usage or an unreadable file.

import { replayTraceFile } from '../../world/replay.ts';
import { TraceFormatError } from '../../sim/trace.ts';
import { parseCommand } from '../args/command.ts';
import { pluginFlag } from '../args/flags.ts';
import { fsErrorReason } from '../args/paths.ts';

export const REPLAY = {
  name: 'replay',
  summary: 'replay a trace exactly and report the first divergence',
  args: [{ name: 'FILE', help: 'a trace (.jsonl) written by demo, run --trace or check' }],
  flags: { plugin: pluginFlag },
  more: 'Exit status: 0 reproduced exactly, 1 diverged (the first divergence is printed), 2 bad usage, an unreadable trace or a plugin module not allowed (--plugin).\n',
} as const;

export async function main(argv: string[]): Promise<number> {
  const p = parseCommand(REPLAY, argv);
  if (!p.ok) return p.status;
  const file = p.args[0];
  const t0 = performance.now();
  let rep;
  try {
    // Read line by line: a long run's trace (the demo's ~90 MB) is never held in memory.
    rep = await replayTraceFile(file, { allowPlugins: p.values.plugin });
  } catch (e) {
    if (e instanceof TraceFormatError) {
      process.stderr.write(`xen-memsim replay: ${file}: ${e.message}\n`);
      return 2;
    }
    if (typeof (e as NodeJS.ErrnoException).syscall === 'string') {
      process.stderr.write(`xen-memsim replay: cannot read ${file}: ${fsErrorReason(e)}\n`);
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
