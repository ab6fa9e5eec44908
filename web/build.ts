// Builds the playground (web/app/) into one self-contained HTML page: the emulator's Web Worker
// bundled with esbuild (Node built-ins aliased to web/shims/: no Node module reaches the
// browser) and inlined into the page's script, which also bundles xterm.js and the report's
// chart and interleaving views. `xen-memsim web` serves it; `npm run build:web` writes it.

import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const APP = join(ROOT, 'web', 'app');
const SHIMS = join(ROOT, 'web', 'shims');

/** The repository's files the playground brings along: its scenarios and example guest configs. */
export const PLAYGROUND_FILES = [
  'scenarios/demo.json', 'scenarios/check-then-act-4.22.json', 'scenarios/tmem-selfballoon-4.3.json',
  'scenarios/xlexample.pvlinux', 'scenarios/xlexample.hvm', 'scenarios/xlexample.pvhlinux',
];

/** What the browser gets for each Node built-in the emulator's modules import. */
const NODE_SHIMS: Readonly<Record<string, string>> = {
  'node:crypto': join(SHIMS, 'crypto.ts'),
  'node:fs': join(SHIMS, 'fs.ts'),
  'node:path': join(SHIMS, 'path.ts'),
  'node:readline': join(SHIMS, 'unavailable.ts'),
  'node:string_decoder': join(SHIMS, 'string-decoder.ts'),
  'node:url': join(SHIMS, 'url.ts'),
  'node:worker_threads': join(SHIMS, 'worker-threads.ts'),
};

/** Node's thread platform (worker_threads, piscina): the playground runs real threads on Web Workers instead. */
const NODE_THREADS_MODULE = join(ROOT, 'workers', 'threads.ts');

/** Resolves the aliased built-ins and refuses any other: a Node module in the bundle is a bug. */
export const nodeShims: Plugin = {
  name: 'xen-memsim-node-shims',
  setup(b) {
    b.onResolve({ filter: /\/threads\.ts$/ }, (args) => (join(args.resolveDir, args.path) === NODE_THREADS_MODULE ? { path: join(SHIMS, 'node-threads.ts') } : undefined));
    b.onResolve({ filter: /^node:|^(fs|path|crypto|os|worker_threads|child_process|readline|stream|string_decoder|url|util|module)$/ }, (args) => {
      const target = NODE_SHIMS[args.path.startsWith('node:') ? args.path : `node:${args.path}`];
      if (target !== undefined) return { path: target };
      return { errors: [{ text: `${args.path} (imported by ${args.importer.replace(ROOT + '/', '')}) cannot run in the browser playground` }] };
    });
  },
};

export interface WebBuild {
  /** The page, everything inlined. */
  html: string;
  /** Bytes of the parts, for the build's report. */
  sizes: { worker: number; page: number; css: number; html: number };
}

const inlineScript = (js: string): string => js.replace(/<\/script/gi, '<\\/script');

/** Bundles the worker and the page. @throws with esbuild's messages when something does not bundle */
export async function buildWeb(): Promise<WebBuild> {
  const files = Object.fromEntries(PLAYGROUND_FILES.map((f) => [f, readFileSync(join(ROOT, f), 'utf8')]));
  const common = { bundle: true, write: false, minify: true, platform: 'browser', target: 'es2022', legalComments: 'none', logLevel: 'silent' } as const;
  const worker = await build({
    ...common, entryPoints: [join(APP, 'worker.ts')], format: 'iife', plugins: [nodeShims], inject: [join(SHIMS, 'buffer.ts')],
    define: { __MEMSIM_FILES__: JSON.stringify(files), 'import.meta.url': JSON.stringify('memsim:playground') },
  });
  const workerJs = worker.outputFiles[0].text;
  const page = await build({
    ...common, entryPoints: [join(APP, 'main.js')], format: 'iife', outdir: 'out', plugins: [nodeShims],
    define: { __MEMSIM_WORKER__: JSON.stringify(workerJs) },
  });
  const js = page.outputFiles.find((f) => f.path.endsWith('.js'))!.text;
  const css = [readFileSync(join(ROOT, 'report', 'page', 'report.css'), 'utf8'), readFileSync(join(ROOT, 'node_modules', 'uplot', 'dist', 'uPlot.min.css'), 'utf8'),
    page.outputFiles.find((f) => f.path.endsWith('.css'))?.text ?? ''].join('\n');
  const html = readFileSync(join(APP, 'index.html'), 'utf8')
    .replace('/*CSS*/', () => css.replace(/<\/style/gi, '<\\/style'))
    .replace('/*JS*/', () => inlineScript(js));
  return { html, sizes: { worker: workerJs.length, page: js.length - JSON.stringify(workerJs).length, css: css.length, html: html.length } };
}

/** Writes the static playground into the existing folder `dir` (index.html): open it from file:// or any static server. */
export async function writeWeb(dir: string): Promise<WebBuild> {
  const b = await buildWeb();
  await writeFile(join(dir, 'index.html'), b.html);
  return b;
}
