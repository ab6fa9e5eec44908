// tmem's hypercall surface (Xen 4.3 do_tmem_op): every op's return codes, pools private and
// shared, frozen clients, control ops, and the answer on hosts without tmem. Invariants (the
// hypervisor's and tmem's) are checked after every section of every hypercall.

import { describe, expect, test } from 'vitest';
import { EEMPTY, EFAULT, EFROZEN, EINVAL, ENODEV, ENOMEM, ENOSYS, EPERM, Hypervisor, type XenVersion } from './index.ts';
import { CLI_ID_NULL, TMEMC, TMEM_POOL, TMEM_OPS, UUID_NONE } from './tmem.ts';
import {
  EPHEMERAL, PERSISTENT, SHARED_EPHEMERAL, call, content, control, guest, poolFlags, rc, tmemHost, tmemOps,
} from './tmem/test-support.ts';

const O: [number, number, number] = [7, 0, 0];

describe('tmem absent', () => {
  test.each(TMEM_OPS)('4.3 without the tmem boot option: %s answers -ENODEV (!tmem_initialized)', (op) => {
    const hv = new Hypervisor({ xen: '4.3', memoryMiB: 16 });
    const d = guest(hv);
    const c = hv.begin(d, op, { pool_id: 0, flags: EPHEMERAL });
    expect(hv.step(c)).toBe('tmem');
    expect(hv.finish(c).rc).toBe(-ENODEV);
  });

  const later: XenVersion[] = ['4.13', '4.21', '4.22'];
  test.each(later)('%s: every TMEM op is -ENOSYS (the hypercall was removed in 4.13)', (xen) => {
    const hv = new Hypervisor({ xen, memoryMiB: 16 });
    const d = guest(hv);
    for (const op of TMEM_OPS) {
      expect(rc(hv, d, op, { pool_id: 0, flags: EPHEMERAL })).toBe(-ENOSYS);
      expect(rc(hv, 0, op, { subop: TMEMC.QUERY_FREEABLE_MB })).toBe(-ENOSYS);
    }
  });

  test('tmem cannot be turned on outside 4.3', () => {
    expect(() => new Hypervisor({ xen: '4.13', tmem: true, memoryMiB: 16 })).toThrow(/4\.3/);
  });
});

describe('TMEM_NEW_POOL and TMEM_DESTROY_POOL', () => {
  test('pool ids are the first free slot, up to 16 per client, then -EPERM', () => {
    const hv = tmemHost();
    const t = tmemOps(hv, guest(hv));
    for (let i = 0; i < 16; i++) expect(t.newPool(i % 2 ? PERSISTENT : EPHEMERAL)).toBe(i);
    expect(t.newPool(EPHEMERAL)).toBe(-EPERM);
    expect(t.destroyPool(5)).toBe(1);
    expect(t.newPool(EPHEMERAL)).toBe(5);
  });

  test.each([
    ['spec version 0', EPHEMERAL & 0x00ffffff],
    ['spec version 2', (2 << TMEM_POOL.VERSION_SHIFT) >>> 0],
    ['page size 8 KiB', EPHEMERAL | (1 << TMEM_POOL.PAGESIZE_SHIFT)],
    ['precompressed', EPHEMERAL | TMEM_POOL.PRECOMPRESSED],
    ['reserved bit 8', EPHEMERAL | (1 << 8)],
    ['reserved bit 23', EPHEMERAL | (1 << 23)],
  ])('flags with %s: -EPERM', (_what, flags) => {
    const hv = tmemHost();
    expect(tmemOps(hv, guest(hv)).newPool(flags)).toBe(-EPERM);
  });

  test('destroy answers 1 for a pool, 0 for an empty slot, an id >= 16 or a second destroy', () => {
    const hv = tmemHost();
    const t = tmemOps(hv, guest(hv));
    expect(t.destroyPool(0)).toBe(0);
    expect(t.newPool(EPHEMERAL)).toBe(0);
    expect(t.put(0, O, 0, 1)).toBe(1);
    expect(t.destroyPool(16)).toBe(0);
    expect(t.destroyPool(0)).toBe(1);
    expect(t.destroyPool(0)).toBe(0);
    expect(hv.tmem!.freeablePageCount).toBe(0);
    expect(hv.tmem!.pageList.length).toBe(1);
  });

  test('ops on a pool the caller has not created answer -ENODEV', () => {
    const hv = tmemHost();
    const t = tmemOps(hv, guest(hv));
    expect(t.put(0, O, 0, 1)).toBe(-ENODEV);
    expect(t.get(0, O, 0, 1)).toBe(-ENODEV);
    expect(t.flush(3, O, 0)).toBe(-ENODEV);
    expect(t.flushObject(16, O)).toBe(-ENODEV);
    expect(t.get(-1, O, 0, 1)).toBe(-ENODEV);
  });

  test('an unreadable op (a field no C struct holds) answers -EFAULT', () => {
    const hv = tmemHost();
    const d = guest(hv);
    expect(rc(hv, d, 'TMEM_NEW_POOL', { flags: -1 })).toBe(-EFAULT);
    expect(rc(hv, d, 'TMEM_PUT_PAGE', { pool_id: 0, oid: [1, 2] })).toBe(-EFAULT);
    expect(rc(hv, d, 'TMEM_GET_PAGE', { pool_id: 0.5 })).toBe(-EFAULT);
  });
});

