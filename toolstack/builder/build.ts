// ≈ libxl's domain creation as far as memory goes (libxl_create.c initiate_domain_create →
// libxl__domain_make → libxl__build_pre → libxl__build_pv/_hvm → libxl__build_dom →
// xc_dom_boot_mem_init → meminit_*, then domcreate_rebuild_done), as an actor over a
// HypercallPort. On a failed build it logs what libxl logs, destroys the half-built domain and
// returns ERROR_FAIL. Leaves out: devices, the kernel image, vCPU contexts, and xenstore beyond
// the memory nodes the balloon driver reads.

import { STRERROR } from '../../hv/errno.ts';
import { atLeast, features, type XenVersion } from '../../hv/version.ts';
import { NS_PER_SEC, type HypercallPort } from '../../sim/port.ts';
import { toolstackBugs } from '../bugs.ts';
import type { DomainConfig } from '../domain-config.ts';
import { listDomains } from './domain-info.ts';
import type { DomImage, PfnRange } from './meminit-context.ts';
import { meminitHvm, MMIO_HOLE_START } from './meminit-hvm.ts';
import { meminitPv } from './meminit-pv.ts';
import { libxlError, SOURCE_SITES, type SourceSites } from './sites.ts';
import { Xc, type PopulateStats } from './xc.ts';
import { vnumaBuildHvm, vnumaSetdefaultError } from './vnuma.ts';
import { storeVnumaNodes, vnumaNodesJson } from '../xl/config-json.ts';

/** LIBXL_MAXMEM_CONSTANT (x86): slack added to max_mem over the target, in KiB. */
export const LIBXL_MAXMEM_CONSTANT = 1024;
/** libxl error codes the builder returns. */
export const ERROR_FAIL = -3;
export const ERROR_INVAL = -6;

export interface BuildRequest {
  readonly config: DomainConfig;
  /** xl.conf claim_mode (non-zero: claim). */
  readonly claimMode: number;
  readonly version: XenVersion;
  /** Bugs to inject on top of the version's own (toolstack names; others are ignored). */
  readonly inject?: readonly string[];
  /** The legacy xm path's `dom->superpages` (4.3 PV only: no claim, exact 2 MiB extents). */
  readonly superpages?: boolean;
}

export interface BuildOutcome {
  /** 0 or a libxl error code (ERROR_FAIL). */
  readonly rc: number;
  /** The domain, if one was created (it is destroyed again when rc != 0). */
  readonly domid: number | undefined;
  /** What libxl/libxc logged at error level, one line per entry. */
  readonly stderr: string[];
  readonly stats: PopulateStats;
  /** Every claim hypercall the builder issued, with its raw rc. */
  readonly claims: ReadonlyArray<{ pages: number; rc: number }>;
  /** Every claim set it issued (the proposed vNUMA path on 4.22+claim-sets). */
  readonly claimSets: ReadonlyArray<{ entries: ReadonlyArray<{ pages: number; node: number }>; rc: number }>;
}

/** Where the emulator keeps a domain's vNUMA nodes for `xl list -l`, under its /vm/<uuid>. */
export const VNUMA_NODES_NODE = 'memsim/vnuma_nodes';

/**
 * Creates and builds a domain, leaving it paused.
 * @returns rc 0 with the domid, or ERROR_FAIL / ERROR_INVAL after logging and (when a domain
 *   was made) destroying it
 */
