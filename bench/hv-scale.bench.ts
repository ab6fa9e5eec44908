// Scale benchmark of the hypervisor core (not a test): boot time and bytes per frame of a 1 TiB
// host, and populate_physmap throughput at orders 0, 9 and 18 in frames per second, each shown
// with its ratio to a comparison measured in the same run. Wall-clock figures; the emulator's
// own virtual clock is not involved.
// Run: node --import tsx bench/hv-scale.bench.ts   (keep it under a minute; needs ~4 GiB of RAM)

import { performance } from 'node:perf_hooks';
import { Hypervisor } from '../hv/index.ts';

const TIB_MIB = 1024 * 1024;
const PAGES_PER_MIB = 256;

interface Row {
  what: string;
  value: string;
  vs: string;
}
const rows: Row[] = [];
const fmt = (x: number, digits = 0): string => x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

function memNow(): { rss: number; heap: number; ab: number } {
  const m = process.memoryUsage();
  return { rss: m.rss, heap: m.heapUsed, ab: m.arrayBuffers };
}

/** Boots a host; returns seconds and the memory delta per frame. */
function bootOnce(memoryMiB: number): { hv: Hypervisor; seconds: number; rssPerFrame: number; heapPerFrame: number } {
  gc();
  const before = memNow();
  const t0 = performance.now();
  const hv = new Hypervisor({ memoryMiB, xen: '4.22', dom0MiB: 1024 });
  const seconds = (performance.now() - t0) / 1000;
  gc();
  const after = memNow();
  const frames = memoryMiB * PAGES_PER_MIB;
  return {
    hv,
    seconds,
    rssPerFrame: (after.rss - before.rss) / frames,
    heapPerFrame: (after.heap - before.heap + after.ab - before.ab) / frames,
  };
}

/** Populates `extents` extents of `order` into a fresh guest; returns frames per second. */
function populateRate(hv: Hypervisor, order: number, extents: number): number {
  const r = hv.hypercall(0, 'XEN_DOMCTL_createdomain', {});
  const domid = r.domid as number;
  hv.hypercall(0, 'XEN_DOMCTL_max_mem', { domid, max_memkb: 4 * extents * 2 ** order });
  const extentStart = Array.from({ length: extents }, (_, i) => i * 2 ** order);
  const t0 = performance.now();
  const res = hv.hypercall(0, 'XENMEM_populate_physmap', { domid, nr_extents: extents, extent_order: order, extent_start: extentStart });
  const seconds = (performance.now() - t0) / 1000;
  if (res.rc !== extents) throw new Error(`populate order ${order}: ${res.rc} of ${extents} extents`);
  hv.hypercall(0, 'XEN_DOMCTL_destroydomain', { domid });
  return (extents * 2 ** order) / seconds;
}

// 1. Boot: 1 TiB against 64 GiB (the ratio shows whether boot cost is linear in frames).
const small = bootOnce(64 * 1024);
const smallSeconds = small.seconds;
const big = bootOnce(TIB_MIB);
rows.push({ what: 'boot 64 GiB host (s)', value: fmt(smallSeconds, 3), vs: '' });
rows.push({ what: 'boot 1 TiB host (s)', value: fmt(big.seconds, 3), vs: `${fmt(big.seconds / smallSeconds, 1)}x the 64 GiB boot (16x frames)` });
rows.push({ what: '1 TiB: RSS delta per frame (B)', value: fmt(big.rssPerFrame, 2), vs: '' });
rows.push({ what: '1 TiB: heap+ArrayBuffer delta per frame (B)', value: fmt(big.heapPerFrame, 2), vs: `${fmt(big.heapPerFrame / 3, 2)}x the 3 B/frame of pageOwner+freeOrder` });

// 2. Populate throughput, on the 1 TiB host (order 18 needs 1 GiB blocks; plenty free).
const o0 = populateRate(big.hv, 0, 200_000);
const o9 = populateRate(big.hv, 9, 2_000);
const o18 = populateRate(big.hv, 18, 8);
rows.push({ what: 'populate order 0 (frames/s)', value: fmt(o0), vs: '1.0x (baseline)' });
rows.push({ what: 'populate order 9 (frames/s)', value: fmt(o9), vs: `${fmt(o9 / o0, 1)}x order 0` });
rows.push({ what: 'populate order 18 (frames/s)', value: fmt(o18), vs: `${fmt(o18 / o0, 1)}x order 0, ${fmt(o18 / o9, 2)}x order 9` });

const w1 = Math.max(...rows.map((r) => r.what.length));
const w2 = Math.max(...rows.map((r) => r.value.length));
console.log(`xen-memsim hv scale (node ${process.version}, ${process.platform}/${process.arch})`);
for (const r of rows) console.log(`${r.what.padEnd(w1)}  ${r.value.padStart(w2)}  ${r.vs}`);
