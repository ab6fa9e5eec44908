// copy_from_guest, for arguments that arrive as JavaScript values (from tests, fuzzers or a
// mailbox slot). A C struct cannot hold a negative, fractional, NaN or oversized number; where a
// JS caller passes one, the copy "faults": callers answer as Xen answers a failed copy.
// DIVERGENCE: Xen would read such bit patterns as some other unsigned value; we refuse them.

const U32_MAX = 0xffffffff;

export function isU16(x: unknown): x is number {
  return typeof x === 'number' && Number.isInteger(x) && x >= 0 && x <= 0xffff;
}
export function isU32(x: unknown): x is number {
  return typeof x === 'number' && Number.isInteger(x) && x >= 0 && x <= U32_MAX;
}
/** A 64-bit unsigned value that a double represents exactly. */
export function isU64(x: unknown): x is number {
  return typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
}
export function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** struct xen_memory_reservation after a successful copy. `list` null is the NULL handle. */
export interface Reservation {
  domid: number;
  nrExtents: number;
  extentOrder: number;
  memFlags: number;
  list: readonly unknown[] | null;
}

/** Copies a reservation in; undefined when the copy faults. */
export function copyReservation(args: unknown): Reservation | undefined {
  if (!isRecord(args)) return undefined;
  const { domid, nr_extents, extent_order = 0, mem_flags = 0, extent_start = null } = args;
  if (!isU16(domid) || !isU64(nr_extents) || !isU32(extent_order) || !isU32(mem_flags)) return undefined;
  if (extent_start !== null && extent_start !== undefined && !Array.isArray(extent_start)) return undefined;
  return {
    domid,
    nrExtents: nr_extents,
    extentOrder: extent_order,
    memFlags: mem_flags,
    list: Array.isArray(extent_start) ? extent_start : null,
  };
}

/** Continuation indexes a 64-bit cmd can carry: cmd >> MEMOP_EXTENT_SHIFT (6) is below 2^58. */
const START_EXTENT_LIMIT = 2 ** (64 - 6);

/** cmd >> MEMOP_EXTENT_SHIFT; undefined when not a representable index. */
export function startExtentOf(args: unknown): number | undefined {
  const s = isRecord(args) ? (args.start_extent ?? 0) : 0;
  return isU64(s) && s < START_EXTENT_LIMIT ? s : undefined;
}
