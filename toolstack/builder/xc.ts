// ≈ libxenctrl's memory wrappers (tools/libs/ctrl/xc_domain.c) and xc_report/xc_dom_panic
// (xc_private.c, xg_dom_core.c) over a HypercallPort: what libxenguest's builder calls. Keeps a
// C-like `errno` because libxl's messages print strerror(errno) of whatever failed last.

import { EBUSY, ENOSYS } from '../../hv/errno.ts';
import type { HypercallPort } from '../../sim/port.ts';
import type { ToolstackBug } from '../bugs.ts';
import type { Site } from './sites.ts';

/** xc_error_code texts xc_report appends (xc_error_code_to_desc). */
export type XcErrorCode = 'Internal error' | 'Out of memory';

/** Pages populated per extent size, as meminit_hvm's detail counters (and PV's, for tests). */
export interface PopulateStats {
  pages4k: number;
  pages2m: number;
  pages1g: number;
}

export class Xc {
  /** errno after the last failed call (never reset by a success, as in C). */
  errno = 0;
  readonly stats: PopulateStats = { pages4k: 0, pages2m: 0, pages1g: 0 };
  /** Every XENMEM_claim_pages issued, with its raw rc: tests read the amounts here. */
  readonly claims: Array<{ pages: number; rc: number }> = [];
  /** Every claim set issued (XEN_DOMCTL_claim_memory), with its raw rc. */
  readonly claimSets: Array<{ entries: ReadonlyArray<{ pages: number; node: number }>; rc: number }> = [];

  constructor(
    readonly port: HypercallPort,
    private readonly bugs: ReadonlySet<ToolstackBug>,
    /** Where the stdio logger writes (xl's stderr), one entry per line. */
    readonly stderr: string[],
  ) {}

  /**
   * xc_domain_claim_pages: `nr_pages` is the target total; 0 cancels.
   * @returns 0, or -1 with errno set (ENOSYS squashed to 0 under bug B7)
   */
  async claimPages(domid: number, nrPages: number): Promise<number> {
    const { rc } = await this.port.hypercall('XENMEM_claim_pages', { domid, nr_extents: nrPages, extent_order: 0, mem_flags: 0, extent_start: null });
    this.claims.push({ pages: nrPages, rc });
    if (rc === -ENOSYS && this.bugs.has('B7')) {
      this.errno = 0;
      return 0;
    }
    if (rc < 0) {
      this.errno = -rc;
      return -1;
    }
    return 0;
  }

  /**
   * xc_domain_claim_memory(xch, domid, nr_claims, claims) of the claim-set series (not merged):
   * XEN_DOMCTL_claim_memory with one node entry each. @returns 0, or -1 with errno set
   */
  async claimMemory(domid: number, entries: ReadonlyArray<{ pages: number; node: number }>): Promise<number> {
    const { rc } = await this.port.hypercall('XEN_DOMCTL_claim_memory', { domid, claim_set: entries.map((e) => ({ pages: e.pages, target: e.node })) });
    this.claimSets.push({ entries, rc });
    if (rc < 0) {
      this.errno = -rc;
      return -1;
    }
    return 0;
  }

  /**
   * xc_domain_populate_physmap (non-exact): @returns extents done (a short count is not an
   * error), or -1 with errno for an errno from Xen.
   */
  async populatePhysmap(domid: number, nrExtents: number, extentOrder: number, memFlags: number, extentStart: number[]): Promise<number> {
    const { rc } = await this.port.hypercall('XENMEM_populate_physmap', {
      domid, nr_extents: nrExtents, extent_order: extentOrder, mem_flags: memFlags, extent_start: extentStart,
    });
    if (rc < 0) {
      this.errno = -rc;
      return -1;
    }
    const pages = rc * 2 ** extentOrder;
    if (extentOrder === 18) this.stats.pages1g += pages;
    else if (extentOrder === 9) this.stats.pages2m += pages;
    else this.stats.pages4k += pages;
    return rc;
  }

  /** xc_domain_populate_physmap_exact: @returns 0, or -1 with errno EBUSY on a short count. */
  async populatePhysmapExact(domid: number, nrExtents: number, extentOrder: number, memFlags: number, extentStart: number[]): Promise<number> {
    const done = await this.populatePhysmap(domid, nrExtents, extentOrder, memFlags, extentStart);
    if (done === nrExtents) return 0;
    if (done >= 0) this.errno = EBUSY;
    return -1;
  }

  /** xc_report_error through the stdio logger: `xc: error: <msg>: <code text>`. */
  report(code: XcErrorCode, msg: string): void {
    this.stderr.push(`xc: error: ${msg}: ${code}\n`);
  }

  /** xc_dom_panic: `panic: <file>:<line>: <msg>`, reported at error level. */
  panic(site: Site, code: XcErrorCode, msg: string): void {
    this.report(code, `panic: ${site.file}:${site.line}: ${msg}`);
  }
}

/** gpfns `start, start + step, …` (n of them): extent_start lists for populate calls. */
export function gpfnList(start: number, n: number, step = 1): number[] {
  const list = new Array<number>(n);
  for (let i = 0; i < n; i++) list[i] = start + i * step;
  return list;
}
