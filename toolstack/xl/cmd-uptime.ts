// `xl uptime [-s] [Domain...]` (xl_info.c main_uptime, print_uptime, print_dom0_uptime,
// print_domU_uptime, uptime_to_string, current_time_to_string; xl_cmdimpl.c in 4.3) over
// libxl_list_vm and libxl_vm_get_start_time, which reads xenstore /local/domain/N/vm and then
// <vm>/start_time (written by the builder as libxl__build_post does).
// "Now" is virtual time: the host booted at 0, so time(NULL) is the virtual seconds since then.

import { listDomains, domainInfo } from '../builder/domain-info.ts';
import { libxlError, SOURCE_SITES } from '../builder/sites.ts';
import { NS_PER_SEC } from '../../sim/port.ts';
import type { XlContext } from './context.ts';
import { findDomain } from './find-domain.ts';
import { xlGetopt } from './getopt.ts';

/** main_uptime's `uint32_t domains[100]`: more operands would overflow it in xl; refused here. */
export const UPTIME_MAX_DOMAINS = 100;

const SECS_PER_DAY = 86400;

/** printf's %2d. */
const d2 = (n: number): string => String(n).padStart(2, ' ');
/** printf's %02d. */
const z2 = (n: number): string => String(n).padStart(2, '0');

/** uptime_to_string: "[N day[s], ]HH:MM[:SS]" (hours as %2d). */
export function uptimeToString(uptime: number, shortMode: boolean): string {
  const day = Math.floor(uptime / SECS_PER_DAY);
  let rest = uptime - day * SECS_PER_DAY;
  const hour = Math.floor(rest / 3600);
  rest -= hour * 3600;
  const min = Math.floor(rest / 60);
  const sec = rest - min * 60;
  const clock = shortMode ? `${d2(hour)}:${z2(min)}` : `${d2(hour)}:${z2(min)}:${z2(sec)}`;
  if (day > 1) return `${day} days, ${clock}`;
  if (day === 1) return `${day} day, ${clock}`;
  return clock;
}

/**
 * current_time_to_string: localtime's "%H:%M:%S". DIVERGENCE: actors have no wall clock; the
 * time of day is that of virtual time taken as seconds since the epoch 0, in UTC.
 */
export function currentTimeToString(now: number): string {
  const t = now % SECS_PER_DAY;
  return `${z2(Math.floor(t / 3600))}:${z2(Math.floor((t % 3600) / 60))}:${z2(t % 60)}`;
}

/** strtoul(s, NULL, 10) as libxl_vm_get_start_time converts it, then its uint32_t return. */
export function strtoulU32(s: string): number {
  const m = /^[ \t\n\v\f\r]*([+-]?)(\d*)/.exec(s)!;
  const ULONG_MAX = 2n ** 64n - 1n;
  let v = m[2] === '' ? 0n : BigInt(m[2]);
  if (v > ULONG_MAX) v = ULONG_MAX;
  else if (m[1] === '-') v = (ULONG_MAX + 1n - v) & ULONG_MAX;
  return Number(v & 0xffffffffn);
}

/** libxl_domid_to_name: NULL for a domain that is gone, which glibc's printf shows as "(null)". */
async function domidToName(x: XlContext, domid: number): Promise<string> {
  return (await domainInfo(x.port, domid))?.name ?? '(null)';
}

/**
 * time(NULL) in virtual seconds. The port's clock is as of this actor's last reply (a fresh xl
 * has had none), so it first yields for 0 ns: the emulator's way to read the clock.
 */
async function timeNow(x: XlContext): Promise<number> {
  await x.port.sleep(0);
  return Math.floor(x.port.now() / NS_PER_SEC);
}

/** One line: the table row, or -s's " HH:MM:SS up …, name (id)". */
function uptimeLine(shortMode: boolean, now: number, uptime: number, name: string, domid: number): string {
  return shortMode
    ? ` ${currentTimeToString(now)} up ${uptimeToString(uptime, true)}, ${name} (${domid})\n`
    : `${name.padEnd(33)} ${String(domid).padStart(4)} ${uptimeToString(uptime, false)}\n`;
}

