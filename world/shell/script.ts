// The xl shell's command language: one command per line — `xl <args>`, `sleep SECONDS`, `help`,
// `exit [STATUS]`, blank lines and `#` comments — with POSIX-shell-like word splitting (single
// quotes, double quotes, backslash), so `xl create g.cfg 'extra="x y"'` passes one override as typed.

import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';

export type ShellLine =
  | { kind: 'empty' }
  | { kind: 'xl'; argv: string[] }
  | { kind: 'sleep'; seconds: number }
  | { kind: 'help' }
  | { kind: 'exit'; status?: number }
  | { kind: 'error'; message: string };

/** Longest one `sleep` may be (virtual seconds; docs/limits.md): an hour of guests ballooning. */
export const SLEEP_MAX_SECS = 3600;

/** Splits a line into words; undefined for an unterminated quote. */
export function splitWords(line: string): string[] | undefined {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) return undefined;
      cur += line.slice(i + 1, end);
      i = end;
      inWord = true;
    } else if (c === '"') {
      let j = i + 1;
      for (; j < line.length && line[j] !== '"'; j++) {
        if (line[j] === '\\' && j + 1 < line.length && '"\\$`'.includes(line[j + 1])) j++;
        cur += line[j];
      }
      if (j >= line.length) return undefined;
      i = j;
      inWord = true;
    } else if (c === '\\' && i + 1 < line.length) {
      cur += line[++i];
      inWord = true;
    } else if (c === ' ' || c === '\t') {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
    } else if (c === '#' && !inWord) {
      break;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (inWord) words.push(cur);
  return words;
}

export function parseShellLine(line: string): ShellLine {
  const words = splitWords(line.replace(/\r$/, ''));
  if (words === undefined) return { kind: 'error', message: 'unterminated quote' };
  if (words.length === 0) return { kind: 'empty' };
  const [cmd, ...rest] = words;
  if (cmd === 'xl') return { kind: 'xl', argv: rest };
  if (cmd === 'help') return { kind: 'help' };
  if (cmd === 'sleep') {
    const s = rest.length === 1 && /^\d{1,10}(\.\d{1,9})?$/.test(rest[0]) ? Number(rest[0]) : NaN;
    if (Number.isNaN(s)) return { kind: 'error', message: 'usage: sleep SECONDS' };
    if (s > SLEEP_MAX_SECS) return { kind: 'error', message: `sleep: at most ${SLEEP_MAX_SECS} seconds at a time (got ${rest[0]})` };
    return { kind: 'sleep', seconds: s };
  }
  if (cmd === 'exit') {
    if (rest.length === 0) return { kind: 'exit' };
    const n = rest.length === 1 && /^\d{1,3}$/.test(rest[0]) ? Number(rest[0]) : NaN;
    return n <= 255 ? { kind: 'exit', status: n } : { kind: 'error', message: 'usage: exit [STATUS] (0..255)' };
  }
  return { kind: 'error', message: `unknown command "${cmd.length > 40 ? `${cmd.slice(0, 40)}…` : cmd}" (xl ..., sleep SECONDS, help, exit)` };
}

/** Largest guest config the shell hands to xl (xl reads whole files; this just bounds memory). */
export const MAX_CONFIG_BYTES = 1 << 20;

/**
 * The files an xl command line may read: every word that names a regular file relative to
 * `cwd` (guest configs; -f FILE), keyed by the word as typed, so messages name it as typed.
 */
export function filesFor(argv: readonly string[], cwd: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const w of argv) {
    if (w.startsWith('-') || w.includes('=') || w === '') continue;
    const p = resolve(cwd, w);
    try {
      const st = statSync(p);
      if (st.isFile() && st.size <= MAX_CONFIG_BYTES) files[w] = readFileSync(p, 'utf8');
      else if (p === '/dev/null') files[w] = '';
    } catch {
      // Not a file: xl itself reports what it cannot read.
    }
  }
  return files;
}

export const SHELL_HELP = `xen-memsim xl shell: one emulated Xen host; commands run one at a time while guests keep running.
  xl <subcommand> [args]   run xl (xl help lists the sub-commands; xl <cmd> -h one command's usage)
  sleep SECONDS            let virtual time pass (guests balloon, builds progress); at most ${SLEEP_MAX_SECS}
  help                     this text
  exit [STATUS]            leave the shell (Ctrl-D too); a script stops there
  # ...                    a comment
Guest configs may ask for a Linux kernel with memsim_workload="idle|steady|bursty|sawtooth|spike"
(and memsim_tmem=1, memsim_seed=N); without it a created domain just sits there.
`;
