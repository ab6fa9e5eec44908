// A one-line progress display on stderr for `run` and `demo`: redrawn in place on a terminal,
// a plain line every few seconds otherwise (logs, CI, tests). Variants running side by side (the
// demo's) share the line, each with its latest figures.

import type { Progress } from '../../world/scenario-file/run.ts';

export interface ProgressLine {
  update: (p: Progress) => void;
  done: () => void;
}

const mib = (pages: number): string => `${Math.round(pages / 256)} MiB`;

export function progressLine(stream: NodeJS.WriteStream = process.stderr): ProgressLine {
  const tty = stream.isTTY === true;
  let last = 0;
  let drawn = false;
  /** The latest figures of each variant running, by label. */
  const latest = new Map<string, Progress>();
  return {
    update: (p) => {
      latest.set(p.label, p);
      const now = performance.now();
      if (now - last < (tty ? 100 : 3000)) return;
      last = now;
      const width = tty ? (stream.columns ?? 100) - 1 : 1000;
      const one = latest.size === 1;
      const text = [...latest.values()].map((q) => `[${q.label}] t=${(q.nowNs / 1e9).toFixed(1).padStart(6)} s  free ${mib(q.freePages)}  claimed ${mib(q.outstandingPages)}  ` +
        `${(q.steps / 1e6).toFixed(2)}M steps${one ? `  ${(q.wallMs / 1000).toFixed(1)} s wall${q.last === undefined ? '' : `  · ${q.last}`}` : ''}`).join('  |  ') +
        (one ? '' : `  ${(Math.max(...[...latest.values()].map((q) => q.wallMs)) / 1000).toFixed(1)} s wall`);
      stream.write(tty ? `\r\x1b[K${text.slice(0, width)}` : `${text}\n`);
      drawn = tty;
    },
    done: () => {
      if (drawn) stream.write('\r\x1b[K');
      drawn = false;
      latest.clear();
    },
  };
}
