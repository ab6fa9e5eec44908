// Which of a trace header's plugin modules a replay may import. A trace is data anyone can hand
// you, but its header names modules ("plugins": a user's properties and actors, as file URLs or
// any other specifier, data: URLs included) and importing a module runs its code. So a replay
// imports only modules already loaded in this process (the program that recorded the trace, a
// campaign replaying its own finding: nothing new runs) and the ones its caller allows by name
// (`xen-memsim replay/report --plugin FILE`, ReplayOptions.allowPlugins). Anything else is refused
// before any module is imported, each refused module named with the flag that allows it.

import { realpathSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isPluginLoaded } from '../sim/registry.ts';
import { TraceFormatError } from '../sim/trace.ts';

/** A trace names plugin modules its replay was not allowed to import. */
export class PluginNotAllowedError extends TraceFormatError {
  override name = 'PluginNotAllowedError';
  constructor(readonly modules: readonly string[]) {
    super(
      `trace:1: scenario: the trace names ${modules.length === 1 ? 'a plugin module' : 'plugin modules'} this replay may not import: ${modules.map(shown).join(', ')}. ` +
      'A trace can name any module and importing one runs its code: allow each module you trust with ' +
      `${modules.map((m) => `--plugin ${shown(m)}`).join(' ')} (xen-memsim replay and report; the API: ReplayOptions.allowPlugins)`,
    );
  }
}

/** A module as the user can name it back: a file URL as its path, anything else as written. */
function shown(module: string): string {
  if (!module.startsWith('file:')) return JSON.stringify(module);
  try {
    return fileURLToPath(module);
  } catch {
    return JSON.stringify(module);
  }
}

/** Whether `s` is a URL (a scheme of two or more letters: "C:\x" is a path). */
const isUrl = (s: string): boolean => /^[a-z][a-z0-9+.-]+:/i.test(s) && URL.canParse(s);

/**
 * The names one module goes by: as written, as a URL, and for a file its real path's URL too (a
 * campaign records `--property`'s path resolved, a scenario file its module's real path).
 * @param asPath read a name that is not a URL as a file path (an allowance: `--plugin ./p.mjs`)
 */
function namesOf(module: string, asPath: boolean): string[] {
  const out = [module];
  let url: URL | undefined;
  if (isUrl(module)) url = new URL(module);
  else if (asPath) url = pathToFileURL(resolve(module));
  if (url === undefined) return out;
  out.push(url.href);
  if (url.protocol === 'file:') {
    try {
      out.push(pathToFileURL(realpathSync(fileURLToPath(url))).href);
    } catch {
      // no such file (yet): its other names still match
    }
  }
  return out;
}

/**
 * The modules of `plugins` a replay may not import: neither loaded in this process nor allowed.
 * @param allow modules the caller trusts: file paths (relative to the working directory) or URLs
 */
export function refusedPlugins(plugins: readonly string[], allow: readonly string[]): string[] {
  const allowed = new Set(allow.flatMap((a) => namesOf(a, true)));
  return plugins.filter((p) => !isPluginLoaded(p) && !namesOf(p, false).some((n) => allowed.has(n)));
}

/** @throws PluginNotAllowedError naming every module of `plugins` that refusedPlugins refuses */
export function assertPluginsAllowed(plugins: readonly string[], allow: readonly string[]): void {
  const refused = refusedPlugins(plugins, allow);
  if (refused.length > 0) throw new PluginNotAllowedError(refused);
}

/**
 * The command line that replays `trace` with its plugin modules allowed: file URLs as paths
 * relative to `cwd`, other specifiers as written. What run, check and the vitest helper print.
 */
export function replayCommand(trace: string, plugins: readonly string[], cwd: string = process.cwd()): string {
  const named = (m: string): string => {
    if (!m.startsWith('file:')) return m;
    try {
      return relative(cwd, fileURLToPath(m)) || '.';
    } catch {
      return m;
    }
  };
  return ['xen-memsim replay', trace, ...[...new Set(plugins)].flatMap((m) => ['--plugin', named(m)])].join(' ');
}
