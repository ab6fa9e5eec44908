// The host flags (--memory/--host-mib, --nodes, --xen, --inject) held to the model's limits,
// worded with the flag names. The limits are the hypervisor's own (docs/limits.md): the CLI
// asks the same question `new Hypervisor()` asserts on, before anything is built.

import type { XenVersion } from '../../hv/index.ts';
import type { Range } from './values.ts';

export interface HostFlags {
  memoryMiB?: number;
  nodes?: number;
  xen?: XenVersion;
  /** The flag that gave memoryMiB, for messages (--memory or --host-mib). */
  memoryFlag?: string;
}

/** Interim copy of the hypervisor's bounds (hv/hypervisor.ts, hv/page-allocator.ts asserts). */
export const HOST_MEMORY_MIB: Range = { min: 4, max: 2 ** 24 - 1, unit: 'MiB' };
export const HOST_NODES: Range = { min: 1, max: 64 };

/** @returns one message per flag the model cannot take (empty when all fit) */
export function hostProblems(h: HostFlags): string[] {
  const out: string[] = [];
  if (h.memoryMiB !== undefined && (h.memoryMiB < HOST_MEMORY_MIB.min || h.memoryMiB > HOST_MEMORY_MIB.max)) {
    out.push(`${h.memoryFlag ?? '--memory'} must be in ${HOST_MEMORY_MIB.min}..${HOST_MEMORY_MIB.max} MiB (got ${h.memoryMiB})`);
  }
  if (h.nodes !== undefined && (h.nodes < HOST_NODES.min || h.nodes > HOST_NODES.max)) {
    out.push(`--nodes must be in ${HOST_NODES.min}..${HOST_NODES.max} (got ${h.nodes})`);
  }
  return out;
}
