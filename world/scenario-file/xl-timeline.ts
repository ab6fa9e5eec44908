// The 'xl-timeline' actor kind: one admin's terminal in a scenario file's timeline. It runs its
// xl command lines one after another, each at its virtual time (or when the previous one has
// finished, if later), and notes each command's output and exit status in the trace as
// `xl-result {json}` — so the same record comes out of a scheduled run, a real-thread run and a
// replay, and `run`/`demo` read their transcripts from the trace alone.

import type { HypercallPort } from '../../sim/port.ts';
import type { XlParams } from '../../toolstack/xl/context.ts';
import { XlSink, type XlWrite } from '../../toolstack/xl/io.ts';
import { xlMain } from '../../toolstack/xl/main.ts';

export const XL_TIMELINE_KIND = 'xl-timeline';

/** Trace note prefixes: a command starts / a command ended (followed by JSON). */
export const XL_START_NOTE = 'xl-start ';
export const XL_RESULT_NOTE = 'xl-result ';

export interface XlTimelineParams extends Omit<XlParams, 'argv' | 'io'> {
  /** Command lines (words after `xl`) and when to start each (virtual ns), in order. */
  commands: Array<{ atNs: number; argv: string[] }>;
}

/** What `xl-result` notes carry. */
export interface XlResult {
  argv: string[];
  startNs: number;
  endNs: number;
  status: number;
  out: XlWrite[];
}

export async function xlTimelineMain(port: HypercallPort, params: Record<string, unknown>): Promise<void> {
  const p = params as unknown as XlTimelineParams;
  const { commands, ...base } = p;
  for (const c of commands) {
    const wait = c.atNs - port.now();
    if (wait > 0) await port.sleep(wait);
    const startNs = port.now();
    port.note(XL_START_NOTE + JSON.stringify({ argv: c.argv, startNs }));
    const sink = new XlSink();
    const status = await xlMain(port, { ...base, argv: c.argv }, sink);
    const result: XlResult = { argv: c.argv, startNs, endNs: port.now(), status: status & 0xff, out: sink.writes };
    port.note(XL_RESULT_NOTE + JSON.stringify(result));
  }
}
