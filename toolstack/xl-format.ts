// Pure formatters for what `xl info`, `xl list` and `xl claims` print (tools/xl/xl_info.c:
// maybe_printf, output_nodeinfo, output_physinfo, output_xeninfo, print_info, list_domains,
// main_claims). Host facts the emulator does not model (uname, CPU model, compiler) are fixed,
// plausible values; memory fields are computed exactly as xl does, in uint64 arithmetic.
// Leaves out: `xl info -n` topology tables, `xl list -v/-Z/-c/-n/-l` columns.

import { xenBranch, type XenVersion } from '../hv/version.ts';

/** libxl_physinfo fields `xl info` prints (Xen's names; page counts of 4 KiB pages). */
export interface PhysInfo {
  readonly totalPages: number | bigint;
  readonly freePages: number | bigint;
  /** Always 0 in current Xen; read by libxl but not printed by `xl info`. */
  readonly scrubPages?: number | bigint;
  readonly outstandingPages: number | bigint;
  readonly sharingFreedPages?: number | bigint;
  readonly sharingUsedFrames?: number | bigint;
  readonly nrCpus?: number;
  readonly maxCpuId?: number;
  readonly nrNodes?: number;
  readonly coresPerSocket?: number;
  readonly threadsPerCore?: number;
  readonly cpuKhz?: number;
  /** CPUs in no cpupool (normally 0: every CPU is in Pool-0). */
  readonly freeCpus?: number;
}

/** uname and libxl_version_info values; all have fixed emulator defaults. */
export interface HostInfo {
  readonly host: string;
  readonly release: string;
  readonly version: string;
  readonly machine: string;
  readonly hwCaps: readonly number[];
  readonly virtCaps: readonly string[];
  readonly xenExtra: string;
  readonly xenCaps: string;
  readonly xenScheduler: string;
  readonly xenChangeset: string;
  readonly xenCommandline: string;
  readonly ccCompiler: string;
  readonly ccCompileBy: string;
  readonly ccCompileDomain: string;
  readonly ccCompileDate: string;
  readonly buildId: string;
}

/** The page size every modelled x86 Xen reports (`xen_pagesize`). */
export const XEN_PAGESIZE = 4096;
/** xl's divisor `(1 << 20) / pagesize`: pages per MiB. */
const PAGES_PER_MIB = BigInt((1 << 20) / XEN_PAGESIZE);

/** Plausible fixed host values for `xl info`, per emulated version. */
export function defaultHostInfo(version: XenVersion): HostInfo {
  const old = version === '4.3';
  return {
    host: 'xen-memsim',
    release: '6.1.0-xen-memsim',
    version: '#1 SMP PREEMPT_DYNAMIC xen-memsim',
    machine: 'x86_64',
    hwCaps: [0x178bfbff, 0xf6d8320b, 0x2c100800, 0x000065f3, 0x0000000f, 0x219c07a9, 0x00400004, 0x00000500],
    // virt_caps grew over the releases; 4.13+ report pv/hap/shadow, 4.21+ also vmtrace/gnttab.
    virtCaps: old
      ? ['hvm', 'hvm_directio']
      : version === '4.13'
        ? ['pv', 'hvm', 'hvm_directio', 'pv_directio', 'hap', 'shadow']
        : ['pv', 'hvm', 'hvm_directio', 'pv_directio', 'hap', 'shadow', 'iommu_hap_pt_share', 'vmtrace', 'gnttab-v1', 'gnttab-v2'],
    // xen_extra of the release: '.2' for 4.21.2; a series with posted patches on top says so.
    xenExtra: version === '4.21.2' ? '.2' : version === '4.22+claim-sets' ? '.0-claim-sets' : '.0',
    xenCaps: old
      ? 'xen-3.0-x86_64 xen-3.0-x86_32p hvm-3.0-x86_32 hvm-3.0-x86_32p hvm-3.0-x86_64'
      : 'xen-3.0-x86_64 hvm-3.0-x86_32 hvm-3.0-x86_32p hvm-3.0-x86_64',
    // credit2 is the default scheduler since Xen 4.12.
    xenScheduler: old ? 'credit' : 'credit2',
    xenChangeset: 'xen-memsim',
    xenCommandline: 'placeholder console=com1',
    ccCompiler: 'gcc (xen-memsim) 12.2.0',
    ccCompileBy: 'xen-memsim',
    ccCompileDomain: 'xen-memsim.invalid',
    ccCompileDate: 'Thu Jan  1 00:00:00 UTC 2026',
    buildId: '0123456789abcdef0123456789abcdef01234567',
  };
}

