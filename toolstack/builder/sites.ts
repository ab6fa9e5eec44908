// Where each failure message comes from, per Xen version: the source file and line that
// xc_dom_panic / LOG print (`panic: <file>:<line>: …`, `libxl: error: <file>:<line>:<func>: …`).
// Files follow the tree of each release (tools/libxc + tools/libxl up to 4.14, tools/libs/guest
// + tools/libs/light from 4.15). Line numbers are plausible, not verified against every tag:
// the reference gives 4.22's (xg_dom_boot.c:119, libxl_dom.c:581, libxl_create.c:1653) and asks
// for the text to match, not the numbers. 4.3's HVM build has no xc_dom code at all.

import { XEN_VERSIONS, xenBranch, type XenBranch, type XenVersion } from '../../hv/version.ts';

export interface Site {
  readonly file: string;
  readonly line: number;
}

export interface SourceSites {
  /** xc_dom_boot_mem_init's panic: "can't allocate low memory for domain". */
  readonly bootMemInit: Site;
  /** meminit_pv's panic on a failed 4 KiB populate (4.6+; absent in 4.3). */
  readonly meminitPv: Site | undefined;
  /** libxl's report of the failed xc_dom_boot_mem_init, and the function it names. */
  readonly libxlMemInit: Site & { readonly func: 'libxl__build_dom' | 'libxl__build_pv' };
  /** 4.3 libxl__build_hvm: "hvm building failed" (xc_hvm_build). */
  readonly libxlBuildHvm: Site | undefined;
  /** domcreate_rebuild_done: "cannot (re-)build domain". */
  readonly rebuildDone: Site;
  /** libxl__domain_rename's duplicate-name check. */
  readonly domainRename: Site;
  /** initiate_domain_create: "cannot make domain". */
  readonly makeDomain: Site;
  /** libxl_set_memory_target, libxl_wait_for_memory_target (libxl.c in 4.3, libxl_mem.c later). */
  readonly setMemoryTarget: Site;
  readonly waitForMemoryTarget: Site;
  /** libxl_vm_get_start_time: "Can't get start time of domain" (libxl.c in 4.3, libxl_domain.c later). */
  readonly vmGetStartTime: Site;
  /** libxl_xen_console_read_line: "reading console ring buffer" (LOGE; libxl.c in 4.3). */
  readonly consoleReadLine: Site;
  /** libxl messages carry `Domain <id>:` (LOGD, 4.8+). */
  readonly logHasDomain: boolean;
}

const SITES_BY_BRANCH: Readonly<Record<XenBranch, SourceSites>> = {
  '4.3': {
    bootMemInit: { file: 'xc_dom_boot.c', line: 126 },
    meminitPv: undefined,
    libxlMemInit: { file: 'libxl_dom.c', line: 396, func: 'libxl__build_pv' },
    libxlBuildHvm: { file: 'libxl_dom.c', line: 642 },
    rebuildDone: { file: 'libxl_create.c', line: 900 },
    domainRename: { file: 'libxl.c', line: 367 },
    makeDomain: { file: 'libxl_create.c', line: 705 },
    setMemoryTarget: { file: 'libxl.c', line: 3930 },
    waitForMemoryTarget: { file: 'libxl.c', line: 4100 },
    vmGetStartTime: { file: 'libxl.c', line: 4800 },
    consoleReadLine: { file: 'libxl.c', line: 4765 },
    logHasDomain: false,
  },
  '4.13': {
    bootMemInit: { file: 'xc_dom_boot.c', line: 122 },
    meminitPv: { file: 'xc_dom_x86.c', line: 1256 },
    libxlMemInit: { file: 'libxl_dom.c', line: 592, func: 'libxl__build_dom' },
    libxlBuildHvm: undefined,
    rebuildDone: { file: 'libxl_create.c', line: 1527 },
    domainRename: { file: 'libxl_domain.c', line: 444 },
    makeDomain: { file: 'libxl_create.c', line: 1188 },
    setMemoryTarget: { file: 'libxl_mem.c', line: 298 },
    waitForMemoryTarget: { file: 'libxl_mem.c', line: 632 },
    vmGetStartTime: { file: 'libxl_domain.c', line: 1836 },
    consoleReadLine: { file: 'libxl_console.c', line: 771 },
    logHasDomain: true,
  },
  '4.21': {
    bootMemInit: { file: 'xg_dom_boot.c', line: 119 },
    meminitPv: { file: 'xg_dom_x86.c', line: 1297 },
    libxlMemInit: { file: 'libxl_dom.c', line: 581, func: 'libxl__build_dom' },
    libxlBuildHvm: undefined,
    rebuildDone: { file: 'libxl_create.c', line: 1647 },
    domainRename: { file: 'libxl_domain.c', line: 447 },
    makeDomain: { file: 'libxl_create.c', line: 1287 },
    setMemoryTarget: { file: 'libxl_mem.c', line: 298 },
    waitForMemoryTarget: { file: 'libxl_mem.c', line: 633 },
    vmGetStartTime: { file: 'libxl_domain.c', line: 2224 },
    consoleReadLine: { file: 'libxl_console.c', line: 826 },
    logHasDomain: true,
  },
  '4.22': {
    bootMemInit: { file: 'xg_dom_boot.c', line: 119 },
    meminitPv: { file: 'xg_dom_x86.c', line: 1297 },
    libxlMemInit: { file: 'libxl_dom.c', line: 581, func: 'libxl__build_dom' },
    libxlBuildHvm: undefined,
    rebuildDone: { file: 'libxl_create.c', line: 1653 },
    domainRename: { file: 'libxl_domain.c', line: 447 },
    makeDomain: { file: 'libxl_create.c', line: 1293 },
    setMemoryTarget: { file: 'libxl_mem.c', line: 298 },
    waitForMemoryTarget: { file: 'libxl_mem.c', line: 633 },
    vmGetStartTime: { file: 'libxl_domain.c', line: 2224 },
    consoleReadLine: { file: 'libxl_console.c', line: 826 },
    logHasDomain: true,
  },
};

/** Per version string: a point release or an opt-in series prints its branch's sites. */
export const SOURCE_SITES: Readonly<Record<XenVersion, SourceSites>> =
  Object.fromEntries(XEN_VERSIONS.map((v) => [v, SITES_BY_BRANCH[xenBranch(v)]])) as Record<XenVersion, SourceSites>;

/**
 * One libxl error line as xl's stdio logger prints it:
 * `libxl: error: <file>:<line>:<func>: [Domain <id>:]<message>`.
 */
export function libxlError(sites: SourceSites, site: Site, func: string, domid: number | undefined, message: string): string {
  const dom = sites.logHasDomain && domid !== undefined ? `Domain ${domid}:` : '';
  return `libxl: error: ${site.file}:${site.line}:${func}: ${dom}${message}\n`;
}