describe('put / get / flush', () => {
  test('private ephemeral: get copies the put frame back and is destructive; -EEMPTY once empty', () => {
    const hv = tmemHost();
    const d = guest(hv);
    const t = tmemOps(hv, d);
    expect(t.newPool(EPHEMERAL)).toBe(0);
    expect(t.get(0, O, 0, 2)).toBe(-EEMPTY);
    expect(t.put(0, O, 3, 1)).toBe(1);
    expect(t.put(0, O, 4, 5)).toBe(1);
    expect(t.get(0, O, 9, 2)).toBe(0);
    expect(t.get(0, [8, 0, 0], 3, 2)).toBe(0);
    expect(t.get(0, O, 3, 2)).toBe(1);
    expect(content(hv, d, 2)).toBe(content(hv, d, 1));
    expect(t.get(0, O, 3, 2)).toBe(0);
    expect(t.get(0, O, 4, 6)).toBe(1);
    expect(content(hv, d, 6)).toBe(content(hv, d, 5));
    expect(t.get(0, O, 4, 6)).toBe(-EEMPTY);
  });

  test('a duplicate put replaces the data in place (no extra frame)', () => {
    const hv = tmemHost();
    const d = guest(hv);
    const t = tmemOps(hv, d);
    t.newPool(EPHEMERAL);
    expect(t.put(0, O, 0, 1)).toBe(1);
    const free = hv.heap.totalAvailPages;
    expect(t.put(0, O, 0, 2)).toBe(1);
    expect(hv.heap.totalAvailPages).toBe(free);
    expect(hv.tmem!.freeablePageCount).toBe(1);
    expect(t.get(0, O, 0, 3)).toBe(1);
    expect(content(hv, d, 3)).toBe(content(hv, d, 2));
    expect(content(hv, d, 3)).not.toBe(content(hv, d, 1));
  });

  test('persistent: gets are not destructive; pages count in tot_pages until flushed', () => {
    const hv = tmemHost();
    const d = guest(hv, 100, 8);
    const t = tmemOps(hv, d);
    expect(t.newPool(PERSISTENT)).toBe(0);
    expect(t.put(0, O, 1, 1)).toBe(1);
    expect(t.put(0, O, 2, 2)).toBe(1);
    expect(hv.domain(d)!.totPages).toBe(10);
    expect(hv.tmem!.clientPages(d)).toBe(2);
    expect(hv.tmem!.freeablePages()).toBe(0);
    expect(t.get(0, O, 1, 3)).toBe(1);
    expect(t.get(0, O, 1, 4)).toBe(1);
    expect(content(hv, d, 4)).toBe(content(hv, d, 1));
    expect(t.flush(0, O, 1)).toBe(1);
    expect(hv.domain(d)!.totPages).toBe(9);
    expect(t.get(0, O, 1, 3)).toBe(0);
    expect(t.flushObject(0, O)).toBe(1);
    expect(hv.domain(d)!.totPages).toBe(8);
    expect(t.get(0, O, 2, 3)).toBe(-EEMPTY);
    // Flushed persistent frames were stolen from the domain onto tmem's free list: now freeable.
    expect(hv.tmem!.pageList.length).toBe(2);
    expect(hv.tmem!.freeablePages()).toBe(2);
  });

  test('persistent puts are bounded by max_pages (-ENOMEM at tot_pages == max_pages)', () => {
    const hv = tmemHost();
    const d = guest(hv, 10, 8);
    const t = tmemOps(hv, d);
    t.newPool(PERSISTENT);
    expect(t.put(0, O, 0, 1)).toBe(1);
    expect(t.put(0, O, 1, 1)).toBe(1);
    expect(t.put(0, O, 2, 1)).toBe(-ENOMEM);
    expect(hv.domain(d)!.totPages).toBe(10);
    // A dup put at the limit frees the old frame first, so it fits again.
    expect(t.put(0, O, 1, 2)).toBe(1);
    // Lowering max_mem below tot_pages makes even a dup put fail: the old copy is flushed.
    expect(rc(hv, 0, 'XEN_DOMCTL_max_mem', { domid: d, max_memkb: 9 * 4 })).toBe(0);
    expect(t.put(0, O, 1, 3)).toBe(-28 /* -ENOSPC: failed dup put */);
    expect(t.get(0, O, 1, 4)).toBe(0);
    expect(hv.domain(d)!.totPages).toBe(9);
  });

  test('a put or get through an unmapped gfn fails like a faulting copy (-EFAULT)', () => {
    const hv = tmemHost();
    const d = guest(hv, 4096, 4);
    const t = tmemOps(hv, d);
    t.newPool(EPHEMERAL);
    const free = hv.heap.totalAvailPages;
    expect(t.put(0, O, 0, 100)).toBe(-EFAULT);
    // The frame was allocated before the copy: it ends on tmem's free list, not back on the heap.
    expect(hv.heap.totalAvailPages).toBe(free - 1);
    expect(hv.tmem!.pageList.length).toBe(1);
    expect(t.put(0, O, 0, 1)).toBe(1);
    expect(t.get(0, O, 0, 100)).toBe(-EFAULT);
    expect(t.get(0, O, 0, 2)).toBe(-EEMPTY);
  });

  test('flush page and flush object answer 1 whether or not anything was there', () => {
    const hv = tmemHost();
    const t = tmemOps(hv, guest(hv));
    t.newPool(EPHEMERAL);
    expect(t.flush(0, O, 0)).toBe(1);
    expect(t.flushObject(0, O)).toBe(1);
    for (let i = 0; i < 3; i++) expect(t.put(0, O, i, 1)).toBe(1);
    expect(t.put(0, [9, 9, 9], 0, 1)).toBe(1);
    expect(t.flush(0, O, 1)).toBe(1);
    expect(t.get(0, O, 1, 2)).toBe(0);
    expect(t.flushObject(0, O)).toBe(1);
    expect(t.get(0, O, 0, 2)).toBe(0);
    expect(t.get(0, [9, 9, 9], 0, 2)).toBe(1);
    expect(hv.tmem!.pageList.length).toBe(4);
  });

  test('each op is one critical section with its own label, charged per page copied', () => {
    const hv = tmemHost();
    const d = guest(hv);
    const labels = (op: string, args: object): string[] => {
      const c = hv.begin(d, op, args);
      const out: string[] = [];
      while (!c.done) out.push(hv.step(c));
      return out;
    };
    expect(labels('TMEM_NEW_POOL', { flags: EPHEMERAL })).toEqual(['tmem_new_pool', 'return']);
    const t0 = hv.now;
    expect(labels('TMEM_PUT_PAGE', { pool_id: 0, oid: O, index: 0, cmfn: 1 })).toEqual(['tmem_put', 'return']);
    expect(hv.now - t0).toBe(hv.costs.hypercallNs + hv.costs.tmemCopyNs);
    expect(labels('TMEM_GET_PAGE', { pool_id: 0, oid: O, index: 0, cmfn: 1 })[0]).toBe('tmem_get');
    expect(labels('TMEM_FLUSH_PAGE', { pool_id: 0, oid: O, index: 0 })[0]).toBe('tmem_flush_page');
    expect(labels('TMEM_FLUSH_OBJECT', { pool_id: 0, oid: O })[0]).toBe('tmem_flush_object');
    expect(labels('TMEM_DESTROY_POOL', { pool_id: 0 })[0]).toBe('tmem_destroy_pool');
  });
});