export async function libxlDomainCreate(port: HypercallPort, req: BuildRequest): Promise<BuildOutcome> {
  const sites = SOURCE_SITES[req.version];
  const stderr: string[] = [];
  const xc = new Xc(port, toolstackBugs(req.version, req.inject), stderr);
  const outcome = (rc: number, domid: number | undefined): BuildOutcome => ({ rc, domid, stderr, stats: xc.stats, claims: xc.claims, claimSets: xc.claimSets });
  // libxl has vnuma_nodes since 4.6: an older one never sees them.
  const config = atLeast(req.version, '4.6') || req.config.vnumaNodes.length === 0 ? req.config : { ...req.config, vnumaNodes: [] };
  req = { ...req, config };
  // libxl__domain_config_setdefault, before the domain is made.
  const refused = vnumaSetdefaultError(config, req.version);
  if (refused !== undefined) {
    stderr.push(refused);
    return outcome(ERROR_INVAL, undefined);
  }

  const made = await port.hypercall('XEN_DOMCTL_createdomain', { name: config.name, type: config.type, max_vcpus: config.maxVcpus });
  if (made.rc < 0) {
    stderr.push(libxlError(sites, sites.makeDomain, 'initiate_domain_create', undefined, `cannot make domain: ${ERROR_FAIL}`));
    return outcome(ERROR_FAIL, undefined);
  }
  const domid = made.domid as number;
  const createdNs = port.now();
  if (!(await renameOk(port, req.version, sites, domid, config.name, stderr))) {
    stderr.push(libxlError(sites, sites.makeDomain, 'initiate_domain_create', domid, `cannot make domain: ${ERROR_INVAL}`));
    await port.hypercall('XEN_DOMCTL_destroydomain', { domid });
    return outcome(ERROR_FAIL, domid);
  }
  // libxl__build_pre: max_mem = target + LIBXL_MAXMEM_CONSTANT (claims above max_pages fail).
  await port.hypercall('XEN_DOMCTL_max_mem', { domid, max_memkb: config.targetMemkb + LIBXL_MAXMEM_CONSTANT });
  // libxl__domain_build: gettimeofday(&start_time) right after libxl__build_pre.
  const startNs = port.now();

  const vnuma = await vnumaLayout(port, req, domid);
  if (!vnuma.ok) {
    stderr.push(...vnuma.stderr);
    stderr.push(libxlError(sites, sites.rebuildDone, 'domcreate_rebuild_done', domid, `cannot (re-)build domain: ${vnuma.rc}`));
    await port.hypercall('XEN_DOMCTL_destroydomain', { domid });
    return outcome(ERROR_FAIL, domid);
  }
  const dom = domImage(xc, domid, req, sites, vnuma);
  const rc = config.type === 'pv' ? await meminitPv(dom) : await meminitHvm(dom);
  if (rc !== 0) {
    reportBuildFailure(xc, sites, req, domid);
    await port.hypercall('XEN_DOMCTL_destroydomain', { domid });
    return outcome(ERROR_FAIL, domid);
  }
  await writeMemoryNodes(port, domid, config);
  const uuid = vmUuid(domid, createdNs);
  await writeVmStartTime(port, domid, uuid, startNs);
  // DIVERGENCE: libxl keeps the whole domain config in its userdata file (libxl-json) for
  // libxl_retrieve_domain_configuration; the emulator keeps only the vNUMA nodes, in xenstore.
  if (config.vnumaNodes.length > 0) await port.xsWrite(`/vm/${uuid}/${VNUMA_NODES_NODE}`, storeVnumaNodes(vnumaNodesJson(config.vnumaNodes)));
  return outcome(0, domid);
}

type VnumaLayout =
  | { readonly ok: true; readonly vmemranges: readonly PfnRange[]; readonly vnodeToPnode: readonly number[] }
  | { readonly ok: false; readonly rc: number; readonly stderr: readonly string[] };

/**
 * libxl__build_hvm's vNUMA block (HVM and PVH; PV was refused before the domain was made):
 * the vmemranges from the vnode sizes around the hole at dom->lowmem_end, checked against the
 * host's nodes (libxl_get_numainfo), in pfns for libxenguest.
 */
async function vnumaLayout(port: HypercallPort, req: BuildRequest, domid: number): Promise<VnumaLayout> {
  const { config } = req;
  if (config.vnumaNodes.length === 0) return { ok: true, vmemranges: [], vnodeToPnode: [] };
  const numa = await port.hypercall('XEN_SYSCTL_numainfo', {});
  const nrNodes = Array.isArray(numa.nodes) ? numa.nodes.length : 0;
  const memBytes = BigInt(config.maxMemkb - config.videoMemkb) << 10n;
  const holeStart = BigInt(MMIO_HOLE_START) << 12n;
  const built = vnumaBuildHvm(config, domid, nrNodes, memBytes < holeStart ? memBytes : holeStart, req.version);
  if (!built.ok) return built;
  const vmemranges = built.vmemranges.map((r) => ({ start: Number(r.start >> 12n), end: Number(r.end >> 12n), nid: r.nid }));
  return { ok: true, vmemranges, vnodeToPnode: built.vnodeToPnode };
}

/**
 * The domain's UUID. DIVERGENCE: libxl draws a random one (libxl_uuid_generate); here it is
 * made from the domid and the virtual time the domain was created at, so a replay writes the
 * same xenstore paths and two incarnations of a domid never share a /vm/<uuid> directory.
 */
export function vmUuid(domid: number, createdNs: number): string {
  const h = createdNs.toString(16).padStart(22, '0');
  return `${domid.toString(16).padStart(8, '0')}-${h.slice(0, 4)}-4${h.slice(4, 7)}-8${h.slice(7, 10)}-${h.slice(10, 22)}`;
}

