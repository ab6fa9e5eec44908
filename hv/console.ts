// ≈ xen/drivers/char/console.c: the console ring (conring, conring_puts, read_console_ring for
// XEN_SYSCTL_readconsole) and printk's "(XEN) " line prefix, plus the one debug-build message the
// modelled memory ops print (gdprintk in memory.c). Leaves out: serial output, timestamps,
// log-level filtering and rate limiting (only messages a build prints at its default levels are
// ever written), conring_size= (the ring is the default 16 KiB), VIRQ_CON_RING.

import { assert } from './assert.ts';
import { xenBranch, type XenVersion } from './version.ts';

/** _CONRING_SIZE: the default console ring, in bytes (conring_size= can only enlarge it). */
export const CONRING_SIZE = 16384;

/** The answer of read_console_ring: the bytes read, and where a next incremental read starts. */
export interface ConsoleRead {
  readonly text: string;
  readonly index: number;
}

/**
 * conring: a byte ring of CONRING_SIZE. `prod` (conringp) counts every byte ever written, `cons`
 * (conringc) the first one still readable; prod − cons ≤ CONRING_SIZE, the oldest bytes are
 * overwritten. Both are uint32 counters in Xen; here they count on in a double, far below 2^53.
 */
export class ConsoleRing {
  /** The ring's bytes, allocated at the first write (most runs print nothing: a campaign builds thousands of hypervisors). */
  private ringBytes: Uint8Array | undefined;
  /** conringp: bytes written since boot. */
  private prod = 0;
  /** conringc: first byte not yet consumed (cleared) or overwritten. */
  private cons = 0;

  /** conring_puts: each character as one byte (the messages are ASCII). */
  private get ring(): Uint8Array {
    return (this.ringBytes ??= new Uint8Array(CONRING_SIZE));
  }

  puts(text: string): void {
    const ring = this.ring;
    for (let i = 0; i < text.length; i++) ring[this.prod++ % CONRING_SIZE] = text.charCodeAt(i) & 0xff;
    if (this.prod - this.cons > CONRING_SIZE) this.cons = this.prod - CONRING_SIZE;
  }

  /** printk of one whole line: printk_start_of_line's "(XEN) " then the text. */
  printk(line: string): void {
    assert(line.endsWith('\n'), 'printk: one whole line');
    this.puts(`(XEN) ${line}`);
  }

  /**
   * read_console_ring: up to `max` bytes from the oldest readable one, or (incremental) from
   * `index` when it lies within the readable window; `clear` consumes what was read.
   */
  read(max: number, incremental: boolean, index: number, clear: boolean): ConsoleRead {
    let c = this.cons;
    const p = this.prod;
    // Xen compares the uint32 index with the counters mod 2^32.
    if (incremental) {
      const at = this.counterAt(index);
      if (at !== undefined && c < at && at <= p) c = at;
    }
    const n = Math.min(max, p - c);
    let text = '';
    const ring = this.ring;
    for (let k = 0; k < n; k++) text += String.fromCharCode(ring[(c + k) % CONRING_SIZE]);
    c += n;
    if (clear) this.cons = p - c > CONRING_SIZE ? p - CONRING_SIZE : c;
    return { text, index: c % 2 ** 32 };
  }

  /** The full counter a uint32 index names within [cons, prod], if any. */
  private counterAt(index: number): number | undefined {
    const base = this.prod - ((this.prod - index) % 2 ** 32 + 2 ** 32) % 2 ** 32;
    return base >= this.cons ? base : undefined;
  }
}

/**
 * Where memory.c's "Could not allocate order=… extent" gdprintk sits in each release, and how it
 * prints. gdprintk is `printk(XENLOG_GUEST lvl "%s:%d:%pv " fmt, __FILE__, __LINE__, current)`
 * (4.3: "%s:%d:d%d " with current's domain id); __FILE__ is "memory.c" while xen/ was built by
 * recursing into common/ (≤ 4.14) and "common/memory.c" under Kbuild; the line is gdprintk's own.
 */
interface AllocFailSites {
  readonly file: string;
  readonly vcpuInPrefix: boolean;
  readonly increaseLine: number;
  readonly populateLine: number;
  /** populate_physmap's format: 4.3's is increase_reservation's (%d … %x … %ld of %d). */
  readonly populateFormat: 'old' | 'new';
}

