// `xen-memsim web [--port N] [--build DIR]`: the browser playground (web/). Serves it on
// http://127.0.0.1:N/ (default 8080; 0 = any free port) with cross-origin isolation headers until
// Ctrl-C, or with --build writes the same page as a static file into DIR (open DIR/index.html
// from file:// or any static server) and exits. Exit 0, 1 when the port cannot be had, 2 on bad usage.

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildWeb } from '../../web/build.ts';
import { serveWeb } from '../../web/server.ts';
import { parseCommand, withDefault } from '../args/command.ts';
import { numberFlag, outputFlag } from '../args/flags.ts';
import { ensureOutputDir, outputDirProblem } from '../args/paths.ts';
import { onInterrupt } from '../lifecycle.ts';

/** TCP ports; 0 lets the system pick a free one. */
const PORT_RANGE = { min: 0, max: 65_535 };

export const WEB = {
  name: 'web',
  summary: 'the browser playground: an xl terminal, live memory chart and interleavings',
  flags: {
    port: withDefault(numberFlag('--port <N>', 'serve on http://127.0.0.1:N/ (0: any free port), 0..65535', PORT_RANGE), 8080),
    build: outputFlag('--build <DIR>', 'write the playground as a static page into this folder (DIR/index.html) instead of serving it'),
  },
  more: 'The page runs the emulator in a Web Worker; it works from file:// and any static web host too.\n',
} as const;

const kib = (n: number): string => `${(n / 1024).toFixed(0)} KiB`;

export async function main(argv: string[]): Promise<number> {
  const p = parseCommand(WEB, argv);
  if (!p.ok) return p.status;
  const dir = p.values.build;
  if (dir !== undefined) {
    const problem = outputDirProblem(dir);
    if (problem !== undefined) {
      process.stderr.write(`xen-memsim web: ${problem}\n`);
      return 2;
    }
  }
  const b = await buildWeb();
  const sizes = `${kib(b.sizes.html)}: emulator worker ${kib(b.sizes.worker)}, page ${kib(b.sizes.page)}, styles ${kib(b.sizes.css)}`;
  if (dir !== undefined) {
    ensureOutputDir(dir);
    await writeFile(join(dir, 'index.html'), b.html);
    process.stdout.write(`xen-memsim web: wrote ${join(dir, 'index.html')} (${sizes})\n`);
    return 0;
  }
  let server;
  try {
    server = await serveWeb(b.html, p.values.port);
  } catch (e) {
    process.stderr.write(`xen-memsim web: cannot listen on 127.0.0.1:${p.values.port}: ${(e as Error).message}\n`);
    return 1;
  }
  onInterrupt(() => {
    server.server.closeAllConnections();
    return 'exit';
  });
  process.stdout.write(`xen-memsim web: the playground is at ${server.url} (${sizes}; Ctrl-C stops)\n`);
  await new Promise<never>(() => {}); // until a signal ends the process (cli/lifecycle.ts)
  return 0;
}
