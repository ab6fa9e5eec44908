// xl's autoballoon path: freemem() (tools/xl/xl_vmcontrol.c) over libxl's memory calls
// (libxl_mem.c: libxl_domain_need_memory, libxl_get_free_memory, libxl_set_memory_target,
// libxl_wait_for_memory_target, libxl_wait_for_free_memory). This is the check-then-act window
// claims exist to close: free memory is read claims-blind, then acted on seconds later.
// Leaves out: iommu/stubdom overheads (no passthrough, no stub domains), 4.3's dom0
// `freemem-slack` (DIVERGENCE: not subtracted; it only made 4.3 more conservative).

import type { XenVersion } from '../hv/version.ts';
import { NS_PER_SEC, type HypercallPort } from '../sim/port.ts';
import { domainInfo, physinfo } from './builder/domain-info.ts';
import { libxlError, SOURCE_SITES } from './builder/sites.ts';
import { ERROR_FAIL, ERROR_INVAL, LIBXL_MAXMEM_CONSTANT } from './builder/build.ts';
import type { DomainConfig } from './domain-config.ts';

/** LIBXL_MIN_DOM0_MEM: autoballoon never takes dom0 below 128 MiB (KiB). */
export const LIBXL_MIN_DOM0_MEM = 128 * 1024;
/** LIBXL_PV_EXTRA_MEMORY / LIBXL_HVM_EXTRA_MEMORY (KiB). */
export const LIBXL_PV_EXTRA_MEMORY = 1024;
export const LIBXL_HVM_EXTRA_MEMORY = 2048;
export const ERROR_NOMEM = -5;
/** freemem()'s budget of wall seconds spent waiting for dom0 (4.6+). */
export const FREEMEM_CREDIT_SECS = 30;

/** Where libxl's error lines go (xl's stderr). */
export interface LibxlCtx {
  readonly port: HypercallPort;
  readonly version: XenVersion;
  readonly stderr: string[];
}

/** libxl_get_required_shadow_memory: 1 MiB per vCPU plus 8 KiB per MiB of maxmem (KiB). */
export function requiredShadowMemkb(maxMemkb: number, vcpus: number): number {
  return 4 * (256 * vcpus + 2 * Math.floor(maxMemkb / 1024));
}

/**
 * libxl_domain_need_memory: target + shadow + extra (PV 1 MiB; HVM/PVH 2 MiB), rounded up to
 * 2 MiB. Shadow memory defaults to 0 for PV and to the required amount for HVM/PVH. (KiB)
 */
export function domainNeedMemory(cfg: DomainConfig): number {
  let need = cfg.targetMemkb;
  if (cfg.type === 'pv') need += LIBXL_PV_EXTRA_MEMORY;
  else need += requiredShadowMemkb(cfg.maxMemkb, cfg.maxVcpus) + LIBXL_HVM_EXTRA_MEMORY;
  const rem = need % 2048;
  return rem === 0 ? need : need + 2048 - rem;
}

/** libxl_get_free_memory: (free_pages + scrub_pages) × 4 KiB — outstanding claims ignored. */
export async function getFreeMemory(port: HypercallPort): Promise<number> {
  const p = await physinfo(port);
  return (p.free_pages + p.scrub_pages) * 4;
}

/**
 * libxl__fill_dom0_memory_info: dom0's memory nodes are created from its current size the
 * first time libxl needs them. @returns [target, static-max] in KiB
 */
async function fillDom0MemoryInfo(port: HypercallPort): Promise<[number, number]> {
  const target = await port.xsRead('/local/domain/0/memory/target');
  const max = await port.xsRead('/local/domain/0/memory/static-max');
  if (target !== undefined && max !== undefined) return [Number(target), Number(max)];
  const current = ((await domainInfo(port, 0))?.tot_pages ?? 0) * 4;
  await port.xsWrite('/local/domain/0/memory/target', String(current));
  await port.xsWrite('/local/domain/0/memory/static-max', String(current));
  return [current, current];
}

/**
 * libxl_set_memory_target: writes memory/target (and with `enforce` max_mem). Relative targets
 * are added to the current target; dom0 may not go below LIBXL_MIN_DOM0_MEM.
 * @returns 0, ERROR_INVAL or ERROR_FAIL (after logging)
 */
