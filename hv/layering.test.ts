// The design's rule for hv/, checked: it imports nothing from the layers above and reads no
// clock and draws no random number of its own (DESIGN.md). The only nondeterminism in hv/ is
// which in-flight call's next section runs, and that is chosen outside it.

import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';

const HV = dirname(fileURLToPath(import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.test.ts') && !p.includes('test-support') ? [p] : [];
  });
}

const files = sources(HV).map((p) => ({ name: relative(HV, p), text: readFileSync(p, 'utf8') }));

describe('hv/ layering', () => {
  test('finds the hypervisor sources', () => {
    expect(files.map((f) => f.name)).toEqual(expect.arrayContaining(['page-allocator.ts', 'memop.ts', 'tmem.ts', 'hypervisor.ts']));
  });

  test.each(files.map((f) => [f.name, f.text]))('%s imports nothing from the layers above', (_name, text) => {
    const imports = [...text.matchAll(/from '([^']+)'/g)].map((m) => m[1]);
    expect(imports.filter((i) => i.startsWith('../') && !i.startsWith('../hv/') && !/^\.\.\/[a-z-]+\.ts$/.test(i))).toEqual([]);
    expect(imports.filter((i) => /(sim|workers|guests|toolstack|prop-tests|report|cli)\//.test(i))).toEqual([]);
  });

  test.each(files.map((f) => [f.name, f.text]))('%s reads no clock and draws no random number', (_name, text) => {
    const code = text.replace(/\/\/.*$/gm, '').replace(/\/\*[\s\S]*?\*\//g, '');
    expect(code).not.toMatch(/\bDate\b|Math\.random|performance\.now|setTimeout|setInterval|setImmediate|process\.hrtime/);
  });
});
