// Memory samples over virtual time, kept small however long the run: rows are taken at most
// every `intervalNs` (plus one per event), and when more than twice `maxPoints` have piled up the
// buffer is thinned to `maxPoints` and the interval doubles. Columns come out aligned on one time
// axis, as uPlot wants them.

import { assert } from '../hv/assert.ts';

/** One sample: the host-wide counters and, per domain series key, [tot_pages, outstanding_pages]. */
export interface MemoryRow {
  t: number;
  free: number;
  outstanding: number;
  tmemEphemeral: number;
  tmemPersistent: number;
  domains: ReadonlyMap<string, readonly [tot: number, claim: number]>;
}

/** A domain's line on the chart; `null` where the domain did not exist. */
export interface DomainSeries {
  /** `d<domid>:<name>`: a domid reused by a new domain is a new series. */
  key: string;
  domid: number;
  name: string;
  totPages: Array<number | null>;
  outstandingPages: Array<number | null>;
}

/** Aligned columns, in pages; `t` in virtual ns. */
export interface MemorySeries {
  t: number[];
  freePages: number[];
  outstandingClaims: number[];
  /** Present only when the host runs tmem (4.3 with the tmem boot option). */
  tmemEphemeral?: number[];
  tmemPersistent?: number[];
  domains: DomainSeries[];
}

/**
 * Thins rows to at most `max`: the time range is cut into max/2 equal buckets and each keeps its
 * first and last row, so every step of a stepwise line survives at the bucket's resolution.
 * @param rows sorted by t
 */
export function downsample<R extends { t: number }>(rows: readonly R[], max: number): R[] {
  assert(Number.isInteger(max) && max >= 2, 'downsample: max must be an integer >= 2');
  if (rows.length <= max) return [...rows];
  const t0 = rows[0].t;
  const span = rows[rows.length - 1].t - t0;
  const buckets = Math.floor(max / 2);
  const bucket = (i: number): number =>
    span === 0 ? Math.floor((i * buckets) / rows.length) : Math.min(buckets - 1, Math.floor(((rows[i].t - t0) / span) * buckets));
  const out: R[] = [];
  let current = -1;
  for (let i = 0; i < rows.length; i++) {
    const b = bucket(i);
    // First row of its bucket, or last (the next row starts another bucket, or there is none).
    if (b !== current || i + 1 === rows.length || bucket(i + 1) !== b) out.push(rows[i]);
    current = b;
  }
  return out;
}

/** The sample buffer: bounded memory, bounded output. */
export class MemoryRows {
  private rows: MemoryRow[] = [];
  /** Virtual ns between periodic samples; doubles each time the buffer is thinned. */
  intervalNs: number;
  /** Domain series keys → {domid, name}, in order of first appearance. */
  private readonly known = new Map<string, { domid: number; name: string }>();

  constructor(intervalNs: number, private readonly maxPoints: number) {
    assert(Number.isFinite(intervalNs) && intervalNs >= 0, 'MemoryRows: intervalNs must be >= 0');
    assert(Number.isInteger(maxPoints) && maxPoints >= 2, 'MemoryRows: maxPoints must be an integer >= 2');
    this.intervalNs = intervalNs;
  }

  /** Whether a periodic sample is due at `t` (events sample regardless). */
  due(t: number): boolean {
    const last = this.rows.at(-1);
    return last === undefined || t - last.t >= this.intervalNs;
  }

  /** Adds a sample; a second sample at the same time replaces the first (the later state wins). */
  add(row: MemoryRow, domainNames: ReadonlyMap<string, { domid: number; name: string }>): void {
    for (const [k, v] of domainNames) if (!this.known.has(k)) this.known.set(k, v);
    const last = this.rows.at(-1);
    assert(last === undefined || row.t >= last.t, 'MemoryRows: samples must not go back in time');
    if (last !== undefined && last.t === row.t && this.rows.length > 1) this.rows[this.rows.length - 1] = row;
    else this.rows.push(row);
    if (this.rows.length > 2 * this.maxPoints) {
      this.rows = downsample(this.rows, this.maxPoints);
      // At least the resolution the thinned rows keep (their span over maxPoints): an interval
      // that only doubled from 0 would sample every section for the first dozens of thinnings.
      const span = this.rows[this.rows.length - 1].t - this.rows[0].t;
      this.intervalNs = Math.max(1, this.intervalNs * 2, Math.floor(span / this.maxPoints));
    }
  }

  get length(): number {
    return this.rows.length;
  }

  /** The columns, thinned to maxPoints. */
  columns(withTmem: boolean): MemorySeries {
    const rows = downsample(this.rows, this.maxPoints);
    const domains: DomainSeries[] = [...this.known].map(([key, { domid, name }]) => ({
      key, domid, name,
      totPages: rows.map((r) => r.domains.get(key)?.[0] ?? null),
      outstandingPages: rows.map((r) => r.domains.get(key)?.[1] ?? null),
    }));
    return {
      t: rows.map((r) => r.t),
      freePages: rows.map((r) => r.free),
      outstandingClaims: rows.map((r) => r.outstanding),
      ...(withTmem ? { tmemEphemeral: rows.map((r) => r.tmemEphemeral), tmemPersistent: rows.map((r) => r.tmemPersistent) } : {}),
      domains,
    };
  }
}
