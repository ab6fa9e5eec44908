// A scenario file's variant on real threads with its trace streamed (issue 15): the owner keeps
// no sections and posts the trace in bounded chunks of whole lines, the main thread writes them
// to the file as they come and reads the xl commands from them, and the report's telemetry is
// recorded on the owner's thread — no replay afterwards, no trace held whole. The file on disk
// still replays exactly, and what the live telemetry says agrees with a replay of that file.
// Structure only: nothing here depends on wall-clock time.

import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { collectFromTrace, TELEMETRY_OBSERVER, type Telemetry } from './telemetry.ts';
import { CHUNK_BYTES } from '../sim/line-chunks.ts';
import { parseTrace } from '../sim/trace.ts';
import { runThreads } from '../workers/threads.ts';
import { replayTrace, replayTraceFile } from '../world/replay.ts';
import { loadScenario, type CompiledVariant } from '../world/scenario-file/load.ts';
import { runVariant, type VariantRun } from '../world/scenario-file/run.ts';

/** Two toolstacks build a small guest each while an admin and a watcher look on. */
const SCENARIO = JSON.stringify({
  name: 'streamed',
  host: { memory: 256, xen: '4.3', tmem: true, dom0: { memory: 64 } },
  guests: { a: { cfg: { memory: 24 } }, b: { cfg: { memory: 24 } } },
  timeline: [
    { at: '0s', actor: 'admin', xl: 'info free_memory' },
    { at: '1s', actor: 'xl-1', xl: 'create a.cfg' },
    { at: '1s', actor: 'xl-2', xl: 'create b.cfg' },
    { at: '2s', actor: 'watch', xl: 'claims' },
  ],
});

function variant(): CompiledVariant {
  const l = loadScenario(SCENARIO, 'streamed.json');
  if (!l.ok) throw new Error(l.errors.join('\n'));
  return l.scenario.variants[0];
}

/** Events as (kind, text): what happened, without where between sections an arrival fell. */
const story = (t: Telemetry): string[] => t.events.map((e) => `${e.kind}: ${e.text}`).sort();

describe('a variant on real threads, its trace streamed to a file', () => {
  let file: string;
  let run: VariantRun<Telemetry>;
  beforeAll(async () => {
    file = join(mkdtempSync(join(tmpdir(), 'xen-memsim-stream-')), 'streamed.jsonl');
    run = await runVariant(variant(), { threads: true, trace: { file }, observer: TELEMETRY_OBSERVER, timeoutMs: 300_000 });
  }, 400_000);

  it('holds no trace, reads every xl command from the stream, and the file replays exactly', async () => {
    expect(run.failure).toBeUndefined();
    expect(run.trace).toBeUndefined();
    expect(run.tracePath).toBe(file);
    // Sorted: which of the two toolstacks started first is the threads' timing.
    expect(run.commands.map((c) => `${c.actor}: ${c.argv.join(' ')} → ${c.status}`).sort()).toEqual([
      'admin: info free_memory → 0', 'watch: claims → 0', 'xl-1: create a.cfg → 0', 'xl-2: create b.cfg → 0',
    ]);
    expect(run.commands.find((c) => c.actor === 'xl-1')!.populatedPages).toBe(24 * 256);
    const { events } = parseTrace(readFileSync(file, 'utf8'));
    expect(events.filter((e) => e.k === 'step').length + events.filter((e) => e.k === 'wake').length).toBe(run.steps);
    expect(events.at(-1)).toEqual({ k: 'end', steps: run.steps, hash: run.hash });
    expect(run.endNs).toBe(events.findLast((e) => e.k === 'step' || e.k === 'wake')!.t);
    // It ended where the scheduled run ends, once the xl commands were done — not at the horizon
    // of 60 virtual seconds after the last timeline event (2 s), where the kernels would still tick.
    expect(run.endNs).toBeLessThan(62e9);
    expect(events.some((e) => e.k === 'stop')).toBe(false);
    const rep = await replayTraceFile(file);
    expect(rep.divergence).toBeUndefined();
    expect(rep.reproduced).toBe(true);
    expect(rep.hash).toBe(run.hash);
  });

  it("records the report's telemetry on the owner's thread, agreeing with a replay of the file", async () => {
    const live = run.telemetry!;
    expect(live.meta.replay).toBeUndefined(); // recorded live: no replay was needed
    const replayed = await collectFromTrace(readFileSync(file, 'utf8'));
    expect(replayed.meta.replay?.reproduced).toBe(true);
    const { replay: _, ...meta } = replayed.meta;
    expect(live.meta).toEqual(meta);
    expect(live.meta).toMatchObject({ mode: 'threads', outcome: 'completed', steps: run.steps, hash: run.hash, endNs: run.endNs });
    // The same story, event for event (the step an arrival is counted at is the run's own timing).
    expect(story(live)).toEqual(story(replayed));
    expect(live.events.some((e) => e.kind === 'build_done')).toBe(true);
    expect(live.memory.t.length).toBeGreaterThan(2);
  });
});

describe('runThreads with onTrace', () => {
  it('posts the trace in chunks of whole lines, none held in the result; joined, they are a trace that replays exactly', async () => {
    const decoder = new TextDecoder();
    const chunks: string[] = [];
    const r = await runThreads({ ...variant().spec, untilNs: 61e9 }, { onTrace: (b) => chunks.push(decoder.decode(b, { stream: true })), timeoutMs: 300_000 });
    expect(r.ownerLost).toBeUndefined();
    expect(r.failure).toBeUndefined();
    expect(r.trace).toBeUndefined();
    expect(r.traceChunks).toBe(chunks.length);
    expect(chunks.length).toBeGreaterThan(1);
    for (const c of chunks) {
      expect(c.endsWith('\n')).toBe(true);
      // At most a chunk of the recorder's (1 MiB, this trace is ASCII): a line that would not fit starts the next.
      expect(c.length).toBeLessThanOrEqual(CHUNK_BYTES);
    }
    expect(chunks[0]).toMatch(/^\{"format":"xen-memsim-trace"/);
    const text = chunks.join('');
    const { events } = parseTrace(text);
    expect(events.at(-1)).toMatchObject({ k: 'end', hash: r.hash });
    const rep = await replayTrace(text);
    expect(rep.divergence).toBeUndefined();
    expect(rep.reproduced).toBe(true);
  }, 400_000);
});
