// MEMF_* (internal allocator flags, xen/include/xen/mm.h) and XENMEMF_* (the public mem_flags
// of struct xen_memory_reservation, xen/include/public/memory.h), with the decoding between them.

/** Internal allocation flags: one bit each, plus the node and address-width fields. */
export const MEMF = {
  /** Pages are not counted in tot_pages and skip the max_pages check (PGC_extra in master). */
  no_refcount: 1 << 0,
  /** Populate-on-demand entry only (HVM): no memory allocated. */
  populate_on_demand: 1 << 1,
  /** tmem's own allocations (ephemeral: anonymous; persistent: charged to the client). */
  tmem: 1 << 2,
  /** Never leave the node given in the node field. */
  exact_node: 1 << 4,
  /** Allocate without an owner: the pages are not assigned to the domain passed for NUMA. */
  no_owner: 1 << 5,
  /** Don't fall back to the DMA zones. */
  no_dma: 1 << 3,
} as const;

/** Bits 8..15 of a MEMF word: node + 1 (0 = no node requested), as MEMF_node(n). */
export const MEMF_NODE_SHIFT = 8;
/** Bits 24..31: address width limit, as MEMF_bits(n) (0 = none). */
export const MEMF_BITS_SHIFT = 24;

export function memfNode(node: number): number {
  return ((node + 1) & 0xff) << MEMF_NODE_SHIFT;
}
/** The requested node, or -1 when none. */
export function memfGetNode(memflags: number): number {
  return ((memflags >>> MEMF_NODE_SHIFT) & 0xff) - 1;
}
export function memfBits(bits: number): number {
  return (bits & 0xff) << MEMF_BITS_SHIFT;
}
export function memfGetBits(memflags: number): number {
  return (memflags >>> MEMF_BITS_SHIFT) & 0xff;
}

/** Public XENMEMF_* bits of xen_memory_reservation.mem_flags. */
export const XENMEMF = {
  /** Bits 0..7: maximum physical address width of the allocation. */
  address_bits_mask: 0xff,
  /** Bits 8..15: node + 1. */
  node_shift: 8,
  populate_on_demand: 1 << 16,
  exact_node_request: 1 << 17,
  vnode: 1 << 18,
} as const;

/** Bits of mem_flags Xen defines; anything else is simply ignored by Xen (not rejected). */
export const XENMEMF_KNOWN_MASK = 0x7ffff;

export function xenmemfNode(node: number): number {
  return ((node + 1) & 0xff) << XENMEMF.node_shift;
}
