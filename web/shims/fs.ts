// node:fs as the browser bundle sees it (web/build.ts aliases it here): the playground's files —
// the guest configs its scenarios bring and the ones a student adds — so the shell's own code
// (world/shell/script.ts filesFor) reads them exactly as it reads a disk on Node.

/** Absolute path → contents. */
export const FILES = new Map<string, string>();

function lookup(path: string): string {
  const text = FILES.get(path);
  if (text === undefined) throw Object.assign(new Error(`ENOENT: no such file or directory, open '${path}'`), { code: 'ENOENT' });
  return text;
}

export function statSync(path: string): { isFile(): boolean; size: number } {
  const text = lookup(path);
  return { isFile: () => true, size: new TextEncoder().encode(text).length };
}

export function readFileSync(path: string | number, _encoding?: string): string {
  if (typeof path !== 'string') throw new Error('readFileSync: no file descriptors in the browser');
  return lookup(path);
}

/** Names of the files under `dir` (for tab completion). */
export function listFiles(dir: string): string[] {
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  return [...FILES.keys()].filter((p) => p.startsWith(prefix)).map((p) => p.slice(prefix.length));
}

/** Paths are the playground's own: a file is its own real path. */
export function realpathSync(path: string): string {
  lookup(path);
  return path;
}

function noDescriptors(): never {
  throw Object.assign(new Error('file descriptors are not available in the browser playground'), { code: 'EACCES' });
}

// The scenario loader's guarded reader (world/scenario-file/files.ts) opens files by descriptor:
// in the browser a guest's "file" is refused with a message (the playground passes configs inline).
export const openSync = noDescriptors;
export const fstatSync = noDescriptors;
export const readSync = noDescriptors;
// Streamed traces (world/trace-file.ts) write to a descriptor: the playground keeps its traces in memory.
export const writeSync = noDescriptors;
export const closeSync = (): void => undefined;
/** A trace written to a file (a scenario run's { file } option): the playground keeps its traces in memory. */
export function writeFileSync(path: string): never {
  throw Object.assign(new Error(`${path}: files cannot be written in the browser playground`), { code: 'EACCES' });
}
export const constants = { O_RDONLY: 0, O_NONBLOCK: 0, O_NOFOLLOW: 0 };