describe('private and shared pools', () => {
  test('a private pool is invisible to other domains: their pool ids index their own client', () => {
    const hv = tmemHost();
    const [d1, d2] = [guest(hv), guest(hv)];
    const [t1, t2] = [tmemOps(hv, d1), tmemOps(hv, d2)];
    expect(t1.newPool(EPHEMERAL)).toBe(0);
    expect(t1.put(0, O, 0, 1)).toBe(1);
    expect(t2.get(0, O, 0, 1)).toBe(-ENODEV);
    expect(t2.flush(0, O, 0)).toBe(-ENODEV);
    expect(t2.newPool(EPHEMERAL)).toBe(0);
    expect(t2.get(0, O, 0, 1)).toBe(-EEMPTY);
    expect(t2.destroyPool(0)).toBe(1);
    expect(t1.get(0, O, 0, 2)).toBe(1);
  });

  test('same UUID, no tmem_shared_auth: both join one pool; shared gets are not destructive', () => {
    const hv = tmemHost();
    const [d1, d2] = [guest(hv), guest(hv)];
    const [t1, t2] = [tmemOps(hv, d1), tmemOps(hv, d2)];
    expect(t1.newPool(EPHEMERAL)).toBe(0);
    expect(t1.newPool(SHARED_EPHEMERAL, [0xabc, 1])).toBe(1);
    expect(t2.newPool(SHARED_EPHEMERAL, [0xabc, 1])).toBe(0);
    expect(t1.put(1, O, 0, 1)).toBe(1);
    expect(t2.get(0, O, 0, 3)).toBe(1);
    expect(content(hv, d2, 3)).toBe(content(hv, d1, 1));
    expect(t1.get(1, O, 0, 3)).toBe(1);
    expect(t1.put(1, [8, 0, 0], 0, 2)).toBe(1);
    expect(t2.get(0, [8, 0, 0], 0, 3)).toBe(1);
    // The owner leaves: the objects it used last go, the pool is handed to d2 with the rest.
    expect(t1.destroyPool(1)).toBe(1);
    expect(t2.get(0, O, 0, 3)).toBe(0);
    expect(t2.get(0, [8, 0, 0], 0, 3)).toBe(1);
    expect(hv.tmem!.clients.get(d2)!.ephemeralPageList.size).toBe(1);
    expect(t2.put(0, O, 1, 1)).toBe(1);
    expect(t2.get(0, O, 1, 3)).toBe(1);
  });

  test('a shared request with an all-ones UUID gets a private pool', () => {
    const hv = tmemHost();
    const [t1, t2] = [tmemOps(hv, guest(hv)), tmemOps(hv, guest(hv))];
    expect(t1.newPool(SHARED_EPHEMERAL, [UUID_NONE, UUID_NONE])).toBe(0);
    expect(t1.put(0, O, 0, 1)).toBe(1);
    expect(t2.newPool(SHARED_EPHEMERAL, [UUID_NONE, UUID_NONE])).toBe(0);
    expect(t2.get(0, O, 0, 1)).toBe(-EEMPTY);
  });

  test('with tmem_shared_auth, joining needs the UUID authorised (TMEM_AUTH); else a private pool', () => {
    const hv = tmemHost();
    hv.tmem!.optSharedAuth = true;
    const [d1, d2] = [guest(hv), guest(hv)];
    const [t1, t2] = [tmemOps(hv, d1), tmemOps(hv, d2)];
    const uuid: [number, number] = [42, 43];
    expect(t1.newPool(EPHEMERAL)).toBe(0); // creates d1's client
    expect(t2.newPool(EPHEMERAL)).toBe(0);
    expect(rc(hv, 0, 'TMEM_AUTH', { cli_id: d1, uuid, flags: 1 })).toBe(1);
    expect(t1.newPool(SHARED_EPHEMERAL, uuid)).toBe(1);
    expect(t1.put(1, O, 0, 1)).toBe(1);
    // d2 is not authorised: its "shared" pool is a private one.
    expect(t2.newPool(SHARED_EPHEMERAL, uuid)).toBe(1);
    expect(t2.get(1, O, 0, 2)).toBe(-EEMPTY);
    expect(rc(hv, 0, 'TMEM_AUTH', { cli_id: d2, uuid, flags: 1 })).toBe(1);
    expect(t2.newPool(SHARED_EPHEMERAL, uuid)).toBe(2);
    expect(t2.get(2, O, 0, 2)).toBe(1);
    // Revoking: 1 when present, 0 when absent; unknown clients -EINVAL.
    expect(rc(hv, 0, 'TMEM_AUTH', { cli_id: d2, uuid, flags: 0 })).toBe(1);
    expect(rc(hv, 0, 'TMEM_AUTH', { cli_id: d2, uuid, flags: 0 })).toBe(0);
    expect(rc(hv, 0, 'TMEM_AUTH', { cli_id: 77, uuid, flags: 1 })).toBe(-EINVAL);
    // CLI_ID_NULL lifts the check for everyone (global_shared_auth).
    expect(rc(hv, 0, 'TMEM_AUTH', { cli_id: CLI_ID_NULL, flags: 1 })).toBe(1);
    expect(t2.newPool(SHARED_EPHEMERAL, uuid)).toBe(3);
    expect(t2.get(3, O, 0, 2)).toBe(1);
  });

  test('TMEM_AUTH is not privilege-checked in 4.3: a guest may authorise itself', () => {
    const hv = tmemHost();
    hv.tmem!.optSharedAuth = true;
    const d = guest(hv);
    tmemOps(hv, d).newPool(EPHEMERAL);
    expect(rc(hv, d, 'TMEM_AUTH', { cli_id: d, uuid: [1, 1], flags: 1 })).toBe(1);
  });

  test('at most 16 global shared pools; the 17th UUID is -EPERM', () => {
    const hv = tmemHost();
    const [t1, t2] = [tmemOps(hv, guest(hv)), tmemOps(hv, guest(hv))];
    for (let i = 0; i < 16; i++) expect((i < 8 ? t1 : t2).newPool(SHARED_EPHEMERAL, [i, 0])).toBe(i % 8);
    expect(t2.newPool(SHARED_EPHEMERAL, [99, 0])).toBe(-EPERM);
    expect(t2.newPool(SHARED_EPHEMERAL, [3, 0])).toBe(8); // joining an existing one still works
  });
});

