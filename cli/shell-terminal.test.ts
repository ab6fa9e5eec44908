// The shell on a real terminal: a pty from script(1) (util-linux), driven by what it prints.
import { describe, expect, it } from 'vitest';
import { BIN, spawnCli, STACK_FRAME } from './testing.ts';

describe('xen-memsim shell on a real terminal (a pty from script(1))', () => {
  it('Ctrl-C twice at the prompt does not quit (it used to, losing every guest); Ctrl-D does', async () => {
    const p = spawnCli([], { command: { file: 'script', args: ['-qec', `${process.execPath} ${BIN} shell --memory 2048`, '/dev/null'] } });
    await p.waitFor('stdout', /xl\(4\.22\)> /);
    p.child.stdin!.write('xl list\x03');
    await p.waitFor('stdout', /xl list\^C/);
    p.child.stdin!.write('\x03');
    await p.waitFor('stdout', /\^C[^]*\^C/);
    p.child.stdin!.write('xl info total_memory\r');
    await p.waitFor('stdout', /2048\r?\n/);
    p.child.stdin!.write('\x04');
    const r = await p.ended;
    expect(r.stdout).not.toMatch(/Domain-0/);
    expect(r.stdout).not.toMatch(STACK_FRAME);
    expect(r.status).toBe(0);
  });
});