const ALLOC_FAIL_SITES: Readonly<Record<'4.3' | '4.13' | '4.21' | '4.22', AllocFailSites>> = {
  '4.3': { file: 'memory.c', vcpuInPrefix: false, increaseLine: 71, populateLine: 129, populateFormat: 'old' },
  '4.13': { file: 'memory.c', vcpuInPrefix: true, increaseLine: 133, populateLine: 252, populateFormat: 'new' },
  '4.21': { file: 'common/memory.c', vcpuInPrefix: true, increaseLine: 139, populateLine: 281, populateFormat: 'new' },
  '4.22': { file: 'common/memory.c', vcpuInPrefix: true, increaseLine: 140, populateLine: 362, populateFormat: 'new' },
};

/** %#x: "0" for zero, else 0x-prefixed hex. */
const altHex = (v: number): string => (v === 0 ? '0' : `0x${v.toString(16)}`);

/**
 * The debug build's line when alloc_domheap_pages fails in increase_reservation or
 * populate_physmap (a NDEBUG build compiles gdprintk out and prints nothing).
 * `current` is the issuing domain; its vCPU is 0 (DIVERGENCE: an actor is one vCPU, numbered 0).
 */
export function allocFailLine(
  version: XenVersion, populate: boolean, current: number, order: number, domid: number, memflags: number, done: number, nrExtents: number,
): string {
  const s = ALLOC_FAIL_SITES[xenBranch(version)];
  const line = populate ? s.populateLine : s.increaseLine;
  const who = s.vcpuInPrefix ? `d${current}v0` : `d${current}`;
  const mf = memflags >>> 0;
  const body = populate && s.populateFormat === 'new'
    ? `Could not allocate order=${order} extent: id=${domid} memflags=${altHex(mf)} (${done} of ${nrExtents})`
    : `Could not allocate order=${order} extent: id=${domid} memflags=${mf.toString(16)} (${done} of ${nrExtents})`;
  return `${s.file}:${line}:${who} ${body}\n`;
}

/** page_alloc.c's assign_pages messages: [dying gdprintk line, over-allocation line] per release. */
const ASSIGN_FAIL_SITES: Readonly<Record<'4.3' | '4.13' | '4.21' | '4.22', { file: string; dying: number; over: number }>> = {
  '4.3': { file: 'page_alloc.c', dying: 1448, over: 1458 },
  '4.13': { file: 'page_alloc.c', dying: 2265, over: 2275 },
  '4.21': { file: 'common/page_alloc.c', dying: 2566, over: 2608 },
  '4.22': { file: 'common/page_alloc.c', dying: 2586, over: 2628 },
};

/**
 * The debug build's line when assign_pages refuses `n` pages for domain `domid` (tot_pages and
 * max_pages as they stood): a dying domain (gdprintk), or over max_pages — 4.3's gdprintk
 * "Over-allocation for domain %u" (quiet for order 0 under tmem when tot == max), 4.13's
 * gprintk of the same text, and from 4.21 gprintk's "Inconsistent allocation for %pd" (tot
 * already above max) or "Over-allocation for %pd: %Lu > %u". gprintk's prefix is "%pv ".
 * A release build's default guest_loglvl drops these XENLOG_INFO lines, so only a debug build
 * prints them. @returns the line, or undefined when Xen prints none
 */
export function assignFailLine(
  version: XenVersion, current: number, tmem: boolean, order: number,
  d: { readonly domid: number; readonly totPages: number; readonly maxPages: number; readonly dying: boolean },
): string | undefined {
  const branch = xenBranch(version);
  const s = ASSIGN_FAIL_SITES[branch];
  const who = branch === '4.3' ? `d${current}` : `d${current}v0`;
  const n = 2 ** order;
  if (d.dying) return `${s.file}:${s.dying}:${who} Cannot assign page to domain${d.domid} -- dying.\n`;
  if (branch === '4.3') {
    if (tmem && order === 0 && d.totPages === d.maxPages) return undefined;
    return `${s.file}:${s.over}:${who} Over-allocation for domain ${d.domid}: ${d.totPages + n} > ${d.maxPages}\n`;
  }
  if (branch === '4.13') return `${who} Over-allocation for domain ${d.domid}: ${d.totPages + n} > ${d.maxPages}\n`;
  if (d.totPages > d.maxPages) return `${who} Inconsistent allocation for d${d.domid}: ${d.totPages} > ${d.maxPages}\n`;
  return `${who} Over-allocation for d${d.domid}: ${d.totPages + n} > ${d.maxPages}\n`;
}