/** libxl's start_time text: "%jd.%02d" of the timeval (seconds, hundredths). */
export function startTimeText(ns: number): string {
  return `${Math.floor(ns / NS_PER_SEC)}.${String(Math.floor((ns % NS_PER_SEC) / 10_000_000)).padStart(2, '0')}`;
}

/**
 * `/local/domain/N/vm` (libxl__domain_make) and `<vm>/start_time` (libxl__build_post's vments),
 * what libxl_vm_get_start_time reads for `xl uptime`. Both are written once the build succeeded:
 * before that libxl_vm_get_start_time finds no start_time either way. DIVERGENCE: the other vm
 * nodes (uuid, name, image/*) are not written: nothing reads them here.
 */
async function writeVmStartTime(port: HypercallPort, domid: number, uuid: string, startNs: number): Promise<void> {
  const vm = `/vm/${uuid}`;
  await port.xsWrite(`/local/domain/${domid}/vm`, vm);
  await port.xsWrite(`${vm}/start_time`, startTimeText(startNs));
}

/** libxc's sizes from libxl's (libxl_dom.c: mem_kb = target for PV, max − video for HVM/PVH). */
function domImage(xc: Xc, domid: number, req: BuildRequest, sites: SourceSites, vnuma: { vmemranges: readonly PfnRange[]; vnodeToPnode: readonly number[] }): DomImage {
  const { config, version } = req;
  const pv = config.type === 'pv';
  return {
    xc,
    domid,
    version,
    bugs: toolstackBugs(version, req.inject),
    sites,
    claimEnabled: req.claimMode !== 0,
    // xc_dom_mem_init(dom, mem_kb / 1024): whole MiB, × 256 pages.
    totalPages: Math.floor((pv ? config.targetMemkb : config.maxMemkb - config.videoMemkb) / 1024) * 256,
    targetPages: Math.floor((config.targetMemkb - config.videoMemkb) / 4),
    deviceModel: config.type === 'hvm',
    // xl never sets it; only the 4.3 libxc still had the option (removed in 4.7).
    superpages: pv && req.superpages === true && version === '4.3',
    vmemranges: vnuma.vmemranges,
    vnodeToPnode: vnuma.vnodeToPnode,
    claimSets: features(version).claimSets,
  };
}

/** libxl__domain_rename: a live domain of the same name refuses the new one. */
async function renameOk(port: HypercallPort, version: XenVersion, sites: SourceSites, domid: number, name: string, stderr: string[]): Promise<boolean> {
  const clash = (await listDomains(port, version)).some((d) => d.domid !== domid && d.name === name);
  if (clash) stderr.push(libxlError(sites, sites.domainRename, 'libxl__domain_rename', domid, `Domain with name "${name}" already exists.`));
  return !clash;
}

/** The error lines after meminit failed: xc_dom_boot_mem_init's panic, libxl's two reports. */
function reportBuildFailure(xc: Xc, sites: SourceSites, req: BuildRequest, domid: number): void {
  const errnoText = STRERROR[xc.errno] ?? `Unknown error ${xc.errno}`;
  if (sites.libxlBuildHvm !== undefined && req.config.type !== 'pv') {
    // 4.3: xc_hvm_build returns -1; LOGEV(ERROR, -1, …) prints no errno text.
    xc.stderr.push(libxlError(sites, sites.libxlBuildHvm, 'libxl__build_hvm', domid, 'hvm building failed'));
  } else {
    xc.panic(sites.bootMemInit, 'Out of memory', "xc_dom_boot_mem_init: can't allocate low memory for domain");
    xc.stderr.push(libxlError(sites, sites.libxlMemInit, sites.libxlMemInit.func, undefined, `xc_dom_boot_mem_init failed: ${errnoText}`));
  }
  xc.stderr.push(libxlError(sites, sites.rebuildDone, 'domcreate_rebuild_done', domid, `cannot (re-)build domain: ${ERROR_FAIL}`));
}

/** libxl__build_post: the memory nodes the guest's balloon driver watches (KiB). */
async function writeMemoryNodes(port: HypercallPort, domid: number, config: DomainConfig): Promise<void> {
  const home = `/local/domain/${domid}`;
  await port.xsWrite(`${home}/name`, config.name);
  await port.xsWrite(`${home}/memory/static-max`, String(config.maxMemkb));
  await port.xsWrite(`${home}/memory/target`, String(config.targetMemkb - config.videoMemkb));
  await port.xsWrite(`${home}/memory/videoram`, String(config.videoMemkb));
}
