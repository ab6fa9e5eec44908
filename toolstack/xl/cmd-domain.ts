// `xl pause`, `xl unpause`, `xl shutdown`, `xl domid` (xl_vmcontrol.c main_pause, main_unpause,
// main_shutdown_or_reboot; xl_info.c main_domid) over libxl_domain_pause / _unpause /
// _shutdown / libxl_name_to_domid.

import { listDomains, domainInfo } from '../builder/domain-info.ts';
import type { XlContext } from './context.ts';
import { findDomain } from './find-domain.ts';
import { xlGetopt } from './getopt.ts';

/** ERROR_NOPARAVIRT: the guest has no PV control interface (libxl_domain_shutdown). */
const ERROR_NOPARAVIRT = -8;

async function pauseOrUnpause(x: XlContext, argv: readonly string[], cmd: 'pause' | 'unpause'): Promise<number> {
  const p = xlGetopt(argv, '', {}, cmd, 1, x.out, x.version);
  if (typeof p === 'number') return p;
  const domid = await findDomain(x, p.operands[0]);
  if (domid === undefined) return 1;
  // xl ignores libxl's answer here (pause_domain/unpause_domain return void): exit 0 either way.
  await x.port.hypercall(cmd === 'pause' ? 'XEN_DOMCTL_pausedomain' : 'XEN_DOMCTL_unpausedomain', { domid });
  return 0;
}

export const mainPause = (x: XlContext, argv: readonly string[]): Promise<number> => pauseOrUnpause(x, argv, 'pause');
export const mainUnpause = (x: XlContext, argv: readonly string[]): Promise<number> => pauseOrUnpause(x, argv, 'unpause');

/**
 * `xl shutdown [-a] [-w] [-F] <Domain>`: libxl_domain_shutdown writes "poweroff" to the guest's
 * control/shutdown node when the guest has PV drivers (control/feature-poweroff, or a PV guest),
 * else answers ERROR_NOPARAVIRT. DIVERGENCE: the emulated kernels do not watch control/shutdown,
 * so the request is made (and visible in xenstore) but the guest keeps running; -w would wait
 * forever and is refused with a message; -F's ACPI power button is not modelled.
 */
export async function mainShutdown(x: XlContext, argv: readonly string[]): Promise<number> {
  const p = xlGetopt(argv, 'awF', { all: 'a', wait: 'w' }, 'shutdown', 0, x.out, x.version);
  if (typeof p === 'number') return p;
  const all = p.opts.some((o) => o.opt === 'a');
  if (p.operands[0] === undefined && !all) {
    x.out.write('stderr', 'You must specify -a or a domain id.\n\n');
    return 1;
  }
  if (p.opts.some((o) => o.opt === 'w')) {
    x.out.write('stderr', 'xen-memsim: shutdown -w is not modelled (the emulated guests do not act on control/shutdown)\n');
    return 1;
  }
  const targets = all ? (await listDomains(x.port, x.version)).map((d) => d.domid).filter((d) => d !== 0) : [await findDomain(x, p.operands[0])];
  for (const domid of targets) {
    if (domid === undefined) return 1;
    x.out.write('stderr', `Shutting down domain ${domid}\n`);
    const rc = await shutdownDomain(x, domid);
    if (rc === ERROR_NOPARAVIRT) {
      x.out.write('stderr', 'PV control interface not available: external graceful shutdown not possible.\n');
      x.out.write('stderr', 'Use "-F" to fallback to ACPI power event.\n');
    }
    if (rc !== 0) {
      x.out.write('stderr', `shutdown failed (rc=${rc})\n`);
      return 1;
    }
  }
  return 0;
}

/** libxl_domain_shutdown: PV guests (and HVM ones with PV drivers) get control/shutdown = poweroff. */
async function shutdownDomain(x: XlContext, domid: number): Promise<number> {
  const info = await domainInfo(x.port, domid);
  if (info === undefined) return -21; // ERROR_DOMAIN_NOTFOUND
  const base = `/local/domain/${domid}`;
  if (info.type !== 'pv' && (await x.port.xsRead(`${base}/control/feature-poweroff`)) !== '1') return ERROR_NOPARAVIRT;
  await x.port.xsWrite(`${base}/control/shutdown`, 'poweroff');
  return 0;
}

/** `xl domid <DomainName>`: its id, or xl's message and exit 1. */
export async function mainDomid(x: XlContext, argv: readonly string[]): Promise<number> {
  const p = xlGetopt(argv, '', {}, 'domid', 1, x.out, x.version);
  if (typeof p === 'number') return p;
  const name = p.operands[0];
  const d = (await listDomains(x.port, x.version)).find((info) => info.name === name);
  if (d === undefined) {
    x.out.write('stderr', `Can't get domid of domain name '${name}', maybe this domain does not exist.\n`);
    return 1;
  }
  x.out.write('stdout', `${d.domid}\n`);
  return 0;
}
