import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { outputDirProblem, outputFileProblem, readInput } from './paths.ts';

const fresh = (): string => mkdtempSync(join(tmpdir(), 'xen-memsim-paths-'));

describe('outputFileProblem: an output file is tried before the run, and the try leaves nothing', () => {
  it('accepts a new file in an existing folder and removes the probe', () => {
    const dir = fresh();
    expect(outputFileProblem(join(dir, 'x.jsonl'))).toBeUndefined();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('accepts an existing file without truncating it, and /dev/null', () => {
    const f = join(fresh(), 'keep.txt');
    writeFileSync(f, 'contents');
    expect(outputFileProblem(f)).toBeUndefined();
    expect(readFileSync(f, 'utf8')).toBe('contents');
    expect(outputFileProblem('/dev/null')).toBeUndefined();
  });

  it('refuses a missing folder without creating it, a file used as a folder, a folder, /proc and /sys', () => {
    const dir = fresh();
    expect(outputFileProblem(join(dir, 'no', 'x.html'))).toMatch(/the folder .*no does not exist \(create it first\)/);
    expect(existsSync(join(dir, 'no'))).toBe(false);
    writeFileSync(join(dir, 'file'), '');
    expect(outputFileProblem(join(dir, 'file', 'x'))).toMatch(/is not a folder/);
    expect(outputFileProblem(dir)).toMatch(/cannot write .*: it is a folder/);
    expect(outputFileProblem('/proc/x.jsonl')).toMatch(/^cannot create \/proc\/x\.jsonl/);
    expect(outputFileProblem('/sys/x')).toMatch(/^cannot create \/sys\/x/);
  });
});

describe('outputDirProblem: the demo\'s folder may be new, its parent must exist', () => {
  it('accepts an existing folder (probe removed) and a new one (not left behind)', () => {
    const dir = fresh();
    expect(outputDirProblem(dir)).toBeUndefined();
    expect(readdirSync(dir)).toEqual([]);
    expect(outputDirProblem(join(dir, 'new'))).toBeUndefined();
    expect(existsSync(join(dir, 'new'))).toBe(false);
  });

  it('refuses /proc/x at once (it used to spin), a missing parent, a file', () => {
    const dir = fresh();
    expect(outputDirProblem('/proc/x')).toMatch(/^cannot create \/proc\/x/);
    expect(outputDirProblem(join(dir, 'a', 'b'))).toMatch(/does not exist/);
    writeFileSync(join(dir, 'f'), '');
    expect(outputDirProblem(join(dir, 'f'))).toMatch(/exists and is not a folder/);
    mkdirSync(join(dir, 'd'));
    expect(outputDirProblem(join(dir, 'd'))).toBeUndefined();
  });
});

describe('readInput: bounded reads of files, pipes and devices', () => {
  it('reads a file within its limit', () => {
    const f = join(fresh(), 'in.txt');
    writeFileSync(f, 'héllo');
    expect(readInput(f, 100)).toEqual({ ok: true, text: 'héllo' });
  });

  it('refuses a file over the limit, an endless device, a folder and a missing file, each in one line', () => {
    const f = join(fresh(), 'big.txt');
    writeFileSync(f, 'x'.repeat(2000));
    expect(readInput(f, 1000)).toMatchObject({ ok: false, message: expect.stringMatching(/larger than the limit/) });
    expect(readInput('/dev/zero', 1 << 16)).toMatchObject({ ok: false, message: '/dev/zero is larger than the limit of 0.0625 MiB' });
    expect(readInput(tmpdir(), 100)).toMatchObject({ ok: false, message: expect.stringMatching(/it is a folder/) });
    expect(readInput('/nonexistent/in', 100)).toMatchObject({ ok: false, message: 'cannot read /nonexistent/in: no such file or folder' });
  });
});