describe('frozen clients and control ops', () => {
  test('frozen: new puts -EFROZEN, dup puts allowed, flushes flush but answer -EFROZEN; thaw undoes', () => {
    const hv = tmemHost();
    const d = guest(hv);
    const t = tmemOps(hv, d);
    t.newPool(EPHEMERAL);
    expect(t.put(0, O, 0, 1)).toBe(1);
    expect(t.put(0, O, 1, 1)).toBe(1);
    expect(control(hv, TMEMC.FREEZE, { cli_id: d }).rc).toBe(0);
    expect(t.put(0, O, 2, 1)).toBe(-EFROZEN);
    expect(t.put(0, O, 0, 2)).toBe(1);
    expect(t.flush(0, O, 1)).toBe(-EFROZEN);
    expect(t.get(0, O, 1, 3)).toBe(0);
    expect(t.flushObject(0, O)).toBe(-EFROZEN);
    expect(t.get(0, O, 0, 3)).toBe(-EEMPTY);
    expect(control(hv, TMEMC.THAW, { cli_id: d }).rc).toBe(0);
    expect(t.put(0, O, 2, 1)).toBe(1);
    // All clients at once; TMEMC_DESTROY thaws (tmemc_freeze_pools only tests for FREEZE).
    expect(control(hv, TMEMC.FREEZE).rc).toBe(0);
    expect(t.put(0, O, 3, 1)).toBe(-EFROZEN);
    expect(control(hv, TMEMC.DESTROY, { cli_id: CLI_ID_NULL }).rc).toBe(0);
    expect(t.put(0, O, 3, 1)).toBe(1);
  });

  test('TMEM_CONTROL from anyone but the control domain is -EPERM', () => {
    const hv = tmemHost();
    const d = guest(hv);
    for (const subop of Object.values(TMEMC)) expect(rc(hv, d, 'TMEM_CONTROL', { subop, cli_id: d })).toBe(-EPERM);
  });

  test('control ops on a domain without a client, or an unknown subop, answer -1', () => {
    const hv = tmemHost();
    const d = guest(hv);
    expect(control(hv, TMEMC.FREEZE, { cli_id: d }).rc).toBe(-1);
    expect(control(hv, TMEMC.SET_WEIGHT, { cli_id: d, arg1: 5 }).rc).toBe(-1);
    expect(control(hv, TMEMC.LIST, { cli_id: 99 }).rc).toBe(-1);
    expect(control(hv, TMEMC.FLUSH, { cli_id: d, arg1: 4 }).rc).toBe(-1); // only --all
    expect(control(hv, 9).rc).toBe(-1);
    expect(control(hv, TMEMC.SAVE_BEGIN, { cli_id: d }).rc).toBe(-1);
    expect(control(hv, TMEMC.SAVE_GET_VERSION).rc).toBe(1);
    expect(control(hv, TMEMC.SAVE_GET_MAXPOOLS).rc).toBe(16);
  });

  test('set weight (and client_weight_total), list text, query freeable MB', () => {
    const hv = tmemHost();
    const [d1, d2] = [guest(hv), guest(hv)];
    const [t1, t2] = [tmemOps(hv, d1), tmemOps(hv, d2)];
    t1.newPool(EPHEMERAL);
    t2.newPool(PERSISTENT);
    for (let i = 0; i < 300; i++) expect(t1.put(0, O, i, 1)).toBe(1);
    expect(control(hv, TMEMC.SET_WEIGHT, { cli_id: d1, arg1: 3 }).rc).toBe(0);
    expect(control(hv, TMEMC.SET_WEIGHT, { cli_id: CLI_ID_NULL, arg1: 2 }).rc).toBe(0);
    expect(hv.tmem!.clientWeightTotal).toBe(4);
    expect(control(hv, TMEMC.SAVE_GET_CLIENT_WEIGHT, { cli_id: d1 }).rc).toBe(2);
    expect(control(hv, TMEMC.QUERY_FREEABLE_MB).rc).toBe(1); // 300 pages
    const all = control(hv, TMEMC.LIST, { arg2: 1 });
    expect(all.rc).toBe(0);
    expect(all.buf).toMatch(/^G=Tt:\d+,/);
    expect(all.buf).toContain(`C=CI:${d1},ww:2,`);
    expect(all.buf).toContain(`P=CI:${d1},PI:0,PT:EP,U0:0,U1:0,Pc:300,`);
    expect(all.buf).toContain(`P=CI:${d2},PI:0,PT:PP`);
    const one = control(hv, TMEMC.LIST, { cli_id: d2 });
    expect(one.buf).not.toContain('G=');
    expect(control(hv, TMEMC.SAVE_GET_POOL_NPAGES, { cli_id: d1, pool_id: 0 }).rc).toBe(300);
  });

  test('poolFlags helper builds Linux\'s flags word', () => {
    expect(poolFlags(0)).toBe(0x0100_0000);
    expect(poolFlags(TMEM_POOL.PERSIST | TMEM_POOL.SHARED)).toBe(0x0100_0003);
    expect(call(tmemHost(), 0, 'TMEM_NEW_POOL', { flags: poolFlags(0) }).rc).toBe(0);
  });
});