/** `xl info` label: left-justified to 23 columns, then ": ". */
const label = (name: string) => `${name.padEnd(23)}: `;
const u64 = (v: number | bigint) => BigInt.asUintN(64, BigInt(v));

/** The lines print_info() writes, each with its newline, in xl's order. */
export function xlInfoLines(physinfo: PhysInfo, version: XenVersion, host: HostInfo = defaultHostInfo(version)): string[] {
  const [major, minor] = xenBranch(version).split('.');
  const khz = physinfo.cpuKhz ?? 2394454;
  const nrCpus = physinfo.nrCpus ?? 8;
  const lines = [
    `${label('host')}${host.host}`,
    `${label('release')}${host.release}`,
    `${label('version')}${host.version}`,
    `${label('machine')}${host.machine}`,
    `${label('nr_cpus')}${nrCpus}`,
    `${label('max_cpu_id')}${physinfo.maxCpuId ?? nrCpus - 1}`,
    `${label('nr_nodes')}${physinfo.nrNodes ?? 1}`,
    `${label('cores_per_socket')}${physinfo.coresPerSocket ?? 4}`,
    `${label('threads_per_core')}${physinfo.threadsPerCore ?? 2}`,
    `${label('cpu_mhz')}${Math.trunc(khz / 1000)}.${String(khz % 1000).padStart(3, '0')}`,
    `${label('hw_caps')}${host.hwCaps.map((w) => (w >>> 0).toString(16).padStart(8, '0')).join(':')}`,
    // virt_caps is "label:" plus " word" per capability: no space when there are none.
    `${'virt_caps'.padEnd(23)}:${host.virtCaps.map((c) => ` ${c}`).join('')}`,
    `${label('total_memory')}${u64(physinfo.totalPages) / PAGES_PER_MIB}`,
    // Subtract before dividing, in uint64: more claims than free pages wraps (bug B8).
    `${label('free_memory')}${u64(u64(physinfo.freePages) - u64(physinfo.outstandingPages)) / PAGES_PER_MIB}`,
    `${label('sharing_freed_memory')}${u64(physinfo.sharingFreedPages ?? 0) / PAGES_PER_MIB}`,
    `${label('sharing_used_memory')}${u64(physinfo.sharingUsedFrames ?? 0) / PAGES_PER_MIB}`,
    `${label('outstanding_claims')}${u64(physinfo.outstandingPages) / PAGES_PER_MIB}`,
    `${label('free_cpus')}${physinfo.freeCpus ?? 0}`,
    `${label('xen_major')}${major}`,
    `${label('xen_minor')}${minor}`,
    `${label('xen_extra')}${host.xenExtra}`,
    `${label('xen_version')}${major}.${minor}${host.xenExtra}`,
    `${label('xen_caps')}${host.xenCaps}`,
    `${label('xen_scheduler')}${host.xenScheduler}`,
    `${label('xen_pagesize')}${XEN_PAGESIZE}`,
    `${label('platform_params')}virt_start=0xffff800000000000`,
    `${label('xen_changeset')}${host.xenChangeset}`,
    `${label('xen_commandline')}${host.xenCommandline}`,
    `${label('cc_compiler')}${host.ccCompiler}`,
    `${label('cc_compile_by')}${host.ccCompileBy}`,
    `${label('cc_compile_domain')}${host.ccCompileDomain}`,
    `${label('cc_compile_date')}${host.ccCompileDate}`,
  ];
  // build_id came with the 4.7 live-patching work; 4.3's xl has no such line.
  if (version !== '4.3') lines.push(`${label('build_id')}${host.buildId}`);
  lines.push(`${label('xend_config_format')}4`);
  return lines.map((line) => `${line}\n`);
}

/**
 * `xl info [field]` stdout. With a field, maybe_printf prints only the text after the first
 * ": " of each line that **starts with** the field (so `free` matches free_memory and
 * free_cpus); an unknown field prints nothing.
 */
export function formatXlInfo(physinfo: PhysInfo, version: XenVersion, field?: string, host?: HostInfo): string {
  const lines = xlInfoLines(physinfo, version, host);
  if (field === undefined) return lines.join('');
  return lines
    .filter((line) => line.startsWith(field))
    .map((line) => {
      const colon = line.indexOf(':');
      return colon >= 0 && line[colon + 1] === ' ' ? line.slice(colon + 2) : '';
    })
    .join('');
}

