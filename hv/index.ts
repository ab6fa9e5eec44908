// Public surface of the hypervisor core. Other layers import from here, never from workers/.
export { Hypervisor, Call, PAGES_PER_MIB } from './hypervisor.ts';
export { validateHypervisorOptions, HypervisorOptionsError, HV_LIMITS, type HypervisorOptions } from './options.ts';
export type { Sections } from './hypercall-context.ts';
export { checkInvariants, InvariantViolation } from './invariants.ts';
export * from './ops.ts';
export * from './errno.ts';
export { XEN_VERSIONS, XEN_RELEASES, HV_BUGS, NATIVE_BUGS, atLeast, features, isXenVersion, isHvBug, xenBranch, type XenBranch, type XenVersion, type HvBug, type Features } from './version.ts';
export type { HvEvent } from './events.ts';
export { DEFAULT_COSTS, type CostModel } from './cost-model.ts';
export { XENMEMF, xenmemfNode } from './flags.ts';
export { physinfo, domainInfo } from './domctl.ts';