/**
 * print_dom0_uptime: /proc/uptime's whole seconds (strtoul of "%lu.%02lu").
 * DIVERGENCE: dom0's kernel is taken to have booted with the host, at virtual time 0.
 */
async function dom0Line(x: XlContext, shortMode: boolean, now: number): Promise<string> {
  const uptime = Math.floor(x.port.now() / NS_PER_SEC) % 2 ** 32; // uint32_t uptime
  return uptimeLine(shortMode, now, uptime, await domidToName(x, 0), 0);
}

/** libxl_vm_get_start_time: undefined after libxl's error line (no vm path or no start_time). */
async function vmStartTime(x: XlContext, domid: number): Promise<number> {
  const vm = await x.port.xsRead(`/local/domain/${domid}/vm`);
  // A missing vm node makes libxl read "(null)/start_time", which never exists.
  const start = vm === undefined ? undefined : await x.port.xsRead(`${vm}/start_time`);
  if (start !== undefined) return strtoulU32(start);
  const sites = SOURCE_SITES[x.version];
  const msg = sites.logHasDomain ? "Can't get start time of domain" : `Can't get start time of domain '${domid}'`;
  x.out.write('stderr', libxlError(sites, sites.vmGetStartTime, 'libxl_vm_get_start_time', domid, msg));
  return 0xffffffff; // (uint32_t)-1
}

/** print_domU_uptime: nothing more when the start time is (uint32_t)-1. */
async function domULine(x: XlContext, domid: number, shortMode: boolean, now: number): Promise<string> {
  const sTime = await vmStartTime(x, domid);
  if (sTime === 0xffffffff) return '';
  const uptime = (((now - sTime) % 2 ** 32) + 2 ** 32) % 2 ** 32; // uint32_t uptime = now - s_time
  return uptimeLine(shortMode, now, uptime, await domidToName(x, domid), domid);
}

/**
 * libxl_list_vm: the domains that are not stub domains (libxl_is_stubdom: a `target` node in
 * xenstore). 4.3 lists from domid 1; later versions list all and print_uptime skips domid 0.
 */
async function listVm(x: XlContext): Promise<number[]> {
  const out: number[] = [];
  for (const d of await listDomains(x.port, x.version)) {
    if (d.domid === 0) continue;
    if ((await x.port.xsRead(`/local/domain/${d.domid}/target`)) !== undefined) continue;
    out.push(d.domid);
  }
  return out;
}

export async function mainUptime(x: XlContext, argv: readonly string[]): Promise<number> {
  // 4.3's SWITCH_FOREACH_OPT asks for at least one domain; from 4.4 none means all.
  const p = xlGetopt(argv, 's', {}, 'uptime', x.version === '4.3' ? 1 : 0, x.out, x.version);
  if (typeof p === 'number') return p;
  const shortMode = p.opts.some((o) => o.opt === 's');
  if (p.operands.length > UPTIME_MAX_DOMAINS) {
    x.out.write('stderr', `xen-memsim: xl uptime takes at most ${UPTIME_MAX_DOMAINS} domains (xl's domains[100]; got ${p.operands.length})\n`);
    return 1;
  }
  const doms: number[] = [];
  for (const arg of p.operands) {
    const domid = await findDomain(x, arg); // find_domain exits on a bad name
    if (domid === undefined) return 1;
    doms.push(domid);
  }
  const now = await timeNow(x);
  if (!shortMode) x.out.write('stdout', `${'Name'.padEnd(33)} ${'ID'.padStart(4)} Uptime\n`);
  if (doms.length === 0) {
    x.out.write('stdout', await dom0Line(x, shortMode, now));
    for (const domid of await listVm(x)) x.out.write('stdout', await domULine(x, domid, shortMode, now));
  } else {
    for (const domid of doms) x.out.write('stdout', domid === 0 ? await dom0Line(x, shortMode, now) : await domULine(x, domid, shortMode, now));
  }
  return 0;
}
