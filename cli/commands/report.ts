// `xen-memsim report TRACE.jsonl [--out report.html] [--perfetto trace.json]`: replays any trace
// (scheduled or real-thread run) with telemetry attached and writes the HTML report, and the
// Chrome trace-event / Perfetto file if asked. Exit 0 when written, 1 when the trace is malformed
// (the message names the line), 2 on bad usage or an unreadable file.

import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { writeReport } from '../../report/html.ts';
import { writePerfetto } from '../../report/perfetto.ts';
import { collectFromTrace } from '../../report/telemetry.ts';
import { TraceFormatError } from '../../sim/trace.ts';

const USAGE = `usage: xen-memsim report TRACE.jsonl [--out report.html] [--perfetto trace.json]
  --out FILE        where to write the HTML report (default: TRACE's name with .html)
  --perfetto FILE   also write a Chrome trace-event file (open it in ui.perfetto.dev)
`;

interface Args {
  trace: string;
  out: string;
  perfetto?: string;
}

/** @returns the arguments, or an error message for bad usage */
function parse(argv: string[]): Args | string {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: { out: { type: 'string' }, perfetto: { type: 'string' } } });
  } catch (e) {
    return (e as Error).message;
  }
  const { positionals, values } = parsed;
  if (positionals.length !== 1) return positionals.length === 0 ? 'missing TRACE.jsonl' : `one trace at a time (got ${positionals.length})`;
  const trace = positionals[0];
  return { trace, out: values.out ?? trace.replace(/(\.jsonl)?$/, '.html'), ...(values.perfetto === undefined ? {} : { perfetto: values.perfetto }) };
}

export async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(USAGE);
    return 0;
  }
  const args = parse(argv);
  if (typeof args === 'string') {
    process.stderr.write(`xen-memsim report: ${args}\n${USAGE}`);
    return 2;
  }
  let text: string;
  try {
    text = await readFile(args.trace, 'utf8');
  } catch (e) {
    process.stderr.write(`xen-memsim report: cannot read ${args.trace}: ${(e as Error).message}\n`);
    return 2;
  }
  const t0 = performance.now();
  let telemetry;
  try {
    telemetry = await collectFromTrace(text);
  } catch (e) {
    if (e instanceof TraceFormatError) {
      process.stderr.write(`xen-memsim report: ${args.trace}: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
  const wallMs = performance.now() - t0;
  await writeReport(telemetry, args.out, { wallMs });
  process.stdout.write(`report written to ${args.out}\n`);
  if (args.perfetto !== undefined) {
    await writePerfetto(telemetry, args.perfetto);
    process.stdout.write(`Chrome trace-event file written to ${args.perfetto} (open it in https://ui.perfetto.dev)\n`);
  }
  const r = telemetry.meta.replay;
  if (r !== undefined && !r.reproduced) process.stdout.write(`note: the replay diverged from the recording (${r.divergence ?? ''}); the report shows the replay\n`);
  return 0;
}
