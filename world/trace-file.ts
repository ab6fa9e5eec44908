// Trace files without holding them: a sink that writes a recorder's JSONL to its file as the run
// goes (sim/trace.ts TraceSink), and a reader that goes through a file line by line, checking
// each line exactly as parseTrace does (same messages, same line numbers). A long run — the
// demo's 1.3M sections, ~90 MB of JSONL per variant — never has its trace in memory.

import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { readTraceLines, TraceFormatError, type TraceEvent, type TraceHeader, type TraceSink } from '../sim/trace.ts';

/** Longest line a trace file may have (characters): a header carries a scenario, not a disk. */
export const TRACE_LINE_MAX = 64 << 20;

/** Bytes read from a trace file at a time. */
const READ_CHUNK = 1 << 20;

/**
 * Writes a streamed trace to a file (created or truncated when the sink is made). A write that
 * fails during the run (a full disk) does not end the run: the sink keeps the error, closes the
 * file and writes nothing more, and the caller names it once the run's result is safe.
 */
export class TraceFileSink implements TraceSink {
  private fd: number | undefined;
  /** The first write error (an operating error of the host: ENOSPC, EIO …), if any. */
  error: Error | undefined;

  /** @throws the open error (no such folder, not writable …) before anything runs */
  constructor(readonly path: string) {
    this.fd = openSync(path, 'w');
  }

  write(text: string): void {
    this.writeBytes(new TextEncoder().encode(text));
  }

  /** The recorder's path: its chunk's bytes, written before the call returns. */
  writeBytes(bytes: Uint8Array): void {
    if (this.error !== undefined) return;
    if (this.fd === undefined) throw new Error(`trace file ${this.path} is closed`);
    try {
      // A short write (rare on a file) goes on from where it stopped.
      for (let off = 0; off < bytes.length; ) off += writeSync(this.fd, bytes, off, bytes.length - off);
    } catch (e) {
      this.error = e as Error;
      this.close();
    }
  }

  /** Closes the file (idempotent). */
  close(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
  }
}

/**
 * The non-blank lines of a file, numbered from 1 as parseTrace numbers them.
 * @throws TraceFormatError on a line longer than TRACE_LINE_MAX; the read error of the file
 */
export function* fileLines(path: string): Generator<{ line: string; lineNo: number }> {
  const fd = openSync(path, 'r');
  try {
    const buf = new Uint8Array(READ_CHUNK);
    // TextDecoder, not node:string_decoder: this module is in the browser playground's bundle too.
    const decoder = new TextDecoder('utf-8');
    let rest = '';
    let lineNo = 0;
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      const text = n === 0 ? rest + decoder.decode() : rest + decoder.decode(buf.subarray(0, n), { stream: true });
      let from = 0;
      for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', from)) {
        const line = text.slice(from, nl);
        from = nl + 1;
        if (line.trim() !== '') yield { line, lineNo: ++lineNo };
      }
      rest = text.slice(from);
      if (rest.length > TRACE_LINE_MAX) throw new TraceFormatError(`trace:${lineNo + 1}: line longer than ${TRACE_LINE_MAX} characters`);
      if (n === 0) {
        if (rest.trim() !== '') yield { line: rest, lineNo: ++lineNo };
        return;
      }
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * Reads a trace file line by line: the header, then each event handed to `onEvent` in order
 * (readTraceLines: the checks and order of parseTrace).
 * @throws TraceFormatError with the line number on anything malformed
 */
export function readTraceFile(path: string, onEvent: (e: TraceEvent) => void): TraceHeader {
  return readTraceLines(fileLines(path), onEvent);
}
