// ≈ xen/common/tmem.c (Xen 4.3 only; the hypercall is gone from 4.13). Placeholder until the
// tmem issue lands: the seam the allocator consults, with no pools yet.

import { ENOSYS } from './errno.ts';
import type { Hypervisor, Sections } from './hypervisor.ts';
import type { TmemHooks } from './page-allocator.ts';

export const TMEM_OPS = [
  'TMEM_CONTROL',
  'TMEM_NEW_POOL',
  'TMEM_DESTROY_POOL',
  'TMEM_PUT_PAGE',
  'TMEM_GET_PAGE',
  'TMEM_FLUSH_PAGE',
  'TMEM_FLUSH_OBJECT',
] as const;
export type TmemOp = (typeof TMEM_OPS)[number];

export function isTmemOp(op: string): op is TmemOp {
  return (TMEM_OPS as readonly string[]).includes(op);
}

export class Tmem implements TmemHooks {
  constructor(readonly hv: Hypervisor) {}
  freeablePages(): number {
    return 0;
  }
  relinquishPages(): number {
    return -1;
  }
  /** Frames owned by `domid` that tmem holds (persistent pages charged to the client). */
  clientPages(_domid: number): number {
    return 0;
  }
  /** tmem_destroy(d->tmem) from domain_kill. */
  destroyClient(_domid: number): void {}
}

export function* dispatchTmem(hv: Hypervisor, _caller: number, _op: TmemOp, _args: unknown): Sections {
  yield 'tmem';
  return { rc: hv.tmem === null ? -ENOSYS : -ENOSYS };
}
