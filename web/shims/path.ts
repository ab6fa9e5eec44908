// node:path as the browser bundle sees it: POSIX resolve, for the playground's file tree.

export function resolve(...parts: string[]): string {
  let out: string[] = [];
  for (const p of parts) {
    if (p.startsWith('/')) out = [];
    for (const seg of p.split('/')) {
      if (seg === '' || seg === '.') continue;
      if (seg === '..') out.pop();
      else out.push(seg);
    }
  }
  return `/${out.join('/')}`;
}

export const dirname = (p: string): string => resolve(p, '..');
export const join = (...parts: string[]): string => resolve(...parts);

export const sep = '/';
export const isAbsolute = (p: string): boolean => p.startsWith('/');

/** The path from `from` to `to`, both resolved. */
export function relative(from: string, to: string): string {
  const a = resolve(from).split('/').filter((x) => x !== '');
  const b = resolve(to).split('/').filter((x) => x !== '');
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return [...a.slice(i).map(() => '..'), ...b.slice(i)].join('/');
}
