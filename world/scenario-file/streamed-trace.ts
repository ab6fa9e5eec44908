// A real-thread run's trace read as it streams in (workers/supervisor.ts onTrace), chunk by
// chunk: what run.ts reads back out of it — every event but the sections and wake-ups, each
// with the number of sections before it, and the last section's virtual time — without ever
// holding the text. A section or wake-up line (1.3M of a demo variant's 1.34M lines) is only
// counted: the recorder writes them in one fixed form (sim/trace.ts), so a prefix tells them.
// Every other line is checked as parseTrace checks it (parseTraceEventLine, same line numbers).

import { parseTraceEventLine, type TraceEvent } from '../../sim/trace.ts';

const STEP_PREFIX = '{"k":"step",';
const WAKE_PREFIX = '{"k":"wake",';

export class StreamedTraceReader {
  /** The events other than steps and wake-ups, in order, up to the first `end`. */
  readonly events: TraceEvent[] = [];
  /** stepsAt[i]: sections and wake-ups before events[i]. */
  readonly stepsAt: number[] = [];
  /** Sections and wake-ups read. */
  steps = 0;
  /** An unfinished last line (a chunk ends at a line's end; this is for any other feed). */
  private rest = '';
  private lineNo = 0;
  /** Where the last section or wake-up line is (the text it is in, from, to): sliced only when asked. */
  private lastStep: [string, number, number] | undefined;
  private ended = false;

  /** Takes the next piece of the trace text. @throws TraceFormatError on a malformed line */
  feed(text: string): void {
    let from = 0;
    let chunk = text;
    if (this.rest !== '') {
      chunk = this.rest + text;
      this.rest = '';
    }
    for (let nl = chunk.indexOf('\n'); nl >= 0; nl = chunk.indexOf('\n', from)) {
      this.line(chunk, from, nl);
      from = nl + 1;
    }
    this.rest = chunk.slice(from);
  }

  /** The end of the text: a last line without its newline. */
  close(): void {
    if (this.rest !== '') this.line(this.rest, 0, this.rest.length);
    this.rest = '';
  }

  /** Virtual time of the last section or wake-up (0 when there was none). */
  get endNs(): number {
    if (this.lastStep === undefined) return 0;
    const [text, from, to] = this.lastStep;
    return (parseTraceEventLine(text.slice(from, to), this.lineNo) as Extract<TraceEvent, { k: 'step' | 'wake' }>).t;
  }

  private line(text: string, from: number, to: number): void {
    if (this.ended) return;
    if (text.startsWith(STEP_PREFIX, from) || text.startsWith(WAKE_PREFIX, from)) {
      this.lineNo++;
      this.steps++;
      this.lastStep = [text, from, to];
      return;
    }
    const line = text.slice(from, to);
    if (line.trim() === '') return;
    // Line 1 is the header: the run's own spec, which the caller has.
    if (++this.lineNo === 1) return;
    const e = parseTraceEventLine(line, this.lineNo);
    if (e.k === 'step' || e.k === 'wake') {
      this.steps++;
      this.lastStep = [line, 0, line.length];
      return;
    }
    this.events.push(e);
    this.stepsAt.push(this.steps);
    if (e.k === 'end') this.ended = true;
  }
}