export async function setMemoryTarget(ctx: LibxlCtx, domid: number, targetMemkb: number, relative: boolean, enforce: boolean): Promise<number> {
  const { port } = ctx;
  const sites = SOURCE_SITES[ctx.version];
  const err = (msg: string) => ctx.stderr.push(libxlError(sites, sites.setMemoryTarget, 'libxl_set_memory_target', domid, msg));
  const home = `/local/domain/${domid}/memory`;
  if (domid === 0) await fillDom0MemoryInfo(port);
  const targetText = await port.xsRead(`${home}/target`);
  const maxText = await port.xsRead(`${home}/static-max`);
  if (targetText === undefined || maxText === undefined) {
    err(`Cannot get target memory info from ${home}/${targetText === undefined ? 'target' : 'static-max'}`);
    return ERROR_FAIL;
  }
  const current = Number(targetText);
  const videoram = Number((await port.xsRead(`${home}/videoram`)) ?? '0');
  let newTarget: number;
  if (relative) newTarget = targetMemkb < 0 && -targetMemkb > current ? 0 : current + targetMemkb;
  else newTarget = targetMemkb - videoram;
  if (newTarget > Number(maxText)) {
    err('memory_dynamic_max must be less than or equal to memory_static_max');
    return ERROR_INVAL;
  }
  if (domid === 0 && newTarget < LIBXL_MIN_DOM0_MEM) {
    err(`New target ${newTarget} for dom0 is below the minimum threshold`);
    return ERROR_INVAL;
  }
  if (enforce) await port.hypercall('XEN_DOMCTL_max_mem', { domid, max_memkb: newTarget + videoram + LIBXL_MAXMEM_CONSTANT });
  await port.xsWrite(`${home}/target`, String(newTarget));
  return 0;
}

/** A domain's populated plus still-claimed memory (libxl: current_memkb + outstanding_memkb). */
async function currentMemkb(port: HypercallPort, domid: number): Promise<number | undefined> {
  const d = await domainInfo(port, domid);
  return d === undefined ? undefined : (d.tot_pages + d.outstanding_pages) * 4;
}

/**
 * libxl_wait_for_memory_target (4.6+): every 2 s compare the domain's memory with the last
 * sample; an increase fails, no change costs 2 s of the budget, a decrease is free; succeeds
 * once at or below memory/target. 4.3: 1 s polls, plain countdown. @returns 0 or ERROR_FAIL
 */
export async function waitForMemoryTarget(ctx: LibxlCtx, domid: number, waitSecs: number): Promise<number> {
  const { port } = ctx;
  const target = Number((await port.xsRead(`/local/domain/${domid}/memory/target`)) ?? 'NaN');
  if (Number.isNaN(target)) return ERROR_FAIL;
  const legacy = ctx.version === '4.3';
  let prev = Infinity;
  let current: number;
  do {
    await port.sleep((legacy ? 1 : 2) * NS_PER_SEC);
    const now = await currentMemkb(port, domid);
    if (now === undefined) return ERROR_FAIL;
    current = now;
    if (legacy) waitSecs -= 1;
    else if (current > prev) {
      const sites = SOURCE_SITES[ctx.version];
      ctx.stderr.push(libxlError(sites, sites.waitForMemoryTarget, 'libxl_wait_for_memory_target', domid,
        'Memory usage is increasing during libxl_wait_for_memory_target'));
      return ERROR_FAIL;
    } else if (current === prev) waitSecs -= 2;
    prev = current;
  } while (waitSecs > 0 && current > target);
  return current <= target ? 0 : ERROR_FAIL;
}

/** libxl_wait_for_free_memory (4.3's freemem): 1 s polls until free_pages × 4 ≥ memory_kb. */
export async function waitForFreeMemory(port: HypercallPort, memoryKb: number, waitSecs: number): Promise<number> {
  do {
    if ((await physinfo(port)).free_pages * 4 >= memoryKb) return 0;
    waitSecs--;
    await port.sleep(NS_PER_SEC);
  } while (waitSecs > 0);
  return ERROR_NOMEM;
}

/**
 * xl's freemem(): with autoballoon on, make room for the domain by lowering dom0's target by
 * the shortfall and waiting for dom0's balloon driver. 4.6+: a 30 s credit of (virtual) time
 * spent waiting; 4.3: three rounds of set-target, wait-for-free, wait-for-target.
 * @returns true when free memory (claims ignored!) covers the need
 */
export async function freemem(ctx: LibxlCtx, cfg: DomainConfig): Promise<boolean> {
  const need = domainNeedMemory(cfg);
  if (ctx.version === '4.3') return freemem43(ctx, need);
  let credit = FREEMEM_CREDIT_SECS;
  do {
    const free = await getFreeMemory(ctx.port);
    if (free >= need) return true;
    if ((await setMemoryTarget(ctx, 0, free - need, true, false)) < 0) return false;
    const start = ctx.port.now();
    if ((await waitForMemoryTarget(ctx, 0, 10)) < 0) return false;
    // time(NULL) differences: whole seconds.
    credit -= Math.floor(ctx.port.now() / NS_PER_SEC) - Math.floor(start / NS_PER_SEC);
  } while (credit > 0);
  return false;
}

async function freemem43(ctx: LibxlCtx, need: number): Promise<boolean> {
  for (let retries = 3; retries > 0; retries--) {
    const free = await getFreeMemory(ctx.port);
    if (free >= need) return true;
    if ((await setMemoryTarget(ctx, 0, free - need, true, false)) < 0) return false;
    const rc = await waitForFreeMemory(ctx.port, need, 10);
    if (rc === 0) return true;
    if ((await waitForMemoryTarget(ctx, 0, 1)) < 0) return false;
  }
  return false;
}
