// The files a command reads and writes, checked where they enter.
// - Outputs (--out, --trace, --report, --perfetto, the defaults) are tried before a long run
//   starts, by creating them for real (and removing what the probe created), so a path that
//   cannot be written is refused in the first second instead of after the run — with its result.
//   Rule: a command creates at most the output it was given, never the folders above it: a file's
//   folder must exist; the demo's output folder may be new, but its parent must exist.
// - Inputs are read with a size limit (docs/limits.md), so /dev/zero or a huge file is refused
//   instead of filling memory, and a folder or a missing file gets one plain message.

import { closeSync, fstatSync, mkdirSync, openSync, readSync, rmdirSync, statSync, unlinkSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

const MiB = 1024 * 1024;
const PAUSE = new Int32Array(new SharedArrayBuffer(4));

/** Largest input each kind of file may be (docs/limits.md; scenario files: world/scenario-file/files.ts). */
export const INPUT_LIMITS = {
  /** A trace (JSONL); the full-size demo's traces are well under this. */
  trace: 256 * MiB,
  /** A shell script (xl lines), including piped stdin. */
  script: 16 * MiB,
  /** xl.conf and guest configs: as toolstack/shell/script.ts bounds what xl reads. */
  config: 1 * MiB,
} as const;

/** What went wrong with a file, in words (ENOENT → 'no such file or folder' …). */
export function fsErrorReason(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  switch (err.code) {
    case 'ENOENT': return 'no such file or folder';
    case 'ENOTDIR': return 'a part of the path is not a folder';
    case 'EISDIR': return 'it is a folder';
    case 'EACCES': case 'EPERM': return 'permission denied';
    case 'EROFS': return 'read-only file system';
    case 'ENOSPC': return 'no space left on the device';
    case 'ENAMETOOLONG': return 'the name is too long';
    default: return err.message ?? String(e);
  }
}

const exists = (p: string): boolean => {
  try {
    statSync(p);
    return true;
  } catch {
    return false;
  }
};

/** Why the folder that would hold `path` cannot, or undefined when it is a folder. */
function parentProblem(path: string): string | undefined {
  const parent = dirname(resolve(path));
  try {
    if (!statSync(parent).isDirectory()) return `${parent} is not a folder`;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT' ? `the folder ${parent} does not exist (create it first)` : `cannot reach ${parent}: ${fsErrorReason(e)}`;
  }
  return undefined;
}

/**
 * Tries `path` as an output file: opens an existing one for writing (without truncating it), or
 * creates and removes a new one. @returns why it cannot be written, or undefined
 */
export function outputFileProblem(path: string): string | undefined {
  if (exists(path)) {
    try {
      closeSync(openSync(path, 'r+'));
      return undefined;
    } catch (e) {
      return `cannot write ${path}: ${fsErrorReason(e)}`;
    }
  }
  const p = parentProblem(path);
  if (p !== undefined) return `cannot create ${path}: ${p}`;
  try {
    closeSync(openSync(path, 'wx'));
    unlinkSync(path);
    return undefined;
  } catch (e) {
    return `cannot create ${path}: ${fsErrorReason(e)}`;
  }
}

/**
 * Tries `dir` as an output folder: writes and removes a file in an existing one, or creates and
 * removes a new one (its parent must exist). @returns why it cannot be used, or undefined
 */
export function outputDirProblem(dir: string): string | undefined {
  let st;
  try {
    st = statSync(dir);
  } catch {
    st = undefined;
  }
  if (st !== undefined) {
    if (!st.isDirectory()) return `${dir} exists and is not a folder`;
    const probe = join(dir, `.xen-memsim-probe-${process.pid}`);
    try {
      closeSync(openSync(probe, 'wx'));
      unlinkSync(probe);
      return undefined;
    } catch (e) {
      return `cannot write in ${dir}: ${fsErrorReason(e)}`;
    }
  }
  const p = parentProblem(dir);
  if (p !== undefined) return `cannot create ${dir}: ${p}`;
  try {
    mkdirSync(dir);
    rmdirSync(dir);
    return undefined;
  } catch (e) {
    return `cannot create ${dir}: ${fsErrorReason(e)}`;
  }
}

/** Creates the output folder `dir` (checked by outputDirProblem) if it is not there yet; never its parents. */
export function ensureOutputDir(dir: string): void {
  try {
    mkdirSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
}

export type InputRead = { readonly ok: true; readonly text: string } | { readonly ok: false; readonly message: string };

/**
 * Reads a text input of at most `maxBytes` (a file, or a pipe/device such as /dev/stdin: read
 * until its end or the limit). `path` 0 reads standard input.
 */
export function readInput(path: string | 0, maxBytes: number): InputRead {
  const name = path === 0 ? 'standard input' : path;
  let fd: number;
  try {
    fd = path === 0 ? 0 : openSync(path, 'r');
  } catch (e) {
    return { ok: false, message: `cannot read ${name}: ${fsErrorReason(e)}` };
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) return { ok: false, message: `cannot read ${name}: it is a folder` };
    if (st.isFile() && st.size > maxBytes) return { ok: false, message: `${name} is larger than the limit of ${maxBytes / MiB} MiB` };
    const chunks: Uint8Array[] = [];
    let total = 0;
    for (;;) {
      const buf = new Uint8Array(Math.min(1 * MiB, maxBytes + 1 - total));
      let n: number;
      try {
        n = readSync(fd, buf, 0, buf.length, null);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EAGAIN') {
          Atomics.wait(PAUSE, 0, 0, 10); // a non-blocking pipe with nothing yet: wait 10 ms, not spin
          continue;
        }
        if ((e as NodeJS.ErrnoException).code === 'EOF') break;
        throw e;
      }
      if (n === 0) break;
      chunks.push(buf.subarray(0, n));
      total += n;
      if (total > maxBytes) return { ok: false, message: `${name} is larger than the limit of ${maxBytes / MiB} MiB` };
    }
    return { ok: true, text: Buffer.concat(chunks).toString('utf8') };
  } catch (e) {
    return { ok: false, message: `cannot read ${name}: ${fsErrorReason(e)}` };
  } finally {
    if (path !== 0) closeSync(fd);
  }
}

/** Writes a result checked by outputFileProblem. @returns why it could not be written (a full disk …), or undefined */
export async function writeResult(path: string, write: () => Promise<void>): Promise<string | undefined> {
  try {
    await write();
    return undefined;
  } catch (e) {
    return `cannot write ${path}: ${fsErrorReason(e)}`;
  }
}
