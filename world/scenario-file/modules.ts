// A scenario file's own modules — "properties" (modules defining properties) and "actors"
// (modules defining actor programs) — found by path relative to the file's folder and confined
// to it as guest files are (files.ts), then imported as plugins (sim/registry.ts). Importing is
// asynchronous and runs the module's code, so it is a step of its own before loadScenario(),
// which then only reads what the modules registered.

import { pathToFileURL } from 'node:url';
import { loadPluginModules } from '../../sim/registry.ts';
import { confinedRealPath, type FileAccess } from './files.ts';
import { parseSource, showString, type JsonPath } from './source.ts';

/** The file URL a module path of a scenario names, or why it is refused. */
export function scenarioModuleUrl(path: string, access: FileAccess): { ok: true; url: string } | { ok: false; why: string } {
  const r = confinedRealPath(path, access, 'modules');
  return r.ok ? { ok: true, url: pathToFileURL(r.real).href } : r;
}

/** Every module path the document names (at the top level and in each variant), with where. */
export function modulePaths(doc: unknown): Array<{ path: string; at: JsonPath }> {
  const out: Array<{ path: string; at: JsonPath }> = [];
  const scan = (body: unknown, at: JsonPath): void => {
    if (typeof body !== 'object' || body === null) return;
    const { properties, actors } = body as { properties?: unknown; actors?: unknown };
    if (Array.isArray(properties)) properties.forEach((p, i) => typeof p === 'string' && out.push({ path: p, at: [...at, 'properties', i] }));
    if (typeof actors === 'object' && actors !== null) {
      for (const [name, a] of Object.entries(actors)) {
        const m = (a as { module?: unknown } | null)?.module;
        if (typeof m === 'string') out.push({ path: m, at: [...at, 'actors', name, 'module'] });
      }
    }
  };
  scan(doc, []);
  const variants = (doc as { variants?: unknown } | null)?.variants;
  if (typeof variants === 'object' && variants !== null) for (const [label, v] of Object.entries(variants)) scan(v, ['variants', label]);
  return out;
}

/**
 * Imports the modules a scenario file names, so that loadScenario() finds what they define. A
 * path the confinement refuses is left to loadScenario to report; one that cannot be imported is
 * reported here.
 * @param text the file's contents; @param source its name in messages
 * @returns every module that could not be loaded, as `source:line:col: message` (empty when all loaded)
 */
export async function loadScenarioModules(text: string, source: string, access: FileAccess | undefined): Promise<string[]> {
  const parsed = parseSource(text);
  if (!parsed.ok || access === undefined) return []; // loadScenario reports both
  const errors: string[] = [];
  for (const { path, at } of modulePaths(parsed.value)) {
    const r = scenarioModuleUrl(path, access);
    if (!r.ok) continue;
    try {
      await loadPluginModules([r.url]);
    } catch (e) {
      const node = parsed.source.node(at);
      const pos = node === undefined ? '' : `${parsed.source.pos(node.offset).line}:${parsed.source.pos(node.offset).col}:`;
      errors.push(`${source}:${pos} cannot load module ${showString(path)}: ${e instanceof Error ? e.message.replace(/^cannot load plugin module \S+: /, '') : String(e)}`);
    }
  }
  return [...new Set(errors)];
}
