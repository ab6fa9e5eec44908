// `xen-memsim report TRACE.jsonl [--out report.html] [--perfetto trace.json]`: replays any trace
// (scheduled or real-thread run) with telemetry attached and writes the HTML report, and the
// Chrome trace-event / Perfetto file if asked. Exit 0 when written, 1 when the trace is malformed
// (the message names the line) or an output could not be written after all (a full disk), 2 on
// bad usage, an unreadable trace, a plugin module of the trace's not allowed (--plugin) or an
// output refused before the replay.

import { prepareReportAssets, writeReport } from '../../report/html.ts';
import { writePerfetto } from '../../report/perfetto.ts';
import { collectFromTrace } from '../../report/telemetry.ts';
import { TraceFormatError } from '../../sim/trace.ts';
import { parseCommand } from '../args/command.ts';
import { outFlag, outputFlag, pluginFlag } from '../args/flags.ts';
import { PluginNotAllowedError } from '../../world/trace-plugins.ts';
import { INPUT_LIMITS, outputFileProblem, readInput, writeResult } from '../args/paths.ts';

export const REPORT = {
  name: 'report',
  summary: 'write the HTML report / Perfetto trace of a trace file',
  args: [{ name: 'TRACE.jsonl', help: 'a trace written by demo, run --trace or check' }],
  flags: {
    out: outFlag("where to write the HTML report (default: TRACE's name with .html)"),
    perfetto: outputFlag('--perfetto <FILE>', 'also write a Chrome trace-event file (open it in ui.perfetto.dev)'),
    plugin: pluginFlag,
  },
} as const;

export async function main(argv: string[]): Promise<number> {
  const p = parseCommand(REPORT, argv);
  if (!p.ok) return p.status;
  const trace = p.args[0];
  const out = p.values.out ?? trace.replace(/(\.jsonl)?$/, '.html');
  const { perfetto } = p.values;
  for (const path of [out, ...(perfetto === undefined ? [] : [perfetto])]) {
    const problem = outputFileProblem(path);
    if (problem !== undefined) {
      process.stderr.write(`xen-memsim report: ${problem}\n`);
      return 2;
    }
  }
  const input = readInput(trace, INPUT_LIMITS.trace);
  if (!input.ok) {
    process.stderr.write(`xen-memsim report: ${input.message}\n`);
    return 2;
  }
  // The report's page is bundled in esbuild's own process while the trace replays.
  void prepareReportAssets();
  const t0 = performance.now();
  let telemetry;
  try {
    telemetry = await collectFromTrace(input.text, { allowPlugins: p.values.plugin });
  } catch (e) {
    if (e instanceof PluginNotAllowedError) {
      process.stderr.write(`xen-memsim report: ${trace}: ${e.message}\n`);
      return 2;
    }
    if (e instanceof TraceFormatError) {
      process.stderr.write(`xen-memsim report: ${trace}: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
  const wallMs = performance.now() - t0;
  const late = await writeResult(out, () => writeReport(telemetry, out, { wallMs }));
  if (late !== undefined) {
    process.stderr.write(`xen-memsim report: ${late}\n`);
    return 1;
  }
  process.stdout.write(`report written to ${out}\n`);
  if (perfetto !== undefined) {
    const problem = await writeResult(perfetto, () => writePerfetto(telemetry, perfetto));
    if (problem !== undefined) {
      process.stderr.write(`xen-memsim report: ${problem}\n`);
      return 1;
    }
    process.stdout.write(`Chrome trace-event file written to ${perfetto} (open it in https://ui.perfetto.dev)\n`);
  }
  const r = telemetry.meta.replay;
  if (r !== undefined && !r.reproduced) process.stdout.write(`note: the replay diverged from the recording (${r.divergence ?? ''}); the report shows the replay\n`);
  return 0;
}