/** libxl_dominfo fields `xl list` / `xl claims` print (Xen's names, pages of 4 KiB). */
export interface DomainRow {
  readonly domid: number;
  readonly name: string;
  /** Populated pages (current_memkb = tot_pages × 4). */
  readonly totPages: number;
  /** Still-claimed pages (outstanding_memkb = outstanding_pages × 4). */
  readonly outstandingPages: number;
  readonly vcpuOnline: number;
  readonly running?: boolean;
  readonly blocked?: boolean;
  readonly paused?: boolean;
  readonly shutdown?: boolean;
  /** SHUTDOWN_* code: 0 poweroff, 1 reboot, 2 suspend, 3 crash, 4 watchdog, 5 soft_reset. */
  readonly shutdownReason?: number;
  readonly dying?: boolean;
  readonly cpuTimeNs: number | bigint;
}

const LIST_HEADER = 'Name                                        ID   Mem VCPUs\tState\tTime(s)';

/** Exact C `%.<digits>f` of a double: the binary value rounded half-to-even, as glibc does. */
export function formatFixed(x: number, digits: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  const negative = bits >> 63n === 1n;
  const biased = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & ((1n << 52n) - 1n);
  const mantissa = biased === 0 ? fraction : fraction | (1n << 52n);
  const exponent = (biased === 0 ? 1 : biased) - 1075;
  let num = mantissa * 10n ** BigInt(digits);
  let den = 1n;
  if (exponent >= 0) num <<= BigInt(exponent);
  else den <<= BigInt(-exponent);
  let q = num / den;
  const twiceRemainder = 2n * (num % den);
  if (twiceRemainder > den || (twiceRemainder === den && (q & 1n) === 1n)) q += 1n;
  const text = q.toString().padStart(digits + 1, '0');
  const whole = text.slice(0, text.length - digits);
  const sign = negative ? '-' : '';
  return digits > 0 ? `${sign}${whole}.${text.slice(text.length - digits)}` : `${sign}${whole}`;
}

/** The six state letters: r b p s, shutdown reason, d (`-` for each flag not set). */
function stateLetters(d: DomainRow, version: XenVersion): string {
  // soft_reset ('S') exists since 4.6; 4.3's table is "-rscw".
  const reasons = version === '4.3' ? '-rscw' : '-rscwS';
  const reason = d.shutdown ? (d.shutdownReason ?? 0) : 0;
  const reasonLetter = reason >= 0 && reason < reasons.length ? reasons[reason] : '?';
  return (
    (d.running ? 'r' : '-') +
    (d.blocked ? 'b' : '-') +
    (d.paused ? 'p' : '-') +
    (d.shutdown ? 's' : '-') +
    reasonLetter +
    (d.dying ? 'd' : '-')
  );
}

/** One list_domains row (without newline): `%-40s %5d %5lu %5d     %c…%c  %8.1f` [+ ` %5lu`]. */
function domainRow(d: DomainRow, version: XenVersion, claim: boolean): string {
  const currentMemkb = BigInt(d.totPages) * 4n;
  const outstandingMemkb = BigInt(d.outstandingPages) * 4n;
  const memMib = (currentMemkb + outstandingMemkb) / 1024n;
  // xl divides `(float)cpu_time` by 1e9: the nanoseconds are rounded to float precision first.
  const seconds = Math.fround(Number(d.cpuTimeNs)) / 1e9;
  let row =
    `${d.name.padEnd(40)} ${String(d.domid).padStart(5)} ${String(memMib).padStart(5)} ` +
    `${String(d.vcpuOnline).padStart(5)}     ${stateLetters(d, version)}  ${formatFixed(seconds, 1).padStart(8)}`;
  if (claim) row += ` ${String(outstandingMemkb / 1024n).padStart(5)}`;
  return row;
}

/** `xl list` stdout: header and one row per domain; Mem includes still-claimed memory. */
export function formatXlList(domains: readonly DomainRow[], version: XenVersion): string {
  return [LIST_HEADER, ...domains.map((d) => domainRow(d, version, false))].map((l) => `${l}\n`).join('');
}

/** `xl claims` stdout: `xl list`'s table plus the `Claimed` column (MiB still claimed). */
export function formatXlClaims(domains: readonly DomainRow[], version: XenVersion): string {
  return [`${LIST_HEADER}  Claimed`, ...domains.map((d) => domainRow(d, version, true))].map((l) => `${l}\n`).join('');
}

/** `xl claims` stderr before the table: a notice when xl.conf's claim_mode is 0. */
export function xlClaimsStderr(claimMode: number): string[] {
  return claimMode === 0 ? ['claim_mode not enabled (see man xl.conf).\n'] : [];
}

/** `xl list <domid>` for a numeric id with no domain (main_list). */
export function domainDoesNotExistMessage(arg: string): string {
  return `Error: Domain '${arg}' does not exist.\n`;
}

/** find_domain's message for a name that matches no domain (ERROR_INVAL = -6). */
export function invalidDomainIdentifierMessage(arg: string): string {
  return `${arg} is an invalid domain identifier (rc=-6)\n`;
}
