// A one-line progress display on stderr for `run` and `demo`: redrawn in place on a terminal,
// a plain line every few seconds otherwise (logs, CI, tests).

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
  return {
    update: (p) => {
      const now = performance.now();
      if (now - last < (tty ? 100 : 3000)) return;
      last = now;
      const width = tty ? (stream.columns ?? 100) - 1 : 1000;
      const text = `[${p.label}] t=${(p.nowNs / 1e9).toFixed(1).padStart(6)} s  free ${mib(p.freePages)}  claimed ${mib(p.outstandingPages)}  ` +
        `${(p.steps / 1e6).toFixed(2)}M steps  ${(p.wallMs / 1000).toFixed(1)} s wall${p.last === undefined ? '' : `  · ${p.last}`}`;
      stream.write(tty ? `\r\x1b[K${text.slice(0, width)}` : `${text}\n`);
      drawn = tty;
    },
    done: () => {
      if (drawn) stream.write('\r\x1b[K');
      drawn = false;
    },
  };
}
