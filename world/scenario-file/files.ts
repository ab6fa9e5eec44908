// The files a scenario reads from the host: the scenario file itself, and the guest config files
// its guests name with "file". A guest file is confined to the scenario's folder (or folders the
// user allows: `run --allow-dir DIR`): absolute paths and `..` escapes are refused, symbolic links
// are resolved before the check, and only regular files of at most GUEST_FILE_MAX_BYTES of UTF-8
// text are read — never a device, FIFO, socket or anything under /proc, /sys or /dev, whatever
// is allowed. A refused file's contents are never read, so no message can echo them.
// Limits: docs/limits.md ("scenario files").

import { closeSync, constants, fstatSync, openSync, readSync, realpathSync, statSync, type Stats } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';

/** A scenario file is read whole before parsing: at most this many bytes (a 10,000-event timeline is ~1 MiB). */
export const SCENARIO_FILE_MAX_BYTES = 4 * 1024 * 1024;
/** A guest config file (xl.cfg): at most this many bytes; its text is copied into every trace header. */
export const GUEST_FILE_MAX_BYTES = 64 * 1024;

/** Pseudo-file systems whose "files" are the host's state, never a scenario's data. */
const REFUSED_TREES = ['/proc', '/sys', '/dev'];

export type FileRead = { ok: true; text: string } | { ok: false; why: string };

const inside = (path: string, dir: string): boolean => {
  const r = relative(dir, path);
  return r === '' || (!r.startsWith('..' + sep) && r !== '..' && !isAbsolute(r));
};

function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

function errnoWords(e: unknown): string {
  const code = (e as { code?: string }).code;
  switch (code) {
    case 'ENOENT': return 'no such file';
    case 'EACCES': case 'EPERM': return 'permission denied';
    case 'ELOOP': return 'too many symbolic links';
    case 'ENOTDIR': return 'a part of the path is not a directory';
    case 'ENAMETOOLONG': return 'the path is too long';
    default: return code ?? 'cannot be read';
  }
}

/**
 * Reads a regular file of at most `maxBytes` bytes of UTF-8 text, without blocking on a FIFO and
 * without reading more than `maxBytes + 1` bytes of anything.
 */
export function readTextFile(path: string, maxBytes: number): FileRead {
  if (path.includes('\0')) return { ok: false, why: 'not a valid path' };
  let real: string;
  try {
    real = realpathSync(path);
  } catch (e) {
    return { ok: false, why: errnoWords(e) };
  }
  if (REFUSED_TREES.some((t) => inside(real, t))) return { ok: false, why: `files under ${REFUSED_TREES.join(', ')} are refused` };
  try {
    // Before opening: a device is never opened (opening some has effects), a FIFO never waited on.
    const st = statSync(real);
    if (!st.isFile()) return { ok: false, why: kindOf(st) };
  } catch (e) {
    return { ok: false, why: errnoWords(e) };
  }
  let fd: number;
  try {
    fd = openSync(real, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW);
  } catch (e) {
    return { ok: false, why: errnoWords(e) };
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return { ok: false, why: kindOf(st) };
    if (st.size > maxBytes) return { ok: false, why: `it is ${st.size} bytes; the limit is ${maxBytes} (docs/limits.md)` };
    const buf = new Uint8Array(maxBytes + 1);
    let n = 0;
    for (let got = 1; got > 0 && n < buf.length; n += got) got = readSync(fd, buf, n, buf.length - n, null);
    if (n > maxBytes) return { ok: false, why: `it is more than ${maxBytes} bytes; the limit is ${maxBytes} (docs/limits.md)` };
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(buf.subarray(0, n));
    } catch {
      return { ok: false, why: 'not UTF-8 text' };
    }
    if (text.includes('\0')) return { ok: false, why: 'not a text file (it contains NUL bytes)' };
    return { ok: true, text };
  } catch (e) {
    return { ok: false, why: errnoWords(e) };
  } finally {
    closeSync(fd);
  }
}

/** Where a scenario's guest files may come from. */
export interface FileAccess {
  /** The scenario file's folder: "file" paths are relative to it and, by default, confined to it. */
  baseDir: string;
  /** Further folders (absolute, or relative to the working directory) whose files "file" may name. */
  allowDirs?: readonly string[];
}

/**
 * Checks a guest "file" path against the folders it may come from, before anything is read.
 * @returns the absolute path to read, or why it is refused
 */
export function confinedPath(path: string, access: FileAccess, what = 'guest files'): { ok: true; abs: string } | { ok: false; why: string } {
  if (path.includes('\0')) return { ok: false, why: 'not a valid path' };
  const roots = [access.baseDir, ...(access.allowDirs ?? [])].map((d) => resolve(d));
  const abs = resolve(roots[0], path);
  if (roots.some((r) => inside(abs, r))) return { ok: true, abs };
  const allow = ' (run --allow-dir DIR allows the files of another folder)';
  return { ok: false, why: isAbsolute(path) ? `absolute paths are refused: ${what} are relative to the scenario's folder${allow}` : `it is outside the scenario's folder${allow}` };
}

/**
 * The real path (symbolic links resolved) of a file confined as {@link confinedPath} says, when
 * it exists and is still inside one of the folders.
 */
export function confinedRealPath(path: string, access: FileAccess, what = 'guest files'): { ok: true; real: string } | { ok: false; why: string } {
  const c = confinedPath(path, access, what);
  if (!c.ok) return c;
  let real: string;
  try {
    real = realpathSync(c.abs);
  } catch (e) {
    return { ok: false, why: errnoWords(e) };
  }
  const realRoots = [access.baseDir, ...(access.allowDirs ?? [])].flatMap((d) => {
    try {
      return [realpathSync(d)];
    } catch {
      return [];
    }
  });
  if (!realRoots.some((r) => inside(real, r))) return { ok: false, why: "it is a symbolic link to a file outside the scenario's folder (run --allow-dir DIR allows the files of another folder)" };
  return { ok: true, real };
}

/** Reads a guest config file confined as {@link confinedPath} says, symbolic links resolved first. */
export function readGuestFile(path: string, access: FileAccess): FileRead {
  const c = confinedRealPath(path, access);
  return c.ok ? readTextFile(c.real, GUEST_FILE_MAX_BYTES) : c;
}
