// node:url as the browser bundle sees it: the playground's files live at absolute POSIX paths,
// and a module URL is the file: URL of that path (scenario files naming modules of their own).

export function pathToFileURL(path: string): URL {
  return new URL(`file://${path.split('/').map(encodeURIComponent).join('/')}`);
}

export function fileURLToPath(url: string | URL): string {
  const u = typeof url === 'string' ? new URL(url) : url;
  if (u.protocol !== 'file:') throw new TypeError(`The URL must be of scheme file: ${u.href}`);
  return decodeURIComponent(u.pathname);
}

export default { pathToFileURL, fileURLToPath };
