// Public surface of the domain builder (libxl + libxenguest, memory side).
export { libxlDomainCreate, LIBXL_MAXMEM_CONSTANT, ERROR_FAIL, ERROR_INVAL, type BuildRequest, type BuildOutcome } from './build.ts';
export { listDomains, domainInfo, physinfo, isDying } from './domain-info.ts';
export { SOURCE_SITES, libxlError, type SourceSites, type Site } from './sites.ts';
export { VGA_HOLE_SIZE } from './meminit-hvm.ts';
export type { PopulateStats } from './xc.ts';
