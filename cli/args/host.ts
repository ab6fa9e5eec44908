// The host flags (--memory/--host-mib, --nodes, --xen, --inject) held to the model's limits.
// The limits are the hypervisor's own (hv/options.ts HV_LIMITS, docs/limits.md): the flags'
// parsers take their ranges from there, and hostProblems() asks validateHypervisorOptions — the
// question `new Hypervisor` would assert on — about the whole host before anything is built,
// and words its answers with the flags' names.

import { HV_LIMITS, validateHypervisorOptions, type HypervisorOptions } from '../../hv/index.ts';
import type { Range } from './values.ts';

export const HOST_MEMORY_MIB: Range = { ...HV_LIMITS.memoryMiB, unit: 'MiB' };
export const HOST_NODES: Range = HV_LIMITS.nodes;

/** Which flag set each HypervisorOptions field (for messages). */
export type HostFlagNames = Partial<Record<'memoryMiB' | 'nodes' | 'xen' | 'inject', string>>;

const DEFAULT_NAMES: Required<HostFlagNames> = { memoryMiB: '--memory', nodes: '--nodes', xen: '--xen', inject: '--inject' };

/**
 * @param host what the flags describe (memoryMiB absent: the hypervisor's smallest host)
 * @returns one message per flag the model cannot take, named as the user spelled it; [] when all fit
 */
export function hostProblems(host: Partial<HypervisorOptions>, names: HostFlagNames = {}): string[] {
  const flag = { ...DEFAULT_NAMES, ...names };
  return validateHypervisorOptions({ memoryMiB: HV_LIMITS.memoryMiB.min, ...host })
    .map((m) => m.replace(/^(memoryMiB|nodes|xen|inject)\b/, (field) => flag[field as keyof typeof flag]));
}
