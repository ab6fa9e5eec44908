// A streamed trace's lines as UTF-8 bytes, encoded once into one reused buffer: the lines the
// hash covers are hashed straight from that buffer (runs of consecutive hashed lines in one
// update), and the full chunk goes to the sink. It replaces two strings concatenated line by
// line (one hashed, one written), whose flattening and re-encoding cost more than the run's
// allocator on the demo's 1.3M sections (sim/trace.ts profile: crypto update ~16 % of a
// variant, the trace file's writes ~12 %).

import type { Hash } from 'node:crypto';

/** Bytes of one chunk: hashed and handed to the sink at a time. */
export const CHUNK_BYTES = 1 << 20;

/** Where the bytes go: `bytes` is only valid during the call (the buffer is reused). */
export type ChunkWriter = (bytes: Uint8Array) => void;

/** Hashes the bytes (node:crypto's Hash, or the browser shim's). */
type Hasher = Pick<Hash, 'update'>;

const encoder = new TextEncoder();

export class LineChunks {
  private readonly buf = new Uint8Array(CHUNK_BYTES);
  /** Bytes of the chunk so far. Invariant: 0 ≤ off ≤ CHUNK_BYTES. */
  private off = 0;
  /** Start of the run of hashed lines that ends at `off`, or -1 when the last line was not hashed. */
  private hashFrom = -1;

  /** @param write undefined: the bytes are only hashed (a trace nobody keeps) */
  constructor(private readonly h: Hasher, private readonly write: ChunkWriter | undefined) {}

  /** Appends one line (its text ends with '\n'); `hashed`: the hash covers it. */
  add(line: string, hashed: boolean): void {
    const n = line.length;
    // A UTF-16 unit is at most 3 UTF-8 bytes.
    if (this.off + 3 * n > CHUNK_BYTES) {
      this.flush();
      if (3 * n > CHUNK_BYTES) return this.addLong(line, hashed);
    }
    const start = this.off;
    if (!hashed && this.hashFrom >= 0) this.hashRun(start);
    const b = this.buf;
    let o = start;
    for (let i = 0; i < n; i++) {
      const c = line.charCodeAt(i);
      if (c >= 0x80) {
        o = start + encoder.encodeInto(line, b.subarray(start)).written;
        break;
      }
      b[o++] = c;
    }
    this.off = o;
    if (hashed && this.hashFrom < 0) this.hashFrom = start;
  }

  /**
   * Appends a hashed line made of `prefix` (ASCII bytes) and a non-negative safe integer `n` as
   * JSON writes it, then `}\n`: a step line, without building its string (one per section).
   */
  addPrefixedInt(prefix: Uint8Array, n: number): void {
    // prefix + at most 16 digits + '}\n'
    if (this.off + prefix.length + 18 > CHUNK_BYTES) this.flush();
    const b = this.buf;
    const start = this.off;
    b.set(prefix, start);
    let o = start + prefix.length;
    // Two halves below 2^31 each, so the digit arithmetic stays on small integers.
    const hi = Math.floor(n / 1e9);
    let lo = n - hi * 1e9;
    if (hi > 0) {
      o = writeDigits(b, o, hi);
      for (let i = 8; i >= 0; i--, lo = (lo / 10) | 0) b[o + i] = 48 + (lo % 10);
      o += 9;
    } else {
      o = writeDigits(b, o, lo);
    }
    b[o++] = 0x7d; // }
    b[o++] = 0x0a;
    this.off = o;
    if (this.hashFrom < 0) this.hashFrom = start;
  }

  /** Hashes what is pending and hands the chunk to the writer; the buffer starts over. */
  flush(): void {
    this.hashPending();
    if (this.off > 0) this.write?.(this.buf.subarray(0, this.off));
    this.off = 0;
  }

  /** Hashes the pending hashed lines (those before a flush) without writing them yet. */
  hashPending(): void {
    if (this.hashFrom >= 0) this.hashRun(this.off);
  }

  private hashRun(end: number): void {
    this.h.update(this.buf.subarray(this.hashFrom, end));
    this.hashFrom = -1;
  }

  /** A line longer than a chunk (a header with a big scenario): encoded on its own. */
  private addLong(line: string, hashed: boolean): void {
    const bytes = encoder.encode(line);
    if (hashed) this.h.update(bytes);
    this.write?.(bytes);
  }
}

/** Writes the decimal digits of the integer 0 ≤ x < 2^31 at `o`; returns the end. */
function writeDigits(b: Uint8Array, o: number, x: number): number {
  let len = 1;
  for (let y = x; y >= 10; y = (y / 10) | 0) len++;
  for (let i = len - 1; i >= 0; i--, x = (x / 10) | 0) b[o + i] = 48 + (x % 10);
  return o + len;
}
