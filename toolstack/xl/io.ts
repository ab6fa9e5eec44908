// What an xl process writes, in order, to which stream. The xl actor has no I/O of its own: the
// shell (or a test) registers a sink under an id passed in the actor's JSON params and writes
// the collected output itself, keeping the stdout/stderr interleaving. Without a registered
// sink (an actor worker thread, a replay) the writes become trace notes.

import type { HypercallPort } from '../../sim/port.ts';

export type XlStream = 'stdout' | 'stderr';

export interface XlWrite {
  readonly stream: XlStream;
  readonly text: string;
}

/** Collected output of one xl command, and its exit status once it has finished. */
export class XlSink {
  readonly writes: XlWrite[] = [];
  exitStatus: number | undefined;

  write(stream: XlStream, text: string): void {
    if (text !== '') this.writes.push({ stream, text });
  }

  text(stream: XlStream): string {
    return this.writes.filter((w) => w.stream === stream).map((w) => w.text).join('');
  }

  get done(): boolean {
    return this.exitStatus !== undefined;
  }
}

/** In-process sinks by id (the shell and tests live in the scheduled world's thread). */
const SINKS = new Map<string, XlSink>();
let nextSinkId = 1;

/** Registers a fresh sink; pass the id as the actor's `io` param. */
export function openSink(): { id: string; sink: XlSink } {
  const id = `xl-io-${nextSinkId++}`;
  const sink = new XlSink();
  SINKS.set(id, sink);
  return { id, sink };
}

export function closeSink(id: string): void {
  SINKS.delete(id);
}

/** The sink for an actor: the registered one, or one that turns writes into trace notes. */
export function sinkFor(id: string | undefined, port: HypercallPort): XlSink {
  const registered = id === undefined ? undefined : SINKS.get(id);
  if (registered !== undefined) return registered;
  const noting = new XlSink();
  noting.write = (stream, text) => {
    if (text !== '') port.note(`xl ${stream}: ${text.replace(/\n$/, '')}`);
  };
  return noting;
}
