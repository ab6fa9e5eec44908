// `xl info [-n] [field]` (xl_info.c main_info): physinfo through the shared formatter.

import { physinfo } from '../builder/domain-info.ts';
import { defaultHostInfo, formatXlInfo, xlInfoLines, type PhysInfo } from '../xl-format.ts';
import type { XlContext } from './context.ts';
import { xlGetopt } from './getopt.ts';

export async function mainInfo(x: XlContext, argv: readonly string[]): Promise<number> {
  const p = xlGetopt(argv, 'nx', { numa: 'n', xsm: 'x' }, 'info', 0, x.out, x.version);
  if (typeof p === 'number') return p;
  const numa = p.opts.some((o) => o.opt === 'n');
  const pi = await physinfo(x.port);
  const host = { ...defaultHostInfo(x.version), ...(x.params.xenCommandline === undefined ? {} : { xenCommandline: x.params.xenCommandline }) };
  const info: PhysInfo = {
    totalPages: pi.total_pages,
    freePages: pi.free_pages,
    scrubPages: pi.scrub_pages,
    outstandingPages: pi.outstanding_pages,
    nrCpus: pi.nr_cpus,
    nrNodes: pi.nr_nodes,
  };
  if (!numa) {
    x.out.write('stdout', formatXlInfo(info, x.version, p.operands[0], host));
    return 0;
  }
  // print_info(numa): the topology and NUMA tables come after the physinfo lines (the field is ignored).
  const lines = xlInfoLines(info, x.version, host);
  const after = lines.findIndex((l) => l.startsWith('free_cpus')) + 1;
  const r = await x.port.hypercall('XEN_SYSCTL_numainfo', {});
  const nodes = (r.nodes ?? []) as Array<{ memsize: number; memfree: number }>;
  lines.splice(after, 0, ...topologyLines(pi.nr_cpus ?? 8, nodes.length), ...numaLines(nodes));
  x.out.write('stdout', lines.join(''));
  return 0;
}

/** Cores per socket and threads per core `xl info` prints (xl-format.ts defaults). */
const CORES_PER_SOCKET = 4;
const THREADS_PER_CORE = 2;

/**
 * output_topologyinfo: each CPU's core, socket and node (CPUs spread over the nodes in order),
 * then the PCI table, empty on the emulated host.
 */
function topologyLines(nrCpus: number, nrNodes: number): string[] {
  const out = ['cpu_topology           :\n', 'cpu:    core    socket     node\n'];
  for (let i = 0; i < nrCpus; i++) {
    const core = Math.floor(i / THREADS_PER_CORE) % CORES_PER_SOCKET;
    const socket = Math.floor(i / (THREADS_PER_CORE * CORES_PER_SOCKET));
    const node = Math.floor((i * Math.max(1, nrNodes)) / nrCpus);
    out.push(`${String(i).padStart(3)}:    ${String(core).padStart(4)}     ${String(socket).padStart(4)}     ${String(node).padStart(4)}\n`);
  }
  return [...out, 'device topology        :\n', 'device           node\n', 'No device topology data available\n'];
}

/**
 * output_numainfo: each node's size and free memory (MiB) and its distances — Xen's defaults
 * without an SRAT distance table: 10 to itself, 20 to the others.
 */
function numaLines(nodes: ReadonlyArray<{ memsize: number; memfree: number }>): string[] {
  const out = ['numa_info              :\n', 'node:    memsize    memfree    distances\n'];
  nodes.forEach((n, i) => {
    const dists = nodes.map((_, j) => (i === j ? 10 : 20)).join(',');
    out.push(`${String(i).padStart(4)}:    ${String(Math.floor(n.memsize / 256)).padStart(6)}     ${String(Math.floor(n.memfree / 256)).padStart(6)}      ${dists}\n`);
  });
  return out;
}
